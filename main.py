"""QMIX Studio: `python main.py [train|inspect|bench|study|RUN.h5] ...` (see app/launcher.py)."""
import sys

from app.launcher import main

sys.exit(main(sys.argv[1:]))
