"""Whole-run checkpoints: one HDF5 file holds everything a run needs to continue exactly.

Reference implementations save network weights only; a QMIX Studio checkpoint is the whole run
(weights, optimizer slots, counters, epsilon, RNG states, input normalisation, metric
histories and, optionally, the replay buffer), so "stop on Friday, continue on Monday" gives
the same numbers as never stopping. The README's "Checkpoint format" documents the file.

By concern:
    errors.py   CheckpointError: every failure is one user-facing line
    atomic.py   temporary file, fsync, os.replace: a failed save never loses the old file
    format.py   the HDF5 layout: writer, reader, checksums (format version 1)
    files.py    save a state dict / read and validate a file / read only its config or scenario
    compat.py   the one check that a saved state fits a live trainer
    run.py      trainers and files: save, load into, build from, summarise

Only NumPy and h5py are imported here: the GUI can read a file before TensorFlow is loaded.
"""

from qmix.checkpoint.compat import ARCHITECTURE_FIELDS, check_compatible
from qmix.checkpoint.errors import CheckpointError
from qmix.checkpoint.files import read_checkpoint, read_config, read_scenario, save_state
from qmix.checkpoint.format import FORMAT_VERSION, MIN_FORMAT_VERSION
from qmix.checkpoint.run import load_into, save_checkpoint, summarize, trainer_from_checkpoint

__all__ = ["ARCHITECTURE_FIELDS", "CheckpointError", "FORMAT_VERSION", "MIN_FORMAT_VERSION",
           "check_compatible", "load_into", "read_checkpoint", "read_config", "read_scenario",
           "save_checkpoint", "save_state", "summarize", "trainer_from_checkpoint"]
