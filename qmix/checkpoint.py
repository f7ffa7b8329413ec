"""Whole-run checkpoints: one HDF5 file holds everything a run needs to continue exactly.

Reference implementations save network weights only; a QMIX Studio checkpoint is the whole run
(weights, optimizer slots, counters, epsilon, RNG states, metric histories and, optionally, the
replay buffer), so "stop on Friday, continue on Monday" gives the same numbers as never stopping.

File layout (FORMAT_VERSION 1; documented for other tools in docs/checkpoint-section.md):

    /                      attrs: format_version, app, created, config (JSON), scenario (JSON),
                           algo, last_eval (JSON), solved, last_metrics (JSON), has_buffer,
                           meta_sha256
    /variables/<name>      every variable under its stable name, e.g. online/agent/fc1/w,
                           target/mixer/hyper_w1/0/w, optimizer/m/agent/gru/w_input
    /counters              attrs: env_steps, episodes, updates, next_eval (+ any other
                           counter of the trainer, e.g. learner_updates), epsilon
    /rng                   attrs: train, eval, tensorflow (JSON)
    /extra                 further state-dict entries, verbatim: JSON attrs (e.g.
                           pending_updates) or datasets
    /reward_stats          (3,) running mean, M2, count
    /normalizer/<input>/<stat>   input normalisation of runs with normalize_inputs: <input>
                           obs (per observation feature) or state, <stat> lo, hi (float64,
                           per feature: smallest and largest value seen) and count (scalar):
                           network input = clip((x - lo) / (hi - lo), -10, 10), 0 where
                           hi == lo (qmix/normalizer.py)
    /history/<name>        (K, 2) rows of (env_steps, value)
    /buffer/<name>         replay episodes (gzip); attrs size, pos, capacity   [optional]

Integrity, in two layers (FACTS.md: h5py returns flipped bytes silently unless a dataset has
a checksum filter): every dataset is written with `fletcher32=True` *and* carries a SHA-256 of
its little-endian C-order bytes in its `sha256` attribute; the JSON/scalar attributes are
covered by `meta_sha256`. Files use HDF5's v110 format, whose metadata blocks are checksummed.

Writes are atomic: a temporary file in the same folder, fsync, `os.replace`, fsync of the
folder; the temporary file is removed on any failure, so a crash, a full disk or SIGKILL during
a save leaves the previous checkpoint intact. Reading validates everything (format version,
checksums, completeness, and against a live trainer: scenario, algorithm, variable shapes)
before a single variable of the live model is touched. Every failure is a `CheckpointError`
whose message is one line naming what is wrong.

Only NumPy and h5py are imported at module level: the GUI can summarise a file before
TensorFlow is loaded.
"""

from __future__ import annotations

import dataclasses
import datetime
import errno
import hashlib
import json
import math
import os
import re
import secrets
from typing import TYPE_CHECKING, Any, Iterator

import h5py
import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from qmix.trainer import Trainer

FORMAT_VERSION = 1
"""Version written into every file; readers accept MIN_FORMAT_VERSION..FORMAT_VERSION."""
MIN_FORMAT_VERSION = 1
APP = "qmix-studio"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
LIBVER = ("v110", "v110")
"""HDF5 file-format bounds: v110 objects have checksummed metadata; readable by HDF5 >= 1.10."""
BUFFER_GZIP_LEVEL = 1
"""Replay arrays are mostly zeros and one-hots: level 1 gets most of the gain at a fraction of
the time of level 9."""

# Config fields that decide the networks' (and optimizer's) variables: named in the hint of a
# shape mismatch, so "hidden_dim 64 vs 32" is said rather than left to guesswork.
ARCHITECTURE_FIELDS = ("algo", "agent", "hidden_dim", "share_params", "obs_agent_id",
                       "obs_last_action", "mixing_embed_dim", "hypernet_embed", "optimizer")
