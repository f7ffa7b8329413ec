"""File ▸ Export episode…: an episode as a GIF or an MP4, written off the GUI thread.

`ExportDialog` asks: the file (its extension follows the GIF / MP4 choice), the frame size
(MP4 rounds odd sides up to even, and the dialog says so), steps a second, the Q overlay on or
off, and which episode: the one on the replay scrubber (where the window has one:
`window.replay`, app/replay_bar.py), the last finished episode the trainer stores, or fresh
greedy episodes from the current weights.

`EpisodeExport` runs it: the episodes come from the worker (`Command.EPISODES` with an
`EpisodeRequest`, answered with plain-data copies: TensorFlow and the trainer belong to the
worker thread), drawing and encoding (qmix/record.py) run on a thread of their own, progress
shows in a non-modal progress dialog with Cancel, the result or the one-line error in the
status bar (an error in the banner too). The window never waits for any of it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox,
                               QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QProgressDialog, QPushButton, QSpinBox, QWidget)

from app.commands import Command, EpisodeRequest
from app.modal import open_dialog, paused_for
from qmix import record
from qmix.userio import one_line

SOURCES = (
    ("scrubber", "The episode on the replay scrubber"),
    ("last", "The last finished episode"),
    ("greedy", "Fresh greedy episodes (ε = 0, current weights)"),
)
SIZES = ((480, 480), (640, 640), (720, 720), (1080, 1080), (1280, 720), (1920, 1080))


@dataclass
class ExportSettings:
    """What the dialog asked for (plain data)."""

    path: str
    size: tuple[int, int] = record.DEFAULT_SIZE
    fps: float = record.DEFAULT_FPS
    overlay: bool = True
    source: str = "last"  # a SOURCES key
    episodes: int = 1  # how many greedy (or newest stored) episodes
    theme: str = "dark"
    seed: int = 0

    @property
    def format(self) -> str:
        return record.output_format(self.path)


def with_format(path: str, fmt: str) -> str:
    """`path` with the extension of `fmt` ('gif' / 'mp4')."""
    root, ext = os.path.splitext(path)
    return (root if ext.lower() in record.FORMATS else path) + f".{fmt}"


class ExportDialog(QDialog):
    """Asks for an export's settings; `settings()` reads them."""

    def __init__(self, initial: ExportSettings, scrubber: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export episode")
        self.setObjectName("exportDialog")
        self._theme, self._seed = initial.theme, initial.seed
        form = QFormLayout(self)
        self.format_box = QComboBox()
        self.format_box.addItems(["GIF", "MP4"])
        self.format_box.setCurrentIndex(1 if initial.path.lower().endswith(".mp4") else 0)
        self.format_box.setToolTip("GIF: loops in any browser or slide; MP4 (H.264): small, "
                                   "plays everywhere")
        form.addRow("Format", self.format_box)
        self.path_edit = QLineEdit(initial.path)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form.addRow("File", row)
        self.preset_box = QComboBox()
        self.preset_box.addItems([f"{w} × {h}" for w, h in SIZES] + ["Custom"])
        self.width_spin, self.height_spin = QSpinBox(), QSpinBox()
        for spin, value in ((self.width_spin, initial.size[0]),
                            (self.height_spin, initial.size[1])):
            spin.setRange(64, record.MAX_SIDE)
            spin.setSuffix(" px")
            spin.setValue(value)
            spin.valueChanged.connect(self._size_changed)
        size_row = QHBoxLayout()
        size_row.addWidget(self.preset_box)
        size_row.addWidget(self.width_spin)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.height_spin)
        form.addRow("Size", size_row)
        self.size_note = QLabel("")
        self.size_note.setObjectName("sizeNote")
        self.size_note.setWordWrap(True)
        form.addRow("", self.size_note)
        self.fps_spin = QDoubleSpinBox()
        self.fps_spin.setRange(0.5, record.MAX_FPS["gif"])
        self.fps_spin.setDecimals(1)
        self.fps_spin.setValue(initial.fps)
        self.fps_spin.setSuffix(" steps/s")
        form.addRow("Speed", self.fps_spin)
        self.overlay_box = QCheckBox("Q overlay (actions, Q, Q_tot, V(s), t, return)")
        self.overlay_box.setChecked(initial.overlay)
        form.addRow("", self.overlay_box)
        self.source_box = QComboBox()
        for key, text in SOURCES:
            self.source_box.addItem(text, key)
        model = self.source_box.model()
        model.item(0).setEnabled(scrubber)  # only with an episode on the scrubber
        source = initial.source if scrubber or initial.source != "scrubber" else "last"
        self.source_box.setCurrentIndex([k for k, _ in SOURCES].index(source))
        self.source_box.setToolTip("The last finished episode falls back to a fresh greedy "
                                   "one when the run stores none")
        form.addRow("Episode", self.source_box)
        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, 20)
        self.count_spin.setValue(initial.episodes)
        form.addRow("Episodes", self.count_spin)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Export")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.error_label = QLabel("")
        self.error_label.setObjectName("exportError")
        form.addRow(self.error_label)
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self.preset_box.currentIndexChanged.connect(self._preset_chosen)
        self.source_box.currentIndexChanged.connect(self._source_changed)
        self._size_changed()
        self._source_changed()
        self._format_changed()

    def fmt(self) -> str:
        return "mp4" if self.format_box.currentIndex() == 1 else "gif"

    def settings(self) -> ExportSettings:
        """The choices; the file's extension is the chosen format's."""
        path = self.path_edit.text().strip()
        return ExportSettings(
            path=with_format(path, self.fmt()) if path else "",
            size=(self.width_spin.value(), self.height_spin.value()),
            fps=float(self.fps_spin.value()), overlay=self.overlay_box.isChecked(),
            source=str(self.source_box.currentData()), episodes=self.count_spin.value(),
            theme=self._theme, seed=self._seed)

    def _format_changed(self) -> None:
        fmt = self.fmt()
        self.fps_spin.setMaximum(record.MAX_FPS[fmt])
        path = self.path_edit.text().strip()
        if path:
            self.path_edit.setText(with_format(path, fmt))
        self._size_changed()

    def _preset_chosen(self, index: int) -> None:
        if 0 <= index < len(SIZES):
            self.width_spin.setValue(SIZES[index][0])
            self.height_spin.setValue(SIZES[index][1])

    def _size_changed(self) -> None:
        size = (self.width_spin.value(), self.height_spin.value())
        index = SIZES.index(size) if size in SIZES else len(SIZES)
        if self.preset_box.currentIndex() != index:
            self.preset_box.blockSignals(True)
            self.preset_box.setCurrentIndex(index)
            self.preset_box.blockSignals(False)
        _, note = record.frame_size(size, self.fmt())
        self.size_note.setText(note or "")
        self.size_note.setVisible(bool(note))

    def _source_changed(self) -> None:
        self.count_spin.setEnabled(self.source_box.currentData() != "scrubber")

    def _browse(self) -> None:
        fmt = self.fmt()
        with paused_for(self.parentWidget()):  # nested in the dialog's own pause
            path, _ = QFileDialog.getSaveFileName(
                self, "Export episode", self.path_edit.text(),
                "GIF (*.gif)" if fmt == "gif" else "MP4 video (*.mp4)")
        if path:
            self.path_edit.setText(with_format(path, fmt))

    def _accept(self) -> None:
        settings = self.settings()
        try:
            if not settings.path:
                raise ValueError("choose a file to export to")
            settings.format  # noqa: B018 - checks the extension
            record.check_out_folder(settings.path)
            record.check_fps(settings.fps, settings.format)
        except ValueError as exc:
            self.error_label.setText(one_line(exc))
            return
        self.accept()


