"""Modal dialogs: training pauses while one is open, and every prompt answers the keyboard.

One helper for every modal dialog of the window (the quit prompt, "open another run", F1,
file dialogs, message boxes, confirmations): `paused_for(widget)` around a blocking dialog,
`open_dialog(dialog)` for a non-blocking one (`QDialog.open`). While any of them is open
the run is paused; when the last one closes, training resumes if it was playing before the
first one opened - unless the answer replaced or closed the run (`keep_paused`). A dialog
shown behind the user's back would otherwise let the run race on under a question about
it ("Save the run before quitting?" while it trains on).

`ask_save_discard` is the one Save / Discard / Cancel prompt: Save is the default (Enter),
Escape cancels, and every button has a mnemonic (S, D, C; with or without Alt in a
QMessageBox).

The guard is found through the widget's window (`MainWindow.modal`), so a part of the
window (the run file, the study page) needs no reference to the controller.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


class ModalPause(QObject):
    """Counts the open modal dialogs of a window and pauses its training meanwhile.

    `controller` needs `wants_play()`, `pause()` and `play()` (app/controller.py)."""

    def __init__(self, controller: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.depth = 0  # modal dialogs open now
        self.resume = False  # training was playing when the first one opened
        self.pauses = 0  # times a dialog paused a playing run (tests, the soak)
        self._open: set[int] = set()  # ids of non-blocking dialogs counted in `depth`
        self._watched: set[int] = set()  # dialogs whose `finished` is connected

    def enter(self) -> None:
        self.depth += 1
        if self.depth == 1:
            self.resume = bool(self.controller.wants_play())
            if self.resume:
                self.pauses += 1
                self.controller.pause()

    def leave(self) -> None:
        if self.depth == 0:
            return
        self.depth -= 1
        if self.depth == 0 and self.resume:
            self.resume = False
            self.controller.play()

    def keep_paused(self) -> None:
        """The dialog's answer replaces or closes the run: do not resume it afterwards."""
        self.resume = False

    @contextmanager
    def hold(self) -> Iterator[ModalPause]:
        self.enter()
        try:
            yield self
        finally:
            self.leave()

    def open(self, dialog: QDialog) -> QDialog:
        """Show `dialog` window-modal without blocking (`QDialog.open`); counted until it
        finishes. Opening a dialog that is already open counts it once."""
        key = id(dialog)
        if key not in self._watched:
            self._watched.add(key)
            dialog.finished.connect(lambda _result=0, k=key: self._finished(k))
            dialog.destroyed.connect(lambda _obj=None, k=key: self._forget(k))
        if key not in self._open:
            self._open.add(key)
            self.enter()
        dialog.open()
        return dialog

    def _finished(self, key: int) -> None:
        if key in self._open:
            self._open.discard(key)
            self.leave()

    def _forget(self, key: int) -> None:
        self._finished(key)
        self._watched.discard(key)


def guard_of(widget: QWidget | None) -> ModalPause | None:
    """The ModalPause of `widget`'s window (None outside a MainWindow)."""
    if widget is None:
        return None
    guard = getattr(widget.window(), "modal", None)
    return guard if isinstance(guard, ModalPause) else None


@contextmanager
def paused_for(widget: QWidget | None) -> Iterator[ModalPause | None]:
    """Around a blocking dialog shown over `widget`: the window's run pauses meanwhile."""
    guard = guard_of(widget)
    if guard is None:
        yield None
        return
    with guard.hold():
        yield guard


def open_dialog(dialog: QDialog, parent: QWidget | None = None) -> QDialog:
    """Show a non-blocking modal dialog; the window's run pauses until it finishes."""
    guard = guard_of(parent if parent is not None else dialog.parentWidget())
    if guard is None:
        dialog.open()
        return dialog
    return guard.open(dialog)


def save_discard_box(parent: QWidget | None, text: str, title: str = "QMIX Studio"
                     ) -> QMessageBox:
    """The Save / Discard / Cancel question, not yet shown: Save is the default button
    (Enter), Escape is Cancel, every button has a mnemonic. Each button's `choice`
    property is SAVE, DISCARD or CANCEL."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Question)
    box.setWindowTitle(title)
    box.setText(text)
    save = box.addButton("&Save", QMessageBox.AcceptRole)
    discard = box.addButton("&Discard", QMessageBox.DestructiveRole)
    cancel = box.addButton("&Cancel", QMessageBox.RejectRole)
    for button, choice in ((save, SAVE), (discard, DISCARD), (cancel, CANCEL)):
        button.setProperty("choice", choice)
    save.setToolTip("Save the run first (Enter, S)")
    discard.setToolTip("Go on without saving (D)")
    cancel.setToolTip("Keep the run as it is (Esc, C)")
    box.setDefaultButton(save)
    box.setEscapeButton(cancel)
    return box


def ask_save_discard(parent: QWidget | None, text: str, title: str = "QMIX Studio") -> str:
    """SAVE, DISCARD or CANCEL, asked modally (the window's run pauses meanwhile)."""
    box = save_discard_box(parent, text, title)
    try:
        with paused_for(parent) as guard:
            box.exec()
            clicked = box.clickedButton()
            choice = clicked.property("choice") if clicked is not None else None
            choice = choice if choice in (SAVE, DISCARD) else CANCEL
            if guard is not None and choice != CANCEL:
                guard.keep_paused()  # the run is saved, replaced or closed next
        return choice
    finally:
        box.deleteLater()  # one per question: none is left behind
