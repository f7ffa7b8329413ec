"""Recording episodes (`main.py record`, qmix/record.py): GIF and MP4 read back with imageio
have the frames and the size asked for, the overlay changes the picture, the run is left
untouched, and every user error is one line with exit status 2 and no file left behind."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from qmix import cli, record
from qmix.checkpoint import save_checkpoint, trainer_from_checkpoint
from qmix.config import make_config
from qmix.trainer import Trainer

SEED = 3


def _trained(scenario: str, updates: int, path: Path) -> Path:
    trainer = Trainer(make_config(scenario, seed=1, learning_starts=8, batch_size=8))
    while trainer.updates < updates:
        trainer.train_iteration()
    save_checkpoint(trainer, path)
    trainer.close()
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Checkpoints trained for a few updates (two_step: 3, pursuit: 1)."""
    folder = tmp_path_factory.mktemp("runs")
    return {"two_step": _trained("two_step", 3, folder / "two.h5"),
            "pursuit": _trained("pursuit", 1, folder / "pursuit.h5")}


@pytest.fixture(scope="module")
def greedy_lengths(runs: dict[str, Path]) -> dict[str, list[int]]:
    """Snapshots (t = 0..T) of the 2 greedy episodes with SEED, played independently of the
    command, from a trainer rebuilt from each file."""
    out = {}
    for name, path in runs.items():
        trainer = trainer_from_checkpoint(path)
        out[name] = [len(e.steps) for e in record.greedy_episodes(trainer, 2, SEED)]
        trainer.close()
    return out


def _read(path: Path) -> np.ndarray:
    if path.suffix == ".gif":
        return iio.imread(path, index=None, plugin="pillow", mode="RGB")
    return np.stack(list(iio.imiter(path, plugin="FFMPEG")))


def _expected_frames(lengths: list[int], fmt: str, fps: float) -> int:
    if fmt == "gif":  # a card, then one GIF frame per step (the hold is a longer delay)
        return sum(1 + n for n in lengths)
    card = round(record.CARD_SECONDS * fps)  # a constant frame rate repeats the card ...
    hold = round(record.HOLD_SECONDS * fps)  # ... and the held last frame
    return sum(card + n + hold for n in lengths)