COUNTER_KEYS = ("env_steps", "episodes", "updates", "next_eval")
"""Counters every file has; others the trainer adds (e.g. learner_updates) are kept too."""
KNOWN_STATE_KEYS = frozenset({"config", "info", "variables", "counters", "epsilon", "rng",
                              "reward_stats", "history", "last_eval", "solved",
                              "last_metrics", "buffer", "meta", "normalizer"})
NORMALIZER_STATS = ("lo", "hi", "count")
CONFIG_BEFORE = {"normalize_inputs": False, "env_steps_per_update": 0}
"""Config fields newer than some files, with the value that reproduces how those runs were
trained: files from before input normalisation and the per-env-step update schedule ran on
raw inputs with `updates_per_rollout`."""
"""State-dict keys with a place of their own in the file; any other key goes to /extra."""
INFO_KEYS = ("name", "n_agents", "n_actions", "obs_dim", "state_dim", "episode_limit",
             "action_names", "solved_return", "optimal_return")


class CheckpointError(ValueError):
    """A checkpoint could not be saved or loaded. The message is one user-facing line naming
    what is wrong; the live run and any earlier file are unchanged."""


# ====================================================================== saving
def save_checkpoint(trainer: "Trainer", path: str | os.PathLike[str],
                    include_buffer: bool = False) -> None:
    """Save the whole run atomically. Best taken at a rollout boundary (the CLI does): the
    in-flight rollout is not saved, and a resumed run starts a fresh rollout."""
    save_state(trainer.state_dict(include_buffer=include_buffer), path)


def save_state(state: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write a `Trainer.state_dict()` to `path` atomically.

    Split from `save_checkpoint` so a GUI can take the state on the trainer's thread (cheap:
    NumPy copies) and write the file on another thread.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise CheckpointError(f"cannot save to {path}: it is a folder, not a file")
    if not os.path.isdir(folder):
        raise CheckpointError(f"cannot save to {path}: the folder {folder} does not exist")
    tmp = os.path.join(folder, f".{os.path.basename(path)}.tmp-{os.getpid()}-"
                               f"{secrets.token_hex(4)}")
    created = False
    try:
        # Create the temporary file ourselves: a read-only folder or a full disk then fails
        # here with a proper errno rather than inside HDF5's error stack.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        created = True
        os.close(fd)
        with h5py.File(tmp, "w", libver=LIBVER) as f:
            _write_state(f, state)
            f.flush()
        fd = os.open(tmp, os.O_RDWR)
        try:
            os.fsync(fd)  # the data is on disk before the name points at it
        finally:
            os.close(fd)
        os.replace(tmp, path)
        created = False
        _fsync_folder(folder)
        _remove_stale_temps(folder, os.path.basename(path))
    except (OSError, RuntimeError) as exc:
        raise CheckpointError(_save_failure(path, exc)) from exc
    except (KeyError, TypeError, ValueError) as exc:  # a malformed state dict: say so, once
        raise CheckpointError(f"cannot save to {path}: the run's state is incomplete or not "
                              f"storable ({_one_line(exc)}); any earlier file there is "
                              "unchanged") from exc
    finally:
        if created:
            try:
                os.unlink(tmp)
            except OSError:
                pass


STALE_TEMP_AGE_S = 600.0


def _remove_stale_temps(folder: str, name: str) -> None:
    """Delete temporary files that killed saves of this checkpoint left behind: those of
    processes no longer running, untouched for STALE_TEMP_AGE_S. They are never read, only
    litter; a live writer's file (same pid alive, or recently modified) is left alone."""
    pattern = re.compile(re.escape(f".{name}.tmp-") + r"(\d+)-[0-9a-f]+$")
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    now = datetime.datetime.now().timestamp()
    for entry in entries:
        found = pattern.match(entry)
        if not found or int(found.group(1)) == os.getpid():
            continue
        full = os.path.join(folder, entry)
        try:
            if now - os.path.getmtime(full) < STALE_TEMP_AGE_S or _pid_alive(
                    int(found.group(1))):
                continue
            os.unlink(full)
        except OSError:
            pass


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # pragma: no cover - no cheap liveness check; keep the file
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _fsync_folder(folder: str) -> None:
    """Persist the rename itself (POSIX); best effort where folders cannot be opened."""
    if os.name == "nt":  # pragma: no cover - Windows has no directory fsync
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # e.g. EINVAL on file systems without directory fsync; the rename still happened
    finally:
        os.close(fd)


