"""Modal dialogs (app/modal.py): training pauses while any is open and resumes after if it
was playing; the Save / Discard / Cancel prompt has Save as the default (Enter), Escape
cancels, every button a mnemonic; F1 opened and closed again and again is one dialog."""

from __future__ import annotations

from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox
from fakes import FakeTrainer
from studio_helpers import close_window, make_window, spin, wait_until

from app.actions import ShortcutsBox
from app.modal import (CANCEL, DISCARD, SAVE, ModalPause, ask_save_discard, paused_for,
                       save_discard_box)
from app.worker import Phase


class Controller:
    def __init__(self, playing: bool) -> None:
        self.playing = playing
        self.calls: list[str] = []

    def wants_play(self) -> bool:
        return self.playing

    def pause(self) -> None:
        self.playing = False
        self.calls.append("pause")

    def play(self) -> None:
        self.playing = True
        self.calls.append("play")


def test_nested_dialogs_pause_once_and_resume_once(qapp):
    controller = Controller(playing=True)
    guard = ModalPause(controller)
    with guard.hold():
        assert controller.calls == ["pause"]
        with guard.hold():  # a file dialog from inside the prompt
            assert guard.depth == 2
        assert controller.calls == ["pause"] and not controller.playing
    assert controller.calls == ["pause", "play"] and guard.depth == 0
    paused = Controller(playing=False)
    guard = ModalPause(paused)
    with guard.hold():
        pass
    assert paused.calls == []  # it was not playing: nothing to resume
    controller = Controller(playing=True)
    guard = ModalPause(controller)
    with guard.hold():
        guard.keep_paused()  # the answer replaces or closes the run
    assert controller.calls == ["pause"]


def answer_next(key: Any, seen: list | None = None) -> None:
    """Press `key` in the next modal dialog once it is up."""
    def press() -> None:
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(10, press)
            return
        if seen is not None:
            seen.append(box)
        QTest.keyClick(box, key)

    QTimer.singleShot(10, press)


@pytest.mark.parametrize(("key", "choice"), [(Qt.Key_Return, SAVE), (Qt.Key_Enter, SAVE),
                                             (Qt.Key_S, SAVE), (Qt.Key_D, DISCARD),
                                             (Qt.Key_C, CANCEL), (Qt.Key_Escape, CANCEL)])
def test_save_discard_cancel_answers_the_keyboard(qapp, key, choice):
    box = save_discard_box(None, "Open another run anyway?")
    texts = {b.property("choice"): b.text() for b in box.buttons()}
    assert texts == {SAVE: "&Save", DISCARD: "&Discard", CANCEL: "&Cancel"}
    assert box.defaultButton().property("choice") == SAVE
    assert box.escapeButton().property("choice") == CANCEL
    box.deleteLater()
    answer_next(key)
    assert ask_save_discard(None, "Open another run anyway?") == choice


@pytest.fixture(scope="module")
def fake_studio(qapp, tmp_path_factory):
    window = make_window(tmp_path_factory.mktemp("modal"), trainer_factory=FakeTrainer)
    yield window
    close_window(window)


def playing(window) -> None:
    window.play()
    wait_until(lambda: window.controller.worker.phase is Phase.RUNNING, 20, "training")


def test_quit_prompt_pauses_training_and_cancel_resumes_it(fake_studio):
    window = fake_studio
    playing(window)
    states: list[tuple[bool, Phase]] = []

    def look() -> None:
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(10, look)
            return
        spin(0.3)  # the worker has had time to stop
        states.append((window.controller.wants_play(), window.controller.worker.phase))
        QTest.keyClick(box, Qt.Key_Escape)

    window.session.confirm = True
    window.session.progress(10**6, 10**3)  # unsaved progress: the prompt is asked
    QTimer.singleShot(10, look)
    try:
        assert window.session.may_close() is False  # cancelled
    finally:
        window.session.confirm = False
    assert states == [(False, Phase.PAUSED)]  # paused while the question was open
    wait_until(lambda: window.controller.worker.phase is Phase.RUNNING, 20, "resumed")
    window.pause()


def test_f1_pauses_until_closed_and_is_one_dialog_however_often(fake_studio):
    window = fake_studio
    playing(window)
    boxes = set()
    for _ in range(5):
        window.acts["shortcuts"].trigger()
        box = QApplication.activeModalWidget()
        assert isinstance(box, ShortcutsBox)
        boxes.add(shiboken6.getCppPointer(box)[0])
        spin(0.1)
        assert not window.controller.wants_play()  # paused while F1 is open
        box.done(0)
        spin(0.05)
        assert window.controller.wants_play()  # and resumed
    # the prompts of the other tests were deleted (deleteLater), F1 is one dialog
    QApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    assert len(window.findChildren(ShortcutsBox)) == 1 and len(boxes) == 1
    assert window.modal.depth == 0
    window.pause()


def test_file_dialog_pauses_training(fake_studio):
    window = fake_studio
    playing(window)
    seen: list = []
    answer_next(Qt.Key_Escape, seen)
    assert window.session.ask_open_path() is None
    assert seen and window.modal.pauses >= 1
    wait_until(lambda: window.controller.wants_play(), 5, "resumed")
    window.pause()


def test_open_another_run_enter_saves_then_opens(fake_studio, tmp_path, monkeypatch):
    """Enter on "Open another run anyway?" is Save: the run is saved first, and the file
    is opened once the save is done."""
    window = fake_studio
    session = window.session
    saved: list[str] = []
    opened: list[str] = []
    target = str(tmp_path / "mine.h5")
    monkeypatch.setattr(session, "writable_path", lambda: target)
    monkeypatch.setattr(session, "_save_to", saved.append)
    monkeypatch.setattr(window.controller, "load", opened.append)
    session.confirm = True
    session.progress(10**6, 10**3)
    answer_next(Qt.Key_Return)
    try:
        assert session.open_path("other.h5") is False  # not yet: saving first
    finally:
        session.confirm = False
    assert saved == [target] and opened == []
    session.on_saved(target, 10**6, 10**3)  # the worker reports the save
    wait_until(lambda: opened == ["other.h5"], 5, "the open after the save")
    assert not session.is_dirty()
