"""Whole-run checkpoints: round trip, exact resume in a fresh process, and every way a file or a
folder can be wrong -- each a clear one-line CheckpointError, the live run untouched and no
earlier file lost."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

from qmix import checkpoint
from qmix.checkpoint import CheckpointError, load_into, read_checkpoint, save_checkpoint
from qmix.config import make_config
from qmix.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]
SEED = 1
EVAL_INTERVAL = 48  # small, so evaluations (and the eval RNG, eval history) are exercised


def two_step_config(**overrides):
    return make_config("two_step", seed=SEED, eval_interval=EVAL_INTERVAL, **overrides)


def train_until(trainer: Trainer, updates: int) -> Trainer:
    """Train until `updates` updates; that happens at the end of a rollout (a boundary)."""
    while trainer.updates < updates:
        trainer.train_iteration()
    assert trainer.updates == updates
    return trainer


KNOWN = {"config", "info", "variables", "counters", "epsilon", "rng", "reward_stats",
         "history", "last_eval", "solved", "last_metrics", "buffer"}


def _plain(value):
    return value.tolist() if isinstance(value, np.ndarray) else value.item()


def assert_states_equal(a: dict, b: dict, same_config: bool = True) -> None:
    """Two state dicts hold the same run (JSON parts compared after a JSON round trip).
    same_config=False: b is a trainer built with another seed that loaded a's run."""
    assert sorted(a["variables"]) == sorted(b["variables"])
    for key, value in a["variables"].items():
        assert np.array_equal(value, b["variables"][key]), key
        assert np.asarray(value).dtype == np.asarray(b["variables"][key]).dtype, key
    assert a["counters"] == b["counters"]
    assert a["epsilon"] == b["epsilon"]
    assert a["rng"]["train"] == b["rng"]["train"]
    assert a["rng"]["eval"] == b["rng"]["eval"]
    assert np.array_equal(a["reward_stats"], b["reward_stats"])
    assert sorted(a["history"]) == sorted(b["history"])
    for key in a["history"]:
        assert np.array_equal(a["history"][key], b["history"][key]), key
    assert a["last_eval"] == b["last_eval"]
    assert a["solved"] == b["solved"]
    assert a["last_metrics"] == b["last_metrics"]
    if same_config:
        assert json.loads(json.dumps(a["config"])) == json.loads(json.dumps(b["config"]))
    assert json.loads(json.dumps(a["info"])) == json.loads(json.dumps(b["info"]))
    extra = set(a) - KNOWN
    assert extra == set(b) - KNOWN - {"meta"}
    for key in extra:  # further engine state (e.g. pending_updates), kept verbatim
        assert json.loads(json.dumps(a[key], default=_plain)) == \
            json.loads(json.dumps(b[key], default=_plain)), key
    assert ("buffer" in a) == ("buffer" in b)
    if "buffer" in a:
        assert a["buffer"]["size"] == b["buffer"]["size"]
        assert a["buffer"]["pos"] == b["buffer"]["pos"]
        assert sorted(a["buffer"]["data"]) == sorted(b["buffer"]["data"])
        for key, value in a["buffer"]["data"].items():
            got = b["buffer"]["data"][key]
            assert np.array_equal(value, got) and value.dtype == got.dtype, key


@pytest.fixture(scope="module")
def trainer() -> Trainer:
    """A two-step run after 6 updates and a few evaluations (shared: tests must not change
    it, and the rejection tests check exactly that)."""
    run = train_until(Trainer(two_step_config()), 6)
    assert run.history["eval_return"], "the fixture should have evaluated at least once"
    return run


