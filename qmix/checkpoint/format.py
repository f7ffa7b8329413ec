"""The HDF5 format of a checkpoint: writer, reader and integrity checks (format version 1).

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
    /replays/<NNNN>/<name> episodes kept for the app's replay, oldest first (qmix/replay.py
                           `encode`): info, frames (JSON as uint8), rewards, decision/*,
                           inspection/*                                       [optional]

The README's "Checkpoint format" section documents every dataset for other tools.

Integrity, in two layers (h5py returns flipped bytes silently unless a dataset has a checksum
filter, docs/facts.md): every dataset is written with `fletcher32=True` *and* carries a
SHA-256 of its little-endian C-order bytes in its `sha256` attribute; the JSON/scalar
attributes are covered by `meta_sha256`. Files use HDF5's v110 format, whose metadata blocks
are checksummed. Reading checks all of it and raises a one-line CheckpointError naming what is
wrong. Only NumPy and h5py here: the GUI can read a file before TensorFlow is loaded.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
from typing import Any, Iterator

import h5py
import numpy as np

from qmix.checkpoint.errors import CheckpointError, one_line as _one_line

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


COUNTER_KEYS = ("env_steps", "episodes", "updates", "next_eval")
"""Counters every file has; others the trainer adds (e.g. learner_updates) are kept too."""


KNOWN_STATE_KEYS = frozenset({"config", "info", "variables", "counters", "epsilon", "rng",
                              "reward_stats", "history", "last_eval", "solved",
                              "last_metrics", "buffer", "meta", "normalizer", "replays"})


NORMALIZER_STATS = ("lo", "hi", "count")


CONFIG_BEFORE = {"normalize_inputs": False, "env_steps_per_update": 0, "scale_rewards": False}
"""Config fields newer than some files, with the value that reproduces how those runs were
trained: files from before input normalisation, reward scaling and the per-env-step update
schedule ran on raw inputs and rewards with `updates_per_rollout`."""


INFO_KEYS = ("name", "n_agents", "n_actions", "obs_dim", "state_dim", "episode_limit",
             "action_names", "solved_return", "optimal_return")


# ====================================================================== writing
def write_state(f: h5py.File, state: dict[str, Any]) -> None:
    config, info = state["config"], state["info"]
    f.attrs["format_version"] = np.int64(FORMAT_VERSION)
    f.attrs["app"] = APP
    f.attrs["created"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    f.attrs["config"] = to_json(config)
    f.attrs["scenario"] = to_json(info)
    f.attrs["algo"] = str(config["algo"])
    f.attrs["last_eval"] = to_json(state.get("last_eval"))
    f.attrs["solved"] = bool(state.get("solved", False))
    f.attrs["last_metrics"] = to_json(state.get("last_metrics", {}))
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
        rng.attrs[key] = to_json(value)

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
            extra.attrs[key] = to_json(value)

    if "buffer" in state:
        buf = state["buffer"]
        group = f.create_group("buffer")
        group.attrs["size"] = np.int64(buf["size"])
        group.attrs["pos"] = np.int64(buf["pos"])
        group.attrs["capacity"] = np.int64(state["config"]["buffer_size"])
        for key in sorted(buf["data"]):
            _put(group, key, buf["data"][key], compress=True)

    if state.get("replays"):
        write_replays(f, state["replays"])

    f.attrs["meta_sha256"] = _meta_digest(f)


def write_replays(f: h5py.File, replays: list[dict[str, np.ndarray]]) -> None:
    """/replays/<NNNN>/<name>: one group per kept episode, oldest first; every dataset
    checksummed like the others (no attributes besides sha256, so files stay readable by
    versions that know nothing of replays)."""
    group = f.create_group("replays")
    for i, arrays in enumerate(replays):
        episode = group.create_group(f"{i:04d}")
        for key in sorted(arrays):
            _put(episode, key, arrays[key], compress=key == "frames")


def read_replays(f: h5py.File, name: str) -> list[dict[str, np.ndarray]]:
    """The /replays arrays ([] for a file without them), checksums checked."""
    if "replays" not in f:
        return []
    out = []
    for key in sorted(f["replays"]):
        arrays = {path: _get(ds, name) for path, ds in _datasets(f["replays"][key])}
        for required in ("info", "frames", "rewards"):
            if required not in arrays:
                raise CheckpointError(f"{name} is incomplete: replays/{key} has no "
                                      f"{required} dataset")
        out.append(arrays)
    return out


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


def to_json(value: Any) -> str:
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
def check_header(f: h5py.File, name: str) -> int:
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


def read_state(f: h5py.File, name: str) -> dict[str, Any]:
    version = check_header(f, name)
    attrs = f.attrs

    config = json_attr(f, "config", name)
    info = json_attr(f, "scenario", name)
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

    rng = {key: json_attr(f["rng"], key, name) for key in f["rng"].attrs}
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
        "last_eval": json_attr(f, "last_eval", name),
        "solved": bool(attrs.get("solved", False)),
        "last_metrics": json_attr(f, "last_metrics", name),
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
            state[key] = json_attr(f["extra"], key, name)
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
    if "replays" in f:
        state["replays"] = read_replays(f, name)
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


def json_attr(group: h5py.Group, key: str, name: str) -> Any:
    if key not in group.attrs:
        where = f"{group.name.rstrip('/')}/{key}" if group.name != "/" else key
        raise CheckpointError(f"{name} is incomplete: it has no {where} attribute")
    try:
        return json.loads(_plain(group.attrs[key]))
    except (TypeError, ValueError):
        raise CheckpointError(f"{name} is damaged: attribute {key} is not valid JSON") from None
