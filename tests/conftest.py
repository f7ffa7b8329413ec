"""Test-wide environment: headless Qt, silent pygame/SDL, quiet TensorFlow.

Set before anything imports Qt, pygame or TensorFlow (docs/facts.md: without a display and without
QT_QPA_PLATFORM=offscreen Qt aborts rather than skips).
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
