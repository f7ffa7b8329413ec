"""The run's file: save, open, recent files, autosave, the unsaved-progress flag, and asking
to save before the run is closed or replaced.

The run itself lives on the worker thread; this module only says *which* file and *when*:
`TrainingController.save`/`load` do the work there (qmix/checkpoint/), and the worker's
`saved` / `loaded` / `io_failed` signals come back to the slots here. `read_saved_config`
reads a file's config without TensorFlow, so the window can show a saved run's scenario at
once. A run opened from a study folder (app/study.py) is never saved over: Save asks for a new
file and autosave waits for one, so the study's own checkpoint stays what its sweep wrote.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QSettings, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from app.controller import TrainingController
from app.modal import CANCEL, SAVE, ask_save_discard, paused_for
from app.study import file_label, study_of_run
from qmix.config import Config

FILE_FILTER = "QMIX Studio runs (*.h5 *.hdf5);;All files (*)"
MAX_RECENT = 8
AUTOSAVE_MINUTES = (0, 1, 5, 10, 30)


def read_saved_config(path: str) -> Config | None:
    """The saved run's config without TensorFlow, or None if the file cannot tell (the worker
    reports the real problem when it opens the file)."""
    try:
        from qmix.checkpoint import read_config

        return Config.from_dict(read_config(path))
    except Exception:  # noqa: BLE001
        return None


class RunFile(QObject):
    """The file of the run on screen (`path`, None until saved or opened)."""

    changed = Signal()  # path or unsaved-progress state changed (the title shows both)

    def __init__(self, window: QWidget, controller: TrainingController, settings: QSettings,
                 default_name: Callable[[], str], show_error: Callable[[str], None],
                 before_open: Callable[[], None]) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.settings = settings
        self.default_name = default_name  # "pursuit-qmix.h5"
        self.show_error = show_error
        self.before_open = before_open
        self.path: str | None = None
        self.confirm = True  # ask before unsaved progress is lost (tests switch it off)
        self.close_after_save = False
        self._after_save: Callable[[], Any] | None = None  # what Save in a prompt goes on to
        self._saved: tuple[int, int] = (0, 0)  # (env steps, updates) safe on disk
        self._progress: tuple[int, int] = (0, 0)  # ... of the run on screen

        self.save_buffer = QAction("Include replay buffer in saves", window)
        self.save_buffer.setCheckable(True)
        self.save_buffer.setChecked(
            str(settings.value("save_buffer", "false")).lower() == "true")
        self.save_buffer.setStatusTip("Bigger files; a resumed run then continues exactly "
                                      "as if never stopped")
        self.save_buffer.toggled.connect(
            lambda on: settings.setValue("save_buffer", "true" if on else "false"))
        self.recent_menu = QMenu("Open &Recent", window)
        self.autosave_menu = QMenu("&Autosave", window)
        self.autosave_actions: dict[int, QAction] = {}
        group = QActionGroup(self)
        for minutes in AUTOSAVE_MINUTES:
            act = QAction("Off" if minutes == 0 else f"Every {minutes} min", window)
            act.setCheckable(True)
            act.triggered.connect(lambda _=False, m=minutes: self.set_autosave(m))
            group.addAction(act)
            self.autosave_menu.addAction(act)
            self.autosave_actions[minutes] = act
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self._autosave)
        self.set_autosave(int(settings.value("autosave_minutes", 0) or 0))
        self.rebuild_recent_menu()

        worker = controller.worker
        worker.saved.connect(self.on_saved)
        worker.loaded.connect(self.on_loaded)
        worker.io_failed.connect(self.on_io_failed)

    def menu_items(self) -> dict[str, Any]:
        """The File menu's entries this module owns (see app/actions.py MENUS)."""
        return {"recent": self.recent_menu, "save_buffer": self.save_buffer,
                "autosave": self.autosave_menu}

    # ---- dialogs -------------------------------------------------------------------------
    def writable_path(self) -> str | None:
        """Where Save writes without asking: the run's file, unless it belongs to a study."""
        return None if study_of_run(self.path) else self.path

    def ask_save_path(self) -> str | None:
        if self.path and study_of_run(self.path):  # a study's run: a copy named after it
            run_id = os.path.basename(os.path.dirname(os.path.abspath(self.path)))
            start = os.path.join(os.getcwd(), f"{run_id}.h5")
        else:
            start = self.path or os.path.join(os.getcwd(), self.default_name())
        with paused_for(self.window):
            path, _ = QFileDialog.getSaveFileName(self.window, "Save run", start, FILE_FILTER)
        if path and not os.path.splitext(path)[1]:
            path += ".h5"
        return path or None

    def ask_open_path(self) -> str | None:
        start = os.path.dirname(self.path) if self.path else os.getcwd()
        with paused_for(self.window):
            path, _ = QFileDialog.getOpenFileName(self.window, "Open run", start, FILE_FILTER)
        return path or None

    def confirm_discard(self, what: str, then: Callable[[], Any] | None = None) -> bool:
        """Before the run is replaced: True to go ahead now. Save / Discard / Cancel (Save
        the default): Save saves first and, once the file is written, calls `then` (the
        same request again, which then finds nothing unsaved); False meanwhile."""
        if not self.is_dirty() or not self.confirm:
            return True
        answer = ask_save_discard(
            self.window, f"The current run has unsaved progress. {what} anyway?")
        if answer == CANCEL:
            return False
        if answer == SAVE:
            path = self.writable_path() or self.ask_save_path()
            if path:
                self._after_save = then
                self._save_to(path)
            return False
        return True

    # ---- commands ------------------------------------------------------------------------
    def save(self) -> None:
        path = self.writable_path()
        if path is None:
            self.save_as()
        else:
            self._save_to(path)

    def save_as(self) -> None:
        path = self.ask_save_path()
        if path:
            self._save_to(path)

    def open_file(self) -> None:
        path = self.ask_open_path()
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        """Open the run saved in `path` (asking first about unsaved progress); False when
        the user keeps the current run."""
        if not self.confirm_discard("Open another run", then=lambda: self.open_path(path)):
            return False
        self.before_open()
        self.controller.load(path)
        return True

    def _save_to(self, path: str) -> None:
        self.controller.save(path, self.save_buffer.isChecked())

    def may_close(self) -> bool:
        """The window is closing: True if it may close now. With unsaved progress, asks
        first; "Save" saves and closes once the save is done (False now)."""
        if not (self.confirm and self.is_dirty() and self.controller.engine_ready):
            return True
        answer = ask_save_discard(self.window, "Save the run before quitting?")
        if answer == CANCEL:
            return False
        if answer == SAVE:
            path = self.writable_path() or self.ask_save_path()
            if path:
                self.close_after_save = True
                self.controller.pause()
                self._save_to(path)
            return False
        return True

    # ---- recent files, autosave ----------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        files = [p for p in self.recent_files() if p != path]
        files.insert(0, path)
        self.settings.setValue("recent_files", files[:MAX_RECENT])
        self.rebuild_recent_menu()

    def rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for path in files:
            act = self.recent_menu.addAction(file_label(path))
            act.setToolTip(path)
            act.setStatusTip(path)
            act.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not files:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def set_autosave(self, minutes: int) -> None:
        self.settings.setValue("autosave_minutes", int(minutes))
        for m, act in self.autosave_actions.items():
            act.setChecked(m == minutes)
        if minutes > 0:
            self.autosave_timer.start(int(minutes * 60_000))
        else:
            self.autosave_timer.stop()

    def _autosave(self) -> None:
        path = self.writable_path()
        if path and self.is_dirty():
            self._save_to(path)

    # ---- unsaved progress ----------------------------------------------------------------
    def is_dirty(self) -> bool:
        return self._progress != self._saved

    def progress(self, env_steps: int, updates: int) -> None:
        """The run on screen got this far."""
        self._progress = (env_steps, updates)

    def new_run(self, path: str | None, env_steps: int = 0, updates: int = 0) -> None:
        """A fresh run (path None) or one just opened from `path`: nothing unsaved yet."""
        self.path = path
        if path:
            self.add_recent(path)
        self._progress = (env_steps, updates)
        self._mark_saved(env_steps, updates)

    def _mark_saved(self, env_steps: int, updates: int) -> None:
        self._saved = (env_steps, updates)
        self.changed.emit()

    # ---- worker -> here ------------------------------------------------------------------
    @Slot(str, int, int)
    def on_saved(self, path: str, env_steps: int, updates: int) -> None:
        self.path = path
        self.add_recent(path)
        self._mark_saved(env_steps, updates)
        self.window.statusBar().showMessage(f"Saved {path}", 6000)  # type: ignore[attr-defined]
        if self.close_after_save:
            self.close_after_save = False
            self.window.close()
        elif self._after_save is not None:  # a prompt's Save: now go on with the request
            then, self._after_save = self._after_save, None
            QTimer.singleShot(0, then)

    @Slot(str)
    def on_loaded(self, path: str) -> None:
        self.window.statusBar().showMessage(f"Opened {path}", 6000)  # type: ignore[attr-defined]

    @Slot(str)
    def on_io_failed(self, message: str) -> None:
        self.close_after_save = False
        self._after_save = None
        self.show_error(message)
