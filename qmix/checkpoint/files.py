"""Checkpoint files: save a state dict atomically, read and validate one, read its config.

`save_state`/`read_checkpoint` work on plain state dicts (`Trainer.state_dict()`), so a GUI can
take the state on the trainer's thread and write the file on another; no TensorFlow here.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import h5py

from qmix.checkpoint.atomic import errno_of, write_atomically
from qmix.checkpoint.errors import CheckpointError, one_line as _one_line
from qmix.checkpoint.format import (CONFIG_BEFORE, HDF5_SIGNATURE, LIBVER, json_attr,
                                    check_header, read_replays, read_state, write_state)


def save_state(state: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write a `Trainer.state_dict()` to `path` atomically (the earlier file survives any
    failure, the message says what went wrong)."""
    path = os.fspath(path)

    def write(tmp: str) -> None:
        with h5py.File(tmp, "w", libver=LIBVER) as f:
            write_state(f, state)
            f.flush()

    try:
        write_atomically(path, write)
    except (KeyError, TypeError, ValueError) as exc:  # a malformed state dict: say so, once
        if isinstance(exc, CheckpointError):
            raise
        raise CheckpointError(f"cannot save to {path}: the run's state is incomplete or not "
                              f"storable ({_one_line(exc)}); any earlier file there is "
                              "unchanged") from exc


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Validate a file and read it into a state dict shaped like `Trainer.state_dict()`, plus
    a "meta" entry (format_version, created, app, path, file_size). Touches no live model."""
    path = os.fspath(path)
    size = _check_readable(path)
    name = os.path.basename(path) or path
    try:
        f = h5py.File(path, "r")
    except BlockingIOError:
        raise CheckpointError(f"{name} is open for writing by another program; "
                              "try again when it is done") from None
    except (OSError, RuntimeError) as exc:
        raise CheckpointError(_open_failure(path, name, size, exc)) from None
    try:
        with f:
            state = read_state(f, name)
    except CheckpointError:
        raise
    except (OSError, RuntimeError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{name} is damaged or incomplete: {_one_line(exc)}") from None
    state["meta"].update(path=os.path.abspath(path), file_size=size)
    return state


def read_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The run's config dict, checking only the header (version, app, metadata checksum):
    cheap even with a large buffer, e.g. for a CLI that resumes with the run's own settings.
    `read_checkpoint`/`load_into` still validate the whole file."""
    with _reading(path) as (f, name):
        config = json_attr(f, "config", name)
    if not isinstance(config, dict) or not isinstance(config.get("scenario"), str):
        raise CheckpointError(f"{name} is damaged: its config attribute is not a run config")
    for key, value in CONFIG_BEFORE.items():
        config.setdefault(key, value)
    return config


def read_scenario(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The run's scenario (EnvInfo as a dict: name, sizes, action_names, ...), checking only
    the header, as `read_config`: cheap even with a large buffer."""
    with _reading(path) as (f, name):
        info = json_attr(f, "scenario", name)
    if not isinstance(info, dict):
        raise CheckpointError(f"{name} is damaged: its scenario attribute is not a scenario")
    return info


def read_replay_arrays(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Only the /replays arrays of a file (header checked; [] when it has none): cheap even
    with a large buffer (qmix/replay.py `read_replays` decodes them)."""
    with _reading(path) as (f, name):
        return read_replays(f, name)


@contextmanager
def _reading(path: str | os.PathLike[str]) -> Iterator[tuple[h5py.File, str]]:
    """A checkpoint open for reading, its header checked, with its name for messages; every
    failure inside, opening or reading, becomes one CheckpointError line."""
    path = os.fspath(path)
    size = _check_readable(path)
    name = os.path.basename(path) or path
    try:
        with h5py.File(path, "r") as f:
            check_header(f, name)
            yield f, name
    except CheckpointError:
        raise
    except BlockingIOError:
        raise CheckpointError(f"{name} is open for writing by another program; "
                              "try again when it is done") from None
    except (OSError, RuntimeError) as exc:
        raise CheckpointError(_open_failure(path, name, size, exc)) from None
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{name} is damaged or incomplete: {_one_line(exc)}") from None


def _check_readable(path: str) -> int:
    """Clear messages for the path itself; returns the file size."""
    if os.path.isdir(path):
        raise CheckpointError(f"{path} is a folder, not a checkpoint file")
    if not os.path.exists(path):
        raise CheckpointError(f"no such file: {path}")
    try:
        fd = os.open(path, os.O_RDONLY)
    except PermissionError:
        raise CheckpointError(f"permission denied: cannot read {path}") from None
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {_one_line(exc)}") from None
    try:
        size = os.fstat(fd).st_size
        head = os.read(fd, len(HDF5_SIGNATURE))
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {_one_line(exc)}") from None
    finally:
        os.close(fd)
    name = os.path.basename(path)
    if size == 0:
        raise CheckpointError(f"{name} is empty (0 bytes), not a QMIX Studio checkpoint")
    if head != HDF5_SIGNATURE[: len(head)] and not h5py.is_hdf5(path):
        raise CheckpointError(f"{name} is not an HDF5 file, so not a QMIX Studio checkpoint")
    return size


def _open_failure(path: str, name: str, size: int, exc: BaseException) -> str:
    text = str(exc)
    if "truncated" in text:
        found = re.search(r"stored_eof\s*=\s*(\d+)", text)
        expected = f" of {int(found.group(1))}" if found else ""
        return (f"{name} is truncated ({size}{expected} bytes present): the file is "
                "incomplete, perhaps from an interrupted copy")
    if errno_of(exc) in (errno.EACCES, errno.EPERM):
        return f"permission denied: cannot read {path}"
    try:
        with open(path, "rb") as fh:
            signed = fh.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE
    except OSError:
        signed = True
    if not signed:
        return f"{name} is not an HDF5 file, so not a QMIX Studio checkpoint"
    return f"{name} is a damaged HDF5 file: {_one_line(exc)}"