def _errno_of(exc: BaseException) -> int | None:
    """errno of an OSError; HDF5 errors carry it only inside the message ("errno = 28")."""
    if isinstance(exc, OSError) and exc.errno:
        return exc.errno
    found = re.search(r"errno\s*=\s*(\d+)", str(exc))
    return int(found.group(1)) if found else None


def _save_failure(path: str, exc: BaseException) -> str:
    code = _errno_of(exc)
    folder = os.path.dirname(os.path.abspath(path))
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        why = "the disk is full"
    elif code in (errno.EACCES, errno.EPERM):
        why = f"permission denied (is the folder {folder} writable?)"
    elif code == errno.EROFS:
        why = f"the folder {folder} is on a read-only file system"
    elif code == errno.ENOENT:
        why = f"the folder {folder} does not exist or cannot hold files"
    elif code == errno.EISDIR:
        why = "it is a folder, not a file"
    else:
        why = _one_line(exc)
    return f"cannot save to {path}: {why}; any earlier file there is unchanged"


def _write_state(f: h5py.File, state: dict[str, Any]) -> None:
    config, info = state["config"], state["info"]
    f.attrs["format_version"] = np.int64(FORMAT_VERSION)
    f.attrs["app"] = APP
    f.attrs["created"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    f.attrs["config"] = _to_json(config)
    f.attrs["scenario"] = _to_json(info)
    f.attrs["algo"] = str(config["algo"])
    f.attrs["last_eval"] = _to_json(state.get("last_eval"))
    f.attrs["solved"] = bool(state.get("solved", False))
    f.attrs["last_metrics"] = _to_json(state.get("last_metrics", {}))
    f.attrs["has_buffer"] = "buffer" in state

    variables = f.create_group("variables")
    for name in sorted(state["variables"]):
        _put(variables, name, state["variables"][name])

    counters = f.create_group("counters")
    for key in sorted(state["counters"]):  # the required COUNTER_KEYS and any others
        if key == "epsilon":
            raise KeyError("a counter must not be called 'epsilon'")
        counters.attrs[key] = np.int64(state["counters"][key])
    counters.attrs["epsilon"] = np.float64(state["epsilon"])

    rng = f.create_group("rng")
    for key, value in state["rng"].items():
        rng.attrs[key] = _to_json(value)

    _put(f, "reward_stats", np.asarray(state["reward_stats"], np.float64))
    if "normalizer" in state:
        for input_name, stats in sorted(state["normalizer"].items()):
            group = f.create_group(f"normalizer/{input_name}")
            for key in NORMALIZER_STATS:
                _put(group, key, np.asarray(stats[key], np.float64))
    history = f.create_group("history")
    for key in sorted(state["history"]):
        _put(history, key, np.asarray(state["history"][key], np.float64).reshape(-1, 2))

    extra = f.create_group("extra")  # engine state beyond the keys above, kept verbatim
    for key in sorted(set(state) - KNOWN_STATE_KEYS):
        value = state[key]
        if isinstance(value, np.ndarray):
            _put(extra, key, value)
        else:
            extra.attrs[key] = _to_json(value)

    if "buffer" in state:
        buf = state["buffer"]
        group = f.create_group("buffer")
        group.attrs["size"] = np.int64(buf["size"])
        group.attrs["pos"] = np.int64(buf["pos"])
        group.attrs["capacity"] = np.int64(state["config"]["buffer_size"])
        for key in sorted(buf["data"]):
            _put(group, key, buf["data"][key], compress=True)

    f.attrs["meta_sha256"] = _meta_digest(f)


def _put(group: h5py.Group, name: str, value: Any, compress: bool = False) -> None:
    """One checksummed dataset. Scalars become (1,) arrays with attr scalar=True, because
    HDF5 cannot put a filter (fletcher32) on a scalar dataset."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"cannot store {name!r} of dtype {arr.dtype} in a checkpoint")
    scalar = arr.ndim == 0
    data = np.ascontiguousarray(arr.reshape(1) if scalar else arr)
    options: dict[str, Any] = {"fletcher32": True}
    if compress and data.size:
        options.update(compression="gzip", compression_opts=BUFFER_GZIP_LEVEL)
    ds = group.create_dataset(name, data=data, **options)
    ds.attrs["sha256"] = _digest(data)
    if scalar:
        ds.attrs["scalar"] = True


def _digest(arr: np.ndarray) -> str:
    """SHA-256 of the array's bytes, little-endian, C order (what the docs tell readers)."""
    arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    return hashlib.sha256(arr.view(np.uint8).reshape(-1).data).hexdigest()


def _to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, set)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _plain(value: Any) -> Any:
    """An attribute as plain Python data (for the metadata digest)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _meta_digest(f: h5py.File) -> str:
    """SHA-256 over every metadata attribute (root, /counters, /rng, /buffer, /extra)."""
    items = []
    for group_name in ("", "counters", "rng", "buffer", "extra"):
        if group_name and group_name not in f:
            continue
        group = f[group_name] if group_name else f
        for key in sorted(group.attrs):
            if key != "meta_sha256":
                items.append([group_name, key, _plain(group.attrs[key])])
    return hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()


# ====================================================================== reading
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
            state = _read_state(f, name)
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
    path = os.fspath(path)
    size = _check_readable(path)
    name = os.path.basename(path) or path
    try:
        with h5py.File(path, "r") as f:
            _check_header(f, name)
            config = _json_attr(f, "config", name)
    except CheckpointError:
        raise
    except BlockingIOError:
        raise CheckpointError(f"{name} is open for writing by another program; "
                              "try again when it is done") from None
    except (OSError, RuntimeError) as exc:
        raise CheckpointError(_open_failure(path, name, size, exc)) from None
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{name} is damaged or incomplete: {_one_line(exc)}") from None
    if not isinstance(config, dict) or not isinstance(config.get("scenario"), str):
        raise CheckpointError(f"{name} is damaged: its config attribute is not a run config")
    for key, value in CONFIG_BEFORE.items():
        config.setdefault(key, value)
    return config


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
    if _errno_of(exc) in (errno.EACCES, errno.EPERM):
        return f"permission denied: cannot read {path}"
    try:
        with open(path, "rb") as fh:
            signed = fh.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE
    except OSError:
        signed = True
    if not signed:
        return f"{name} is not an HDF5 file, so not a QMIX Studio checkpoint"
    return f"{name} is a damaged HDF5 file: {_one_line(exc)}"


def _check_header(f: h5py.File, name: str) -> int:
    """Format version, app and metadata checksum; returns the format version."""
    attrs = f.attrs
    if "format_version" not in attrs:
        raise CheckpointError(f"{name} is an HDF5 file but not a QMIX Studio checkpoint "
                              "(it has no format_version attribute)")
    version = int(attrs["format_version"])
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{name} has checkpoint format version {version}, newer than this QMIX Studio "
            f"reads (version {FORMAT_VERSION}); update QMIX Studio to open it")
    if version < MIN_FORMAT_VERSION:
        raise CheckpointError(
            f"{name} has checkpoint format version {version}, older than this QMIX Studio "
            f"reads (versions {MIN_FORMAT_VERSION} to {FORMAT_VERSION})")
    if _plain(attrs.get("app")) != APP:
        raise CheckpointError(f"{name} is not a QMIX Studio checkpoint "
                              f"(app attribute is {_plain(attrs.get('app'))!r})")
    for group in ("variables", "counters", "rng", "history"):
        if group not in f:
            raise CheckpointError(f"{name} is incomplete: it has no /{group} group")
    if "reward_stats" not in f:
        raise CheckpointError(f"{name} is incomplete: it has no /reward_stats dataset")
    if "meta_sha256" not in attrs:
        raise CheckpointError(f"{name} is incomplete: it has no meta_sha256 attribute")
    if _plain(attrs["meta_sha256"]) != _meta_digest(f):
        raise CheckpointError(f"{name} is damaged: its metadata attributes do not match "
                              "their SHA-256 checksum")
    return version


def _read_state(f: h5py.File, name: str) -> dict[str, Any]:
    version = _check_header(f, name)
    attrs = f.attrs

    config = _json_attr(f, "config", name)
    info = _json_attr(f, "scenario", name)
    if not isinstance(config, dict) or not isinstance(config.get("scenario"), str) \
            or not isinstance(config.get("algo"), str):
        raise CheckpointError(f"{name} is damaged: its config attribute is not a run config")
    for key, value in CONFIG_BEFORE.items():
        config.setdefault(key, value)
    if not isinstance(info, dict) or set(INFO_KEYS) - set(info):
        missing = sorted(set(INFO_KEYS) - set(info if isinstance(info, dict) else {}))
        raise CheckpointError(f"{name} is damaged: its scenario attribute lacks "
                              f"{', '.join(missing) or 'its fields'}")

    variables = {path: _get(ds, name) for path, ds in _datasets(f["variables"])}
    if not variables:
        raise CheckpointError(f"{name} is incomplete: /variables holds no variables")

    counters_group = f["counters"]
    for key in COUNTER_KEYS:
        if key not in counters_group.attrs:
            raise CheckpointError(f"{name} is incomplete: /counters has no {key} attribute")
    counters = {}
    for key in sorted(counters_group.attrs):
        if key == "epsilon":
            continue
        counters[key] = int(counters_group.attrs[key])
        if counters[key] < 0:
            raise CheckpointError(f"{name} is damaged: counter {key} is {counters[key]}")
    epsilon = float(counters_group.attrs.get("epsilon", math.nan))

    rng = {key: _json_attr(f["rng"], key, name) for key in f["rng"].attrs}
    for key in ("train", "eval"):
        if not isinstance(rng.get(key), dict) or "bit_generator" not in rng[key]:
            raise CheckpointError(f"{name} is incomplete: /rng has no valid {key} state")

    history = {key: _get(ds, name) for key, ds in _datasets(f["history"])}
    for key, arr in history.items():
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise CheckpointError(f"{name} is damaged: history/{key} has shape {arr.shape}, "
                                  "expected (K, 2)")

    state: dict[str, Any] = {
        "config": config,
        "info": info,
        "variables": variables,
        "counters": counters,
        "epsilon": epsilon,
        "rng": rng,
        "reward_stats": _get(f["reward_stats"], name),
        "history": history,
        "last_eval": _json_attr(f, "last_eval", name),
        "solved": bool(attrs.get("solved", False)),
        "last_metrics": _json_attr(f, "last_metrics", name),
        "meta": {"format_version": version, "created": _plain(attrs.get("created")),
                 "app": APP},
    }
    if "normalizer" in f:
        state["normalizer"] = {}
        for input_name in f["normalizer"]:
            group = f["normalizer"][input_name]
            missing = [k for k in NORMALIZER_STATS if k not in group]
            if missing:
                raise CheckpointError(f"{name} is incomplete: normalizer/{input_name} has no "
                                      f"{missing[0]} dataset")
            state["normalizer"][input_name] = {k: _get(group[k], name)
                                               for k in NORMALIZER_STATS}
    if "extra" in f:
        for key, ds in _datasets(f["extra"]):
            state[key] = _get(ds, name)
        for key in f["extra"].attrs:
            state[key] = _json_attr(f["extra"], key, name)
    if "buffer" in f:
        group = f["buffer"]
        size, pos = int(group.attrs["size"]), int(group.attrs["pos"])
        data = {key: _get(ds, name) for key, ds in _datasets(group)}
        for key, arr in data.items():
            if arr.ndim == 0 or arr.shape[0] != size:
                raise CheckpointError(f"{name} is damaged: buffer/{key} holds "
                                      f"{arr.shape[0] if arr.ndim else 0} episodes, "
                                      f"the buffer says {size}")
        state["buffer"] = {"size": size, "pos": pos, "data": data}
    elif bool(attrs.get("has_buffer", False)):
        raise CheckpointError(f"{name} is incomplete: it should hold a replay buffer but "
                              "has no /buffer group")
    return state


def _datasets(group: h5py.Group, prefix: str = "") -> Iterator[tuple[str, h5py.Dataset]]:
    """(relative path, dataset) of every dataset below `group`, depth first, sorted."""
    for key in sorted(group):
        item = group[key]
        if isinstance(item, h5py.Dataset):
            yield prefix + key, item
        elif isinstance(item, h5py.Group):
            yield from _datasets(item, f"{prefix}{key}/")


def _get(ds: h5py.Dataset, name: str) -> np.ndarray:
    """Read one dataset, checking both its fletcher32 filter and its SHA-256."""
    where = ds.name.lstrip("/")
    try:
        arr = ds[()]
    except (OSError, RuntimeError) as exc:
        raise CheckpointError(f"{name} is damaged: dataset {where} cannot be read "
                              f"(HDF5 checksum or filter error: {_one_line(exc)})") from None
    arr = np.asarray(arr)
    expected = ds.attrs.get("sha256")
    if expected is None:
        raise CheckpointError(f"{name} is damaged: dataset {where} has no sha256 attribute")
    if _digest(arr) != _plain(expected):
        raise CheckpointError(f"{name} is damaged: dataset {where} does not match its "
                              "SHA-256 checksum")
    if bool(ds.attrs.get("scalar", False)):
        arr = arr.reshape(())
    return arr


def _json_attr(group: h5py.Group, key: str, name: str) -> Any:
    if key not in group.attrs:
        where = f"{group.name.rstrip('/')}/{key}" if group.name != "/" else key
        raise CheckpointError(f"{name} is incomplete: it has no {where} attribute")
    try:
        return json.loads(_plain(group.attrs[key]))
    except (TypeError, ValueError):
        raise CheckpointError(f"{name} is damaged: attribute {key} is not valid JSON") from None


# ====================================================================== loading
def load_into(trainer: "Trainer", path: str | os.PathLike[str]) -> None:
    """Load a checkpoint into a live trainer.

    Everything is read and checked against this trainer (scenario, algorithm, network shapes,
    replay capacity) before any variable is assigned; on any problem a CheckpointError is
    raised and the trainer is unchanged. A checkpoint without a replay buffer empties the
    trainer's buffer (the loaded run continues from what it saved, whatever ran before).
    """
    state = read_checkpoint(path)
    _load_state(trainer, state, os.path.basename(os.fspath(path)))


def trainer_from_checkpoint(path: str | os.PathLike[str]) -> "Trainer":
    """Build a Trainer from the saved config, then load the run into it."""
    from qmix.config import Config

    state = read_checkpoint(path)
    name = os.path.basename(os.fspath(path))
    try:
        config = Config.from_dict(state["config"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{name} holds a config this version cannot use: "
                              f"{_one_line(exc)}") from None
    from qmix.trainer import Trainer  # imports TensorFlow

    try:
        trainer = Trainer(config)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{name} needs scenario {config.scenario!r} with "
                              f"{config.scenario_kwargs or 'default settings'}, which this "
                              f"version cannot build: {_one_line(exc)}") from None
    _load_state(trainer, state, name)
    return trainer


def check_compatible(trainer: "Trainer", state: dict[str, Any], name: str = "checkpoint"
                     ) -> None:
    """Raise CheckpointError naming the first way `state` does not fit `trainer`."""
    saved_cfg, cfg = state["config"], trainer.config.to_dict()
    if saved_cfg["scenario"] != cfg["scenario"]:
        raise CheckpointError(f"{name} is a run of scenario {saved_cfg['scenario']!r}, but "
                              f"this run is scenario {cfg['scenario']!r}")
    saved_kwargs = _normal(saved_cfg.get("scenario_kwargs", {}))
    kwargs = _normal(cfg.get("scenario_kwargs", {}))
    if saved_kwargs != kwargs:
        key = sorted(k for k in set(saved_kwargs) | set(kwargs)
                     if saved_kwargs.get(k, "default") != kwargs.get(k, "default"))[0]
        raise CheckpointError(
            f"{name} has {cfg['scenario']} setting {key} = "
            f"{saved_kwargs.get(key, '(default)')}, but this run has "
            f"{kwargs.get(key, '(default)')}")
    info = _normal(dataclasses.asdict(trainer.info))
    saved_info = _normal(state["info"])
    for key in ("name", "n_agents", "n_actions", "obs_dim", "state_dim", "episode_limit"):
        if saved_info.get(key) != info.get(key):
            raise CheckpointError(f"{name} was saved with scenario {key} "
                                  f"{saved_info.get(key)}, but this run's scenario has "
                                  f"{info.get(key)}")
    if saved_cfg.get("algo") != cfg["algo"]:
        raise CheckpointError(f"{name} was trained with algo {saved_cfg.get('algo')!r}, but "
                              f"this run uses {cfg['algo']!r}")

    hint = ", ".join(f"{k} {saved_cfg.get(k)!r} vs {cfg[k]!r}" for k in ARCHITECTURE_FIELDS
                     if k in saved_cfg and saved_cfg[k] != cfg[k])
    hint = f" (checkpoint vs this run: {hint})" if hint else ""
    shapes = trainer.variable_shapes()
    live = trainer.learner.named_variables()
    saved = state["variables"]
    # The learner's variables are required. The rest (the NumPy actor's copy of the agent
    # weights, "actor/...") may be absent -- the trainer then refreshes them from the learner
    # -- but never half there.
    optional = [key for key in shapes if key not in live]
    required = [key for key in shapes if key in live or any(k in saved for k in optional)]
    for key in required:
        if key not in saved:
            raise CheckpointError(f"{name} lacks variable {key} that this run has{hint}")
    for key in saved:
        if key not in shapes:
            raise CheckpointError(f"{name} has variable {key} that this run does not{hint}")
    for key, shape in shapes.items():
        if key in saved and tuple(saved[key].shape) != tuple(shape):
            raise CheckpointError(f"network shapes differ: variable {key} is "
                                  f"{tuple(saved[key].shape)} in {name} but {tuple(shape)} "
                                  f"in this run{hint}")
    for key, var in live.items():
        if not np.can_cast(saved[key].dtype, var.dtype.as_numpy_dtype, "same_kind"):
            raise CheckpointError(f"variable {key} has dtype {saved[key].dtype} in {name}, "
                                  f"expected {var.dtype.name}")

    for key in ("train", "eval"):
        want = (trainer.rng if key == "train" else trainer.eval_rng).bit_generator.state
        if state["rng"][key].get("bit_generator") != want["bit_generator"]:
            raise CheckpointError(f"{name} has a {state['rng'][key].get('bit_generator')} "
                                  f"{key} RNG; this run uses {want['bit_generator']}")
    for key in trainer.history:
        if key not in state["history"]:
            raise CheckpointError(f"{name} is incomplete: it has no history/{key} dataset")
    if np.shape(state["reward_stats"]) != np.shape(trainer.reward_stats):
        raise CheckpointError(f"{name} has reward_stats of shape "
                              f"{np.shape(state['reward_stats'])}, expected "
                              f"{np.shape(trainer.reward_stats)}")

    if trainer.config.normalize_inputs:
        saved_norm = state.get("normalizer", {})
        for input_name, dim in (("obs", trainer.info.obs_dim), ("state", trainer.info.state_dim)):
            if input_name not in saved_norm:
                raise CheckpointError(f"{name} has no normalizer/{input_name} statistics, but "
                                      "this run normalises its inputs (normalize_inputs)")
            shape = np.shape(saved_norm[input_name]["lo"])
            if shape != (dim,) or np.shape(saved_norm[input_name]["hi"]) != (dim,):
                raise CheckpointError(f"{name} has normalizer/{input_name} statistics of shape "
                                      f"{shape}, but this run's {input_name} has {dim} features")

    if "buffer" in state:
        buf, live = state["buffer"], trainer.buffer
        if buf["size"] > live.capacity:
            raise CheckpointError(
                f"{name} holds {buf['size']} replay episodes, more than this run's buffer "
                f"capacity of {live.capacity} (buffer_size)")
        for key, arr in live.data.items():
            if key not in buf["data"]:
                raise CheckpointError(f"{name} is incomplete: its buffer has no {key}")
            got = buf["data"][key]
            if got.shape[1:] != arr.shape[1:]:
                raise CheckpointError(f"replay buffer {key} has episodes of shape "
                                      f"{got.shape[1:]} in {name} but {arr.shape[1:]} here")


def _load_state(trainer: "Trainer", state: dict[str, Any], name: str) -> None:
    check_compatible(trainer, state, name)
    state = dict(state)
    if "buffer" not in state:
        state["buffer"] = {"size": 0, "pos": 0,
                           "data": {k: v[:0] for k, v in trainer.buffer.data.items()}}
    backup = trainer.state_dict(include_buffer=True)
    try:
        trainer.load_state_dict(state)
    except Exception as exc:  # noqa: BLE001 - validated above; never leave a half-loaded model
        trainer.load_state_dict(backup)
        raise CheckpointError(f"{name} could not be loaded: {_one_line(exc)}") from exc


def _normal(value: Any) -> Any:
    """JSON round trip: tuples become lists, so saved and live values compare equal."""
    return json.loads(_to_json(value))


# ====================================================================== summary
def summarize(path: str | os.PathLike[str], with_step: bool = False) -> dict[str, Any]:
    """What a run is and how far it got, for `main.py inspect` and the GUI's Open dialog.

    with_step adds one step's inspection: the greedy first decision of a fresh evaluation
    episode (seeded with the run's seed), seen through the loaded networks (needs TensorFlow).
    """
    state = read_checkpoint(path)
    config, info, meta = state["config"], state["info"], state["meta"]
    online = {k: v for k, v in state["variables"].items() if k.startswith("online/")}
    summary: dict[str, Any] = {
        "path": meta["path"],
        "file_size": meta["file_size"],
        "created": meta["created"],
        "format_version": meta["format_version"],
        "scenario": info["name"],
        "scenario_kwargs": config.get("scenario_kwargs", {}),
        "algo": config["algo"],
        "agent": config.get("agent"),
        "seed": config.get("seed"),
        **state["counters"],
        "epsilon": state["epsilon"],
        "last_eval": state["last_eval"],
        "solved": state["solved"],
        "solved_return": info["solved_return"],
        "optimal_return": info["optimal_return"],
        "last_metrics": state["last_metrics"],
        "parameters": int(sum(v.size for v in online.values())),
        "buffer_episodes": state["buffer"]["size"] if "buffer" in state else None,
    }
    if with_step:
        summary["step"] = _first_step(path)
    return summary


def _first_step(path: str | os.PathLike[str]) -> dict[str, Any]:
    trainer = trainer_from_checkpoint(path)
    n = trainer.info.n_agents
    ts = trainer.eval_env.reset(seed=int(trainer.config.seed))
    hidden = np.zeros((trainer.config.n_envs, n, trainer.config.hidden_dim), np.float32)
    last = np.full((trainer.config.n_envs, n), -1, np.int64)
    q, _ = trainer.actor.forward(trainer.actor.inputs(trainer.obs_norm(ts.obs), last), hidden)
    greedy = np.where(ts.avail_actions, q, -np.inf).argmax(-1)  # (C, N)
    inspection = trainer.inspect(ts.obs[0], ts.state[0], ts.avail_actions[0], hidden[0],
                                 last[0], greedy[0])
    return {"t": 0, "obs": ts.obs[0].tolist(), "state": ts.state[0].tolist(),
            "action_names": list(trainer.info.action_names),
            "inspection": inspection.to_json()}


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
