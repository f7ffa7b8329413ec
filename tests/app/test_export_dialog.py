"""File ▸ Export episode (app/export_dialog.py): the dialog's choices, and exports through
the real worker of a real two_step run: the file read back has the frames and size asked
for, the encoding runs off the GUI thread, errors are one line, Cancel leaves no file."""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace

import imageio.v3 as iio
import numpy as np
import pytest
from studio_helpers import close_window, make_window, wait_idle, wait_until

from app.export_dialog import ExportDialog, ExportSettings, with_format
from qmix import record


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory):
    w = make_window(tmp_path_factory.mktemp("export"))
    yield w
    close_window(w)


def test_the_dialog_follows_the_format_size_and_source(qapp, tmp_path):
    initial = ExportSettings(path=str(tmp_path / "run.gif"), size=(641, 480), fps=8)
    dialog = ExportDialog(initial, scrubber=False)
    assert not dialog.size_note.isVisible() and dialog.size_note.text() == ""  # GIF: any size
    dialog.format_box.setCurrentIndex(1)  # MP4
    assert dialog.path_edit.text() == str(tmp_path / "run.mp4")
    assert "641x480 is recorded as 642x480" in dialog.size_note.text()
    assert not dialog.source_box.model().item(0).isEnabled()  # no scrubber episode
    assert dialog.source_box.currentData() == "last"
    dialog.preset_box.setCurrentIndex(1)
    dialog.overlay_box.setChecked(False)
    dialog.source_box.setCurrentIndex(2)
    dialog.count_spin.setValue(3)
    got = dialog.settings()
    assert (got.path, got.size, got.overlay, got.source, got.episodes, got.format) == (
        str(tmp_path / "run.mp4"), (640, 640), False, "greedy", 3, "mp4")
    assert dialog.fps_spin.maximum() == record.MAX_FPS["mp4"]
    dialog.path_edit.setText(str(tmp_path / "typed"))  # no extension: the format's is added
    assert dialog.settings().path == str(tmp_path / "typed.mp4")


def test_the_dialog_refuses_a_folder_that_does_not_exist(qapp, tmp_path):
    dialog = ExportDialog(ExportSettings(path=str(tmp_path / "no" / "a.gif")), scrubber=True)
    dialog._accept()
    assert "does not exist" in dialog.error_label.text()
    assert dialog.result() == 0  # not accepted
    assert with_format("demo.GIF", "mp4") == "demo.mp4"
    assert with_format("demo", "gif") == "demo.gif"


def _export(window, settings: ExportSettings) -> list:
    results: list = []
    window.episode_export.finished.connect(results.append)
    window.episode_export.failed.connect(results.append)
    try:
        assert window.episode_export.start(settings)
        wait_until(lambda: results, 120, "the export to end")
    finally:
        window.episode_export.finished.disconnect(results.append)
        window.episode_export.failed.disconnect(results.append)
    assert window.episode_export.wait(10)
    return results


def test_greedy_episodes_export_as_mp4_off_the_gui_thread(window, tmp_path, monkeypatch):
    wait_idle(window)
    before = (window.controller.worker.trainer.env_steps, window.controller.worker.trainer.
              eval_rng.bit_generator.state)
    threads = []
    real = record.record

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(record, "record", spy)
    path = tmp_path / "greedy.mp4"
    fps = 10.0
    [result] = _export(window, ExportSettings(path=str(path), size=(256, 192), fps=fps,
                                              source="greedy", episodes=2, seed=3))
    assert isinstance(result, record.Recording), result
    assert threads and threads[0] is not threading.main_thread()
    frames = np.stack(list(iio.imiter(path, plugin="FFMPEG")))
    # two_step: every episode is t = 0, 1 and its terminal frame
    per_episode = round(record.CARD_SECONDS * fps) + 3 + round(record.HOLD_SECONDS * fps)
    assert frames.shape == (2 * per_episode, 192, 256, 3)
    assert "Exported greedy.mp4: 2 episodes" in window.status.left_text()
    trainer = window.controller.worker.trainer  # the run is untouched
    assert (trainer.env_steps, trainer.eval_rng.bit_generator.state) == before


def test_the_last_finished_episode_exports_as_gif(window, tmp_path):
    wait_idle(window)
    path = tmp_path / "last.gif"
    [result] = _export(window, ExportSettings(path=str(path), size=(200, 160), fps=5,
                                              source="last", overlay=False))
    assert isinstance(result, record.Recording), result
    frames = iio.imread(path, index=None, plugin="pillow", mode="RGB")
    assert frames.shape == (1 + 3, 160, 200, 3)  # a card, then t = 0, 1, terminal
    stored = getattr(window.controller.worker.trainer, "replays", None)
    if not stored:  # no stored episode yet: a fresh greedy one, and the status bar says so
        assert "exported a fresh greedy one" in window.status.left_text()


def test_an_export_error_is_one_line_and_cancel_leaves_no_file(window, tmp_path):
    wait_idle(window)
    [message] = _export(window, ExportSettings(path=str(tmp_path / "no" / "x.gif"),
                                               source="greedy"))
    assert message.startswith("Export failed: ") and "does not exist" in message
    assert "\n" not in message and window.banner.isVisible()
    window.banner.hide()

    results: list = []
    export = window.episode_export
    export.failed.connect(results.append)
    assert export.start(ExportSettings(path=str(tmp_path / "c.mp4"), source="greedy",
                                       episodes=3))
    assert not export.start(ExportSettings(path=str(tmp_path / "d.mp4")))  # one at a time
    export.cancel()
    wait_until(lambda: results, 60, "the cancelled export")
    export.failed.disconnect(results.append)
    assert results == ["cancelled"] and export.wait(10)
    assert os.listdir(tmp_path) == []  # neither file nor temporary file


def test_export_is_a_file_menu_action_with_a_shortcut(window):
    rows = dict(window.acts.shortcut_rows())
    assert any("GIF or MP4" in what for what in rows.values())
    assert window.acts["export"].shortcut().toString() == "Ctrl+E"
    file_menu = window.menuBar().actions()[0].menu()
    assert window.acts["export"] in file_menu.actions()


def test_the_scrubbers_episode_is_offered_first_and_exported(window, tmp_path, monkeypatch):
    window.controller.step_episode()  # a finished training episode the run keeps
    wait_idle(window, 60)
    replay = window.controller.worker.trainer.replays[-1]  # read while the worker is idle
    export = window.episode_export
    # the replay scrubber (app/replay_bar.py) showing it
    monkeypatch.setattr(window, "replay", SimpleNamespace(active=True, episode=replay),
                        raising=False)
    export.last_settings = None  # a first export: the scrubber's episode is the default
    settings = export.default_settings()
    dialog = ExportDialog(settings, scrubber=True)
    assert dialog.source_box.model().item(0).isEnabled()
    assert dialog.settings().source == "scrubber"
    path = tmp_path / "scrubbed.gif"
    [result] = _export(window, ExportSettings(path=str(path), size=(160, 160), fps=4,
                                              source="scrubber"))
    assert isinstance(result, record.Recording), result
    frames = iio.imread(path, index=None, plugin="pillow", mode="RGB")
    assert frames.shape == (1 + len(replay.steps), 160, 160, 3)
    assert replay.kind == "train" and len(replay.steps) == 3
    monkeypatch.setattr(window, "replay", SimpleNamespace(active=False, episode=replay),
                        raising=False)
    assert export._scrubber() is None  # replay left: no scrubber episode
