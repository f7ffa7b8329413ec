"""The app's single seam to the checkpoint format (`qmix/checkpoint.py`).

Everything the GUI does with files goes through this module. `save` and `load` run on the
worker thread (they read or build TensorFlow variables); `read_config` is TF-free and lets
the window show a saved run's scenario before TensorFlow is loaded. Failures come back as
one-line messages (the checkpoint module's `CheckpointError` text): the GUI shows them and
the running session is untouched.
"""

from __future__ import annotations

import os
from typing import Any

from qmix.config import Config

FILE_FILTER = "QMIX Studio runs (*.h5 *.hdf5);;All files (*)"


class CheckpointSaveError(Exception):
    """Saving failed; the previous file (if any) is intact."""


class CheckpointLoadError(Exception):
    """Loading failed; the running session is unchanged."""


def save(trainer: Any, path: str, include_buffer: bool = False) -> None:
    """Atomically write the whole run (optionally with its replay buffer) to `path`."""
    from qmix.checkpoint import save_checkpoint

    try:
        save_checkpoint(trainer, path, include_buffer=include_buffer)
    except Exception as exc:  # noqa: BLE001 - one clear line for the user, whatever it was
        raise CheckpointSaveError(_one_line(exc, f"Could not save {os.path.basename(path)}")
                                  ) from None


def load(path: str) -> Any:
    """A new Trainer holding the run saved in `path` (its own scenario, algorithm, config).

    A fresh Trainer rather than loading into the current one: a saved run may be of another
    scenario or network size, and the current run must stay intact if the file is bad.
    """
    from qmix.checkpoint import trainer_from_checkpoint

    try:
        return trainer_from_checkpoint(path)
    except Exception as exc:  # noqa: BLE001
        raise CheckpointLoadError(_one_line(exc, f"Could not open {os.path.basename(path)}")
                                  ) from None


def read_config(path: str) -> Config | None:
    """The saved run's config without TensorFlow, or None if the file cannot tell."""
    try:
        from qmix.checkpoint import read_config as _read_config

        return Config.from_dict(_read_config(path))
    except Exception:  # noqa: BLE001 - the worker reports the real problem when it loads
        return None


def _one_line(exc: BaseException, prefix: str) -> str:
    from qmix.checkpoint import CheckpointError

    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    # CheckpointError messages are already one user-facing line naming the problem.
    return text if isinstance(exc, CheckpointError) else f"{prefix}: {text}"