@pytest.mark.parametrize("scenario, out, size", [
    ("two_step", "demo.gif", (320, 320)),
    ("two_step", "demo.mp4", (320, 256)),
    ("pursuit", "demo.gif", (400, 240)),  # wide: the panel at the right
    ("pursuit", "demo.mp4", (256, 320)),  # tall: the panel below
])
def test_record_writes_every_frame_at_the_size_asked(runs, greedy_lengths, tmp_path, capsys,
                                                     scenario, out, size):
    fps = 10.0
    path = tmp_path / out
    code = cli.main(["record", str(runs[scenario]), "--out", str(path), "--episodes", "2",
                     "--greedy", "--size", f"{size[0]}x{size[1]}", "--fps", "10",
                     "--seed", str(SEED), "--quiet"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    frames = _read(path)
    lengths = greedy_lengths[scenario]
    assert len(lengths) == 2 and all(n >= 2 for n in lengths)
    assert frames.shape[0] == _expected_frames(lengths, path.suffix[1:], fps)
    assert frames.shape[1:] == (size[1], size[0], 3)
    assert f"{frames.shape[0]} frames" in captured.out
    assert os.listdir(tmp_path) == [out]  # no temporary file left


def test_gif_loops_forever_and_holds_cards_and_last_frames(runs, greedy_lengths, tmp_path):
    path = tmp_path / "two.gif"
    assert cli.main(["record", str(runs["two_step"]), "--out", str(path), "--greedy",
                     "--fps", "5", "--seed", str(SEED), "--size", "200x200", "--quiet"]) == 0
    n = greedy_lengths["two_step"][0]
    durations = [iio.immeta(path, index=i, plugin="pillow")["duration"] for i in range(n + 1)]
    assert iio.immeta(path, index=0, plugin="pillow")["loop"] == 0
    step_ms = 1000 / 5
    assert durations == [record.CARD_SECONDS * 1000] + [step_ms] * (n - 1) + [
        step_ms + record.HOLD_SECONDS * 1000]


def test_mp4_is_h264_yuv420p_at_the_frame_rate_asked(runs, tmp_path):
    path = tmp_path / "two.mp4"
    assert cli.main(["record", str(runs["two_step"]), "--out", str(path), "--greedy",
                     "--fps", "12", "--size", "160x128", "--quiet"]) == 0
    meta = iio.immeta(path, plugin="FFMPEG")
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p")
    assert meta["fps"] == 12 and meta["size"] == (160, 128)


def test_an_odd_mp4_size_is_rounded_up_to_even_and_said(runs, tmp_path, capsys):
    path = tmp_path / "odd.mp4"
    assert cli.main(["record", str(runs["two_step"]), "--out", str(path), "--greedy",
                     "--size", "161x121", "--quiet"]) == 0
    assert "161x121 is recorded as 162x122" in capsys.readouterr().err
    assert _read(path).shape[1:3] == (122, 162)


def test_the_overlay_adds_the_q_panel_and_no_overlay_is_the_world_alone(runs):
    from envs.render import RenderOptions, render
    from envs.render.overlay import to_rgb

    trainer = trainer_from_checkpoint(runs["pursuit"])
    try:
        episode = record.greedy_episodes(trainer, 1, SEED)[0]
        names = trainer.info.action_names
    finally:
        trainer.close()
    snap = episode.steps[1]
    size = (360, 360)
    plain = record.draw_snapshot(snap, size, overlay=False, action_names=names)
    world = to_rgb(render(snap.frame, size, RenderOptions(actions=snap.decision.actions)))
    assert np.array_equal(plain, world)
    with_q = record.draw_snapshot(snap, size, overlay=True, action_names=names)
    assert with_q.shape == plain.shape == (360, 360, 3)
    assert not np.array_equal(with_q, plain)
    # the panel (bottom rows) shows text: many more distinct colours than the plain
    # background the world-only frame has there
    assert len(np.unique(with_q[-40:].reshape(-1, 3), axis=0)) > \
        len(np.unique(plain[-40:].reshape(-1, 3), axis=0)) + 20
    # the terminal frame of an episode shows the decision that ended it
    last = record.overlay_data(episode.steps[-1], names)
    assert last.final and len(last.agents) == 3 and last.q_tot_chosen is not None


def test_overlay_shows_each_agents_chosen_action_and_q(runs):
    trainer = trainer_from_checkpoint(runs["pursuit"])
    try:
        snap = record.greedy_episodes(trainer, 1, SEED)[0].steps[0]
        names = list(trainer.info.action_names)
    finally:
        trainer.close()
    data = record.overlay_data(snap, names)
    d = snap.decision
    assert [a.action for a in data.agents] == [names[int(a)] for a in d.actions]
    assert [a.q for a in data.agents] == pytest.approx(
        [float(d.agent_qs[i, int(a)]) for i, a in enumerate(d.actions)])
    assert data.q_tot_chosen == pytest.approx(snap.inspection.q_tot_chosen)
    assert not any(a.explored for a in data.agents)  # greedy


def test_watching_greedy_episodes_leaves_the_run_untouched(runs):
    trainer = trainer_from_checkpoint(runs["two_step"])
    try:
        before = trainer.state_dict()
        first = [len(e.steps) for e in record.greedy_episodes(trainer, 3, SEED)]
        again = [len(e.steps) for e in record.greedy_episodes(trainer, 3, SEED)]
        after = trainer.state_dict()
    finally:
        trainer.close()
    assert first == again == [3, 3, 3]  # t = 0, 1 and the terminal frame
    assert before["counters"] == after["counters"]
    assert before["rng"] == after["rng"]
    assert sorted(before["history"]) == sorted(after["history"])
    for key, value in before["history"].items():
        assert np.array_equal(value, after["history"][key]), key
    assert before["last_eval"] == after["last_eval"]


def test_without_greedy_the_files_last_stored_episodes_are_recorded(runs, tmp_path, capsys):
    from qmix.replay import read_replays

    stored = read_replays(str(runs["pursuit"]))[-2:]
    assert len(stored) == 2  # training keeps copy 0's finished episodes
    path = tmp_path / "stored.gif"
    assert cli.main(["record", str(runs["pursuit"]), "--out", str(path), "--episodes", "2",
                     "--size", "240x240", "--quiet"]) == 0
    assert "stores no episodes" not in capsys.readouterr().err
    assert _read(path).shape[0] == sum(1 + len(r.steps) for r in stored)
    titles = [e.title for e in record.stored_episodes(str(runs["pursuit"]), 2)]
    assert titles == [f"Greedy evaluation {r.number}" if r.kind == "eval" else
                      f"Training episode {r.number}" for r in stored]


def test_a_file_without_stored_episodes_falls_back_to_greedy_and_says_so(tmp_path, capsys):
    trainer = Trainer(make_config("two_step", seed=1, replay_episodes=0,
                                  replay_eval_episodes=0))
    for _ in range(4):  # two episodes played, none kept
        trainer.env_step()
    save_checkpoint(trainer, tmp_path / "bare.h5")
    trainer.close()
    path = tmp_path / "demo.gif"
    assert record.stored_episodes(str(tmp_path / "bare.h5"), 1) == []
    assert cli.main(["record", str(tmp_path / "bare.h5"), "--out", str(path), "--size",
                     "128x128", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "bare.h5 stores no episodes; recording 1 fresh greedy episode instead" in err
    assert _read(path).shape[0] == 1 + 3  # a card, t = 0, 1 and the terminal frame


def _error(capsys, *argv: str) -> str:
    code = cli.main(["record", *argv, "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize("args, says", [
    (["--out", "{tmp}/a.avi"], "must end in .gif or .mp4, got '.avi'"),
    (["--out", "{tmp}/a"], "must end in .gif or .mp4, got 'no extension'"),
    (["--out", "{tmp}/a.gif", "--size", "big"], "--size must be WIDTHxHEIGHT"),
    (["--out", "{tmp}/a.gif", "--size", "10x10"], "between 64 and 4096 pixels a side"),
    (["--out", "{tmp}/a.gif", "--fps", "fast"], "--fps must be a number, got 'fast'"),
    (["--out", "{tmp}/a.gif", "--fps", "60"], "--fps must be between 0.5 and 50 for GIF"),
    (["--out", "{tmp}/a.mp4", "--fps", "0"], "--fps must be between 0.5 and 60 for MP4"),
    (["--out", "{tmp}/a.gif", "--episodes", "0"], "--episodes must be >= 1, got 0"),
    (["--out", "{tmp}/a.gif", "--seed", "x"], "--seed must be a whole number"),
    (["--out", "{tmp}/no/such/folder/a.gif", "--greedy"], "does not exist"),
    ([], "the following arguments are required: --out"),
])
def test_bad_input_is_one_line_and_exit_2(runs, tmp_path, capsys, args, says):
    argv = [str(runs["two_step"])] + [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert says in _error(capsys, *argv)
    assert os.listdir(tmp_path) == []


def test_a_file_that_is_no_checkpoint_is_one_line(tmp_path, capsys):
    bad = tmp_path / "notes.h5"
    bad.write_text("not HDF5")
    line = _error(capsys, str(bad), "--out", str(tmp_path / "a.gif"))
    assert "notes.h5" in line
    assert "a.gif" not in os.listdir(tmp_path)
    assert "nowhere.h5" in _error(capsys, str(tmp_path / "nowhere.h5"), "--out",
                                  str(tmp_path / "a.gif"))


@pytest.mark.parametrize("out", ["full.gif", "full.mp4"])
def test_a_full_disk_leaves_no_file_and_says_so(runs, tmp_path, capsys, monkeypatch, out):
    (tmp_path / out).write_bytes(b"an earlier recording")
    real = record.mp4_repeats if out.endswith(".mp4") else None
    calls = {"n": 0}

    if real is not None:  # the disk fills up half-way through the video
        def repeats(*args):
            calls["n"] += 1
            if calls["n"] > 5:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(*args)

        monkeypatch.setattr(record, "mp4_repeats", repeats)
    else:  # Pillow writes half the file, then the disk is full
        from PIL import Image

        def save(self, fp, *args, **kwargs):
            fp.write(b"GIF89a half")
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(Image.Image, "save", save)
    line = _error(capsys, str(runs["two_step"]), "--out", str(tmp_path / out), "--greedy",
                  "--episodes", "2", "--size", "128x128")
    assert "disk is full" in line
    assert os.listdir(tmp_path) == [out]  # no temporary file
    assert (tmp_path / out).read_bytes() == b"an earlier recording"