class _Cancelled(Exception):
    pass


class _Signals(QObject):
    """Emitted from the export thread, received on the GUI thread (queued)."""

    progress = Signal(int, int)
    done = Signal(object)  # qmix.record.Recording
    failed = Signal(str)
    cancelled = Signal()


class EpisodeExport(QObject):
    """Runs File ▸ Export episode for `window` (a MainWindow: its worker, config, theme,
    status bar and banner). The replay scrubber's episode (a qmix.replay.ReplayEpisode) is
    `window.replay.episode` while `window.replay.active` (app/replay_bar.py), or what
    `scrubber_episode()` gives where that is set."""

    finished = Signal(object)  # qmix.record.Recording
    failed = Signal(str)

    WAIT_S = 0.1  # how often the export thread looks for Cancel while the worker answers

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.scrubber_episode: Callable[[], Any] | None = None
        self.last_settings: ExportSettings | None = None
        self.dialog: ExportDialog | None = None
        self.progress_dialog: QProgressDialog | None = None
        self._signals = _Signals(self)
        self._signals.progress.connect(self._on_progress)
        self._signals.done.connect(self._on_done)
        self._signals.failed.connect(self._on_failed)
        self._signals.cancelled.connect(self._on_cancelled)
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._send: Callable[[Command, Any], None] | None = None  # the worker's request()
        self.note = ""

    # ---- asking --------------------------------------------------------------------------
    def _scrubber(self) -> Any:
        """The episode the replay scrubber shows (`scrubber_episode`, else the window's
        replay mode, app/replay_bar.py, while it is active), or None."""
        try:
            if self.scrubber_episode is not None:
                return self.scrubber_episode()
            mode = getattr(self.window, "replay", None)
            return getattr(mode, "episode", None) if getattr(mode, "active", False) else None
        except Exception:  # noqa: BLE001 - no scrubber episode, then
            return None

    def default_settings(self) -> ExportSettings:
        config = self.window.config
        theme = getattr(self.window, "theme_name", "dark")
        if self.last_settings is not None:
            return replace(self.last_settings, theme=theme, seed=int(config.seed))
        name = f"{config.scenario}-{config.algo}-episode.gif".replace(":", "_")
        return ExportSettings(path=os.path.join(os.getcwd(), name), theme=theme,
                              seed=int(config.seed),
                              source="scrubber" if self._scrubber() is not None else "last")

    @Slot()
    def ask(self) -> None:
        """File ▸ Export episode…: the dialog (non-blocking), then the export."""
        if self.busy():
            self.window.status.message("An export is already running.", 4000)
            return
        self.dialog = ExportDialog(self.default_settings(), self._scrubber() is not None,
                                   self.window)
        self.dialog.accepted.connect(lambda: self.start(self.dialog.settings()))
        open_dialog(self.dialog, self.window)  # the run pauses while it is open (app/modal.py)

    # ---- running -------------------------------------------------------------------------
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, settings: ExportSettings) -> bool:
        """Export in the background; False if one is running already."""
        if self.busy():
            return False
        self.last_settings = settings
        self._cancel.clear()
        self.note = ""
        episodes = None
        if settings.source == "scrubber":
            shown = self._scrubber()
            if shown is not None:
                episodes = record.replay_episodes([shown])
        dialog = QProgressDialog(f"Exporting {os.path.basename(settings.path)}…", "Cancel",
                                 0, 0, self.window)
        dialog.setWindowTitle("Export episode")
        dialog.setObjectName("exportProgress")
        dialog.setWindowModality(Qt.NonModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self.cancel)
        dialog.show()
        self.progress_dialog = dialog
        # read on the GUI thread; the export thread touches no widget and no window state
        self._send = self.window.controller.worker.request  # thread-safe (CommandChannel)
        config = self.window.config
        names = [str(n) for n in getattr(self.window.info, "action_names", ()) or ()]
        caption = f"{config.scenario} · {config.algo}"
        self._thread = threading.Thread(target=self._run,
                                        args=(settings, episodes, names, caption),
                                        name="qmix-export", daemon=True)
        self._thread.start()
        return True

    @Slot()
    def cancel(self) -> None:
        self._cancel.set()

    def _episodes(self, settings: ExportSettings) -> tuple[list[record.Episode], list[str]]:
        """Ask the worker (export thread; the GUI thread never waits for the answer)."""
        kind = "greedy" if settings.source == "greedy" else "last"
        episodes, names = self._ask_worker(kind, settings)
        if not episodes and kind == "last":
            self.note = "the run stores no finished episode: exported a fresh greedy one"
            episodes, names = self._ask_worker("greedy", settings)
        return episodes, names

    def _ask_worker(self, kind: str, settings: ExportSettings) -> Any:
        request = EpisodeRequest(kind, settings.episodes, settings.seed)
        assert self._send is not None  # set by start()
        self._send(Command.EPISODES, request)
        while True:
            try:
                return request.future.result(timeout=self.WAIT_S)
            except FutureTimeout:
                if self._cancel.is_set():
                    request.future.cancel()
                    raise _Cancelled from None
            except CancelledError:
                raise _Cancelled from None

    def _run(self, settings: ExportSettings, episodes: list[record.Episode] | None,
             names: list[str], caption: str) -> None:
        signals = self._signals
        try:
            if episodes is None:
                episodes, names = self._episodes(settings)
            if self._cancel.is_set():
                raise _Cancelled

            def progress(done: int, total: int) -> None:
                if self._cancel.is_set():
                    raise _Cancelled
                signals.progress.emit(done, total)

            result = record.record(settings.path, episodes, settings.size, settings.fps,
                                   overlay=settings.overlay, theme=settings.theme,
                                   action_names=names, caption=caption, progress=progress)
            signals.done.emit(result)
        except _Cancelled:
            signals.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - one line for the user, never a crash
            signals.failed.emit(f"Export failed: {one_line(exc)}")

    def wait(self, timeout: float | None = None) -> bool:
        """Join the export thread (tests, closing). True if none is running."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.busy()

    # ---- results (GUI thread) ------------------------------------------------------------
    def _close_progress(self) -> None:
        if self.progress_dialog is not None:
            self.progress_dialog.canceled.disconnect(self.cancel)
            self.progress_dialog.close()
            self.progress_dialog.deleteLater()
            self.progress_dialog = None

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if self.progress_dialog is not None:
            self.progress_dialog.setMaximum(total)
            self.progress_dialog.setValue(done)

    @Slot(object)
    def _on_done(self, result: record.Recording) -> None:
        self._close_progress()
        notes = "; ".join([*result.notes, *([self.note] if self.note else [])])
        text = (f"Exported {os.path.basename(result.path)}: {result.episodes} episode"
                f"{'s' if result.episodes > 1 else ''}, {result.frames} frames, "
                f"{result.size[0]}×{result.size[1]}, {result.seconds:.1f} s"
                + (f" ({notes})" if notes else ""))
        self.window.status.message(text, 10000)
        self.finished.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._close_progress()
        self.window.status.message(message, 10000)
        self.window.show_banner(message)
        self.failed.emit(message)

    @Slot()
    def _on_cancelled(self) -> None:
        self._close_progress()
        self.window.status.message("Export cancelled; no file written.", 6000)
        self.failed.emit("cancelled")