@pytest.fixture(scope="module")
def saved(trainer: Trainer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ckpt") / "run.h5"
    save_checkpoint(trainer, path, include_buffer=True)
    return path


@pytest.fixture
def good_copy(saved: Path, tmp_path: Path) -> Path:
    """A private copy of the good checkpoint, for tests that damage or replace it."""
    path = tmp_path / "run.h5"
    shutil.copyfile(saved, path)
    return path


def assert_rejected(trainer: Trainer, path: Path | str, *words: str) -> str:
    """load_into fails with one line naming the problem, and the trainer is unchanged."""
    before = trainer.state_dict(include_buffer=True)
    with pytest.raises(CheckpointError) as info:
        load_into(trainer, path)
    message = str(info.value)
    assert "\n" not in message and message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert_states_equal(before, trainer.state_dict(include_buffer=True))
    return message


def assert_loadable(path: Path, trainer: Trainer) -> None:
    state = read_checkpoint(path)
    assert state["counters"]["updates"] == trainer.updates
    checkpoint.check_compatible(trainer, state)


# ============================================================================ round trip
def test_round_trip_keeps_every_part_of_the_run(trainer: Trainer, saved: Path) -> None:
    state = read_checkpoint(saved)
    assert_states_equal(trainer.state_dict(include_buffer=True), state)
    assert state["buffer"]["size"] > 0
    assert any(k.startswith("optimizer/m/") for k in state["variables"])  # Adam slots
    assert state["variables"]["optimizer/step"].shape == ()
    assert state["meta"]["format_version"] == checkpoint.FORMAT_VERSION


def test_further_engine_state_is_kept_verbatim(trainer: Trainer, tmp_path: Path) -> None:
    state = trainer.state_dict()
    state["pending_thing"] = [{"loss": 0.5, "q_tot": 1.25}]
    state["extra_array"] = np.arange(6, dtype=np.int16).reshape(2, 3)
    state["counters"] = {**state["counters"], "another_counter": 7}
    checkpoint.save_state(state, tmp_path / "extra.h5")
    back = read_checkpoint(tmp_path / "extra.h5")
    assert back["pending_thing"] == [{"loss": 0.5, "q_tot": 1.25}]
    assert np.array_equal(back["extra_array"], state["extra_array"])
    assert back["extra_array"].dtype == np.int16
    assert back["counters"]["another_counter"] == 7


def test_file_uses_stable_names_checksums_and_compression(saved: Path) -> None:
    with h5py.File(saved, "r") as f:
        assert f.attrs["format_version"] == checkpoint.FORMAT_VERSION
        assert f.attrs["app"] == "qmix-studio"
        assert json.loads(f.attrs["config"])["scenario"] == "two_step"
        assert json.loads(f.attrs["scenario"])["name"] == "two_step"
        for name in ("online/agent/fc1/w", "online/agent/gru/w_input",
                     "target/mixer/hyper_w1/0/w", "optimizer/v/mixer/v/1/b"):
            assert f"variables/{name}" in f, name
        datasets = []
        f.visititems(lambda n, o: datasets.append(o) if isinstance(o, h5py.Dataset) else None)
        assert datasets
        for ds in datasets:
            assert ds.fletcher32, ds.name
            assert len(ds.attrs["sha256"]) == 64, ds.name
        assert f["buffer/obs"].compression == "gzip"
        assert f["history/eval_return"].shape[1] == 2


def test_load_into_a_fresh_trainer_restores_the_run(trainer: Trainer, saved: Path) -> None:
    other = Trainer(make_config("two_step", seed=99, eval_interval=EVAL_INTERVAL))
    load_into(other, saved)
    assert_states_equal(trainer.state_dict(include_buffer=True),
                        other.state_dict(include_buffer=True), same_config=False)
    assert other.updates == trainer.updates and other.env_steps == trainer.env_steps


def test_without_buffer_the_file_is_smaller_and_the_loaded_buffer_is_empty(
        trainer: Trainer, saved: Path, tmp_path: Path) -> None:
    path = tmp_path / "weights_only.h5"
    save_checkpoint(trainer, path)
    assert path.stat().st_size < saved.stat().st_size
    assert "buffer" not in read_checkpoint(path)
    other = Trainer(make_config("two_step", seed=99, eval_interval=EVAL_INTERVAL))
    load_into(other, saved)
    assert other.buffer.size > 0
    load_into(other, path)  # the loaded run is what the file holds, whatever ran before
    assert other.buffer.size == 0
    assert other.updates == trainer.updates


def test_read_config_checks_only_the_header(trainer: Trainer, saved: Path,
                                           good_copy: Path) -> None:
    assert checkpoint.read_config(saved) == json.loads(json.dumps(trainer.config.to_dict()))
    with h5py.File(good_copy, "r+") as f:
        f.attrs["format_version"] = np.int64(checkpoint.FORMAT_VERSION + 1)
    with pytest.raises(CheckpointError, match="newer"):
        checkpoint.read_config(good_copy)


def test_trainer_from_checkpoint_rebuilds_the_run_from_the_file(trainer: Trainer,
                                                                 saved: Path) -> None:
    rebuilt = checkpoint.trainer_from_checkpoint(saved)
    assert rebuilt.config == trainer.config
    assert_states_equal(trainer.state_dict(include_buffer=True),
                        rebuilt.state_dict(include_buffer=True))


def test_summary_names_scenario_algo_counters_and_one_step(trainer: Trainer,
                                                           saved: Path) -> None:
    summary = checkpoint.summarize(saved, with_step=True)
    assert summary["scenario"] == "two_step" and summary["algo"] == "qmix"
    assert summary["updates"] == trainer.updates
    assert summary["env_steps"] == trainer.env_steps
    assert summary["last_eval"] == trainer.last_eval
    assert summary["file_size"] == saved.stat().st_size
    assert summary["buffer_episodes"] == trainer.buffer.size
    inspection = summary["step"]["inspection"]
    assert np.shape(inspection["agent_qs"]) == (2, 2)
    assert isinstance(inspection["q_tot_chosen"], float)
    json.dumps(summary)  # plain data


# ============================================================================ exact resume
RESUME_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    from qmix import checkpoint
    path, more, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    trainer = checkpoint.trainer_from_checkpoint(path)
    target = trainer.updates + more
    while trainer.updates < target:
        trainer.train_iteration()
    checkpoint.save_checkpoint(trainer, out, include_buffer=True)
""")


def test_resume_in_a_fresh_process_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    n, m = 6, 6
    path = tmp_path / "at_n.h5"
    save_checkpoint(train_until(Trainer(two_step_config()), n), path, include_buffer=True)

    script = tmp_path / "resume.py"
    script.write_text(RESUME_SCRIPT)
    out = tmp_path / "resumed.h5"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen([sys.executable, str(script), str(path), str(m), str(out)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    # Meanwhile, the same run never interrupted (and never saved) for N + M updates.
    uninterrupted = train_until(Trainer(two_step_config()), n + m)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr[-2000:]

    resumed = read_checkpoint(out)
    assert resumed["counters"]["updates"] == n + m
    assert_states_equal(uninterrupted.state_dict(include_buffer=True), resumed)


# ============================================================================ damaged files
def test_empty_file_is_rejected(trainer: Trainer, tmp_path: Path) -> None:
    path = tmp_path / "empty.h5"
    path.write_bytes(b"")
    assert_rejected(trainer, path, "empty")


def test_non_hdf5_file_is_rejected(trainer: Trainer, tmp_path: Path) -> None:
    path = tmp_path / "notes.h5"
    path.write_text("these are not the weights you are looking for\n" * 20)
    assert_rejected(trainer, path, "not an HDF5 file")


def test_truncated_file_is_rejected(trainer: Trainer, good_copy: Path) -> None:
    data = good_copy.read_bytes()
    good_copy.write_bytes(data[: len(data) // 2])
    assert_rejected(trainer, good_copy, "truncated")


def _flip_byte_in(path: Path, dataset: str, index: int = 5) -> None:
    with h5py.File(path, "r") as f:
        ds = f[dataset]
        # fletcher32 makes every dataset chunked: flip inside the first chunk's data.
        offset = ds.id.get_chunk_info(0).byte_offset if ds.chunks else ds.id.get_offset()
        assert offset is not None and index < ds.id.get_storage_size()
    with open(path, "r+b") as fh:
        fh.seek(offset + index)
        byte = fh.read(1)
        fh.seek(offset + index)
        fh.write(bytes([byte[0] ^ 0x5A]))


def test_flipped_bytes_in_a_weight_dataset_are_detected(trainer: Trainer,
                                                        good_copy: Path) -> None:
    _flip_byte_in(good_copy, "variables/online/agent/fc1/w")
    assert_rejected(trainer, good_copy, "damaged", "variables/online/agent/fc1/w")


def test_values_changed_without_updating_the_checksum_are_detected(
        trainer: Trainer, good_copy: Path) -> None:
    # A tool that rewrites a dataset keeps fletcher32 consistent; the SHA-256 still catches it.
    with h5py.File(good_copy, "r+") as f:
        ds = f["variables/target/mixer/hyper_w1/0/w"]
        ds[0, 0] = ds[0, 0] + 1.0
    assert_rejected(trainer, good_copy, "SHA-256", "variables/target/mixer/hyper_w1/0/w")


def test_edited_metadata_is_detected(trainer: Trainer, good_copy: Path) -> None:
    with h5py.File(good_copy, "r+") as f:
        f["counters"].attrs["updates"] = 10_000
    assert_rejected(trainer, good_copy, "metadata", "checksum")


@pytest.mark.parametrize("dataset", ["variables/online/mixer/v/0/w", "history/loss",
                                     "buffer/avail_actions"])
def test_missing_dataset_is_named(trainer: Trainer, good_copy: Path, dataset: str) -> None:
    with h5py.File(good_copy, "r+") as f:
        del f[dataset]
    assert_rejected(trainer, good_copy, dataset.split("/", 1)[1])


@pytest.mark.parametrize("version, word", [(checkpoint.FORMAT_VERSION + 1, "newer"),
                                           (0, "older")])
def test_wrong_format_version_names_both_versions(trainer: Trainer, good_copy: Path,
                                                  version: int, word: str) -> None:
    with h5py.File(good_copy, "r+") as f:
        f.attrs["format_version"] = np.int64(version)
    message = assert_rejected(trainer, good_copy, word, str(version),
                              str(checkpoint.FORMAT_VERSION))
    assert "format version" in message


def test_an_hdf5_file_that_is_no_checkpoint_is_rejected(trainer: Trainer,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)
    assert_rejected(trainer, path, "not a QMIX Studio checkpoint")


# ============================================================================ wrong runs
def test_checkpoint_of_another_scenario_names_both(trainer: Trainer, tmp_path: Path) -> None:
    other = Trainer(make_config("pursuit", seed=0, n_envs=1, batch_size=4, buffer_size=8,
                                learning_starts=4, hidden_dim=8))
    path = tmp_path / "pursuit.h5"
    save_checkpoint(other, path)
    assert_rejected(trainer, path, "'pursuit'", "'two_step'")


def test_checkpoint_of_another_scenario_setting_names_it(trainer: Trainer,
                                                         tmp_path: Path) -> None:
    other = Trainer(make_config("two_step", seed=SEED, scenario_kwargs={"payoff_2a": 6.0}))
    path = tmp_path / "payoff.h5"
    save_checkpoint(other, path)
    assert_rejected(trainer, path, "payoff_2a", "6.0")


def test_checkpoint_of_another_network_size_names_variable_and_shapes(
        trainer: Trainer, tmp_path: Path) -> None:
    other = Trainer(make_config("two_step", seed=SEED, hidden_dim=16))
    path = tmp_path / "small.h5"
    save_checkpoint(other, path)
    live = trainer.variable_shapes()
    first = next(iter(live))
    message = assert_rejected(trainer, path, first, "hidden_dim 16 vs 32")
    assert str(tuple(other.variable_shapes()[first])) in message
    assert str(tuple(live[first])) in message


def test_checkpoint_of_another_algo_names_both(trainer: Trainer, tmp_path: Path) -> None:
    other = Trainer(make_config("two_step", algo="vdn", seed=SEED))
    path = tmp_path / "vdn.h5"
    save_checkpoint(other, path)
    assert_rejected(trainer, path, "'vdn'", "'qmix'")


def test_buffer_larger_than_the_runs_capacity_is_rejected(saved: Path) -> None:
    small = Trainer(make_config("two_step", seed=SEED, buffer_size=32, batch_size=32))
    assert read_checkpoint(saved)["buffer"]["size"] > 32
    assert_rejected(small, saved, "capacity")


# ============================================================================ paths
def test_a_directory_is_rejected(trainer: Trainer, tmp_path: Path) -> None:
    assert_rejected(trainer, tmp_path, "folder")


def test_a_missing_file_is_rejected(trainer: Trainer, tmp_path: Path) -> None:
    assert_rejected(trainer, tmp_path / "nope.h5", "no such file")


def test_an_unreadable_file_is_rejected(trainer: Trainer, good_copy: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    good_copy.chmod(0)
    if os.geteuid() == 0:  # root reads anything: simulate what the OS says to a user
        real_open = os.open

        def deny(path, flags, *args, **kwargs):
            if os.fspath(path) == os.fspath(good_copy):
                raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", deny)
    try:
        assert_rejected(trainer, good_copy, "permission denied")
    finally:
        monkeypatch.undo()
        good_copy.chmod(0o644)
    assert_loadable(good_copy, trainer)


# ============================================================================ failed saves
def _folder_contents(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_saving_into_a_read_only_folder_fails_cleanly(trainer: Trainer, good_copy: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    folder = good_copy.parent
    before = good_copy.read_bytes()
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root may write anywhere: simulate the denial
        real_open = os.open

        def deny(path, flags, *args, **kwargs):
            if flags & os.O_CREAT and Path(path).parent == folder:
                raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", deny)
    try:
        with pytest.raises(CheckpointError) as info:
            save_checkpoint(trainer, good_copy, include_buffer=True)
    finally:
        monkeypatch.undo()
        folder.chmod(0o755)
    message = str(info.value)
    assert "permission denied" in message and "\n" not in message
    assert good_copy.read_bytes() == before
    assert _folder_contents(folder) == ["run.h5"]
    assert_loadable(good_copy, trainer)


def _fail_after(calls: int, real):
    count = {"n": 0}

    def fail(*args, **kwargs):
        count["n"] += 1
        if count["n"] > calls:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    return fail


@pytest.mark.parametrize("where", ["create_dataset", "fsync", "replace"])
def test_a_full_disk_during_a_save_keeps_the_earlier_file(
        trainer: Trainer, good_copy: Path, monkeypatch: pytest.MonkeyPatch,
        where: str) -> None:
    before = good_copy.read_bytes()
    if where == "create_dataset":  # the disk fills up half-way through the datasets
        monkeypatch.setattr(h5py.Group, "create_dataset",
                            _fail_after(10, h5py.Group.create_dataset))
    elif where == "fsync":
        monkeypatch.setattr(os, "fsync", _fail_after(0, os.fsync))
    else:
        monkeypatch.setattr(os, "replace", _fail_after(0, os.replace))
    with pytest.raises(CheckpointError) as info:
        save_checkpoint(trainer, good_copy, include_buffer=True)
    monkeypatch.undo()
    message = str(info.value)
    assert "disk is full" in message and "unchanged" in message and "\n" not in message
    assert good_copy.read_bytes() == before
    assert _folder_contents(good_copy.parent) == ["run.h5"]  # no temporary file left
    assert_loadable(good_copy, trainer)


def test_saving_onto_a_folder_or_into_a_missing_folder_fails_cleanly(
        trainer: Trainer, tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="folder, not a file"):
        save_checkpoint(trainer, tmp_path)
    with pytest.raises(CheckpointError, match="does not exist"):
        save_checkpoint(trainer, tmp_path / "missing" / "run.h5")
    assert _folder_contents(tmp_path) == []


def test_a_save_replaces_the_earlier_file_whole(trainer: Trainer, tmp_path: Path) -> None:
    path = tmp_path / "run.h5"
    path.write_text("an older, unrelated file")
    save_checkpoint(trainer, path)
    assert_loadable(path, trainer)
    assert _folder_contents(tmp_path) == ["run.h5"]


# ============================================================================ CLI
def _main_py(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_cli_saves_inspects_and_resumes_a_run(tmp_path: Path) -> None:
    path = tmp_path / "X.h5"
    train = ["train", "--scenario", "two_step", "--seed", "1", "--quiet"]
    proc = _main_py(*train, "--steps", "600", "--save", str(path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    first = read_checkpoint(path)["counters"]

    proc = _main_py("inspect", str(path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)
    assert summary["scenario"] == "two_step" and summary["algo"] == "qmix"
    assert summary["env_steps"] == first["env_steps"] and summary["updates"] > 0
    assert summary["last_eval"] is not None

    proc = _main_py(*train, "--steps", "200", "--resume", str(path), "--save", str(path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    second = read_checkpoint(path)["counters"]
    assert second["env_steps"] >= first["env_steps"] + 200
    assert second["updates"] > first["updates"] and second["episodes"] > first["episodes"]


@pytest.mark.parametrize("command", ["inspect", "resume"])
def test_cli_reports_a_damaged_file_in_one_line(tmp_path: Path, command: str) -> None:
    path = tmp_path / "bad.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)  # an HDF5 signature, then nothing
    if command == "inspect":
        proc = _main_py("inspect", str(path))
    else:
        proc = _main_py("train", "--scenario", "two_step", "--steps", "16", "--quiet",
                        "--resume", str(path))
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("error: ") and "bad.h5" in lines[-1], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not [line for line in lines if line.startswith("error")][1:]
