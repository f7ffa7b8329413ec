"""The study page of the main window: a study folder written by `./studio sweep --out DIR`,
shown live - the greedy-evaluation curves of every configuration (mean and 95% bootstrap band,
over seeds), the table (configuration, seeds finished of all, mean, 95% CI, per-seed finals;
one row per run under its configuration) and a note while the study is partial.

The numbers are `qmix.report.load_study`'s (app/study.py names them). While the page has a
study, `StudyWatcher` looks at the folder every POLL_MS on a background thread and re-reads it
only when a file changed (load_study of a 30-run study takes ~0.1 s: off the GUI thread, which
only picks up the result). Double-clicking a run asks the window to open its checkpoint
(`run_requested`), which it does exactly as File ▸ Open does.

Why ~490 lines (over the project's ~450): the page (curves, table, note, buttons) and its
folder watcher are used by nothing else, and their text and numbers already live elsewhere
(app/study.py, no Qt; qmix/report.py); what is left is layout and styling of one page.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QSizePolicy, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from app.modal import paused_for
from app.plots import StepsAxis
from app.study import (POLL_MS, RECHECK_RUNNING_S, ci_text, config_key, config_name,
                       fingerprint, fmt, has_running, legend_text, open_study, per_seed_text,
                       run_progress, scan, seeds_text, status_note)
from app.theme import DARK, Theme
from app.widgets import card, split
from qmix.userio import one_line

COLUMNS = ("configuration", "seeds", "mean", "95% CI", "per seed (final greedy return)")
ROLE_RUN = Qt.UserRole  # a run row's run dict (load_study's); None on a configuration row


class StudyWatcher(QObject):
    """Keeps `study` up to date with its folder. `changed(study)` after every re-read,
    `failed(message)` when one fails (the last good study stays)."""

    changed = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None, interval_ms: int = POLL_MS) -> None:
        super().__init__(parent)
        self.path: str | None = None
        self.study: dict[str, Any] | None = None
        self.fingerprint: tuple | None = None
        self.loads = 0  # re-reads so far (the first read included)
        self.load_seconds: list[float] = []  # how long each background re-read took
        self._pool: ThreadPoolExecutor | None = None
        self._future: Future | None = None
        self._future_path: str | None = None
        self._read_at = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)
        self._pick_up = QTimer(self)  # the GUI thread checks for the background result
        self._pick_up.setInterval(25)
        self._pick_up.timeout.connect(self._collect)

    def open(self, path: str, study: dict[str, Any] | None = None) -> dict[str, Any]:
        """Watch `path` from now on; `study` if the caller has just read it, else read now
        (ValueError when it is no study; the watch is then unchanged)."""
        path = os.path.abspath(path)
        prints = fingerprint(path)  # before reading: a change during the read is seen later
        study = study if study is not None else open_study(path)
        self.path, self.study, self.fingerprint = path, study, prints
        self.loads += 1
        self._read_at = time.monotonic()
        self.timer.start()
        return study

    def close(self) -> None:
        self.timer.stop()
        self._pick_up.stop()
        self.path = self.study = self.fingerprint = None
        self._future = None

    def shutdown(self) -> None:
        self.close()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    @Slot()
    def poll(self) -> None:
        """Start one look at the folder on the background thread (unless one is under way)."""
        if self.path is None or self._future is not None:
            return
        force = has_running(self.study) and time.monotonic() - self._read_at > RECHECK_RUNNING_S
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qmix-study")
        self._future = self._pool.submit(scan, self.path, self.fingerprint, force)
        self._future_path = self.path
        self._pick_up.start()

    @Slot()
    def _collect(self) -> None:
        future = self._future
        if future is None:
            self._pick_up.stop()
            return
        if not future.done():
            return
        self._future = None
        self._pick_up.stop()
        if self._future_path != self.path:  # another study was opened meanwhile
            return
        try:
            prints, study, seconds = future.result()
        except Exception as exc:  # noqa: BLE001 - e.g. the folder was removed
            self.failed.emit(f"Cannot read the study: {one_line(exc)}")
            return
        self.fingerprint = prints
        if study is not None:
            self.study = study
            self.loads += 1
            self.load_seconds.append(seconds)
            self._read_at = time.monotonic()
            self.changed.emit(study)

    def busy(self) -> bool:
        return self._future is not None


def _swatch(colour: str, size: int) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class StudyView(QWidget):
    """`run_requested(checkpoint path)`: a run was double-clicked; `back_requested`: the
    Back button; `notice(text)`: a line for the status bar."""

    run_requested = Signal(str)
    back_requested = Signal()
    notice = Signal(str)

    def __init__(self, parent: QWidget | None = None, interval_ms: int = POLL_MS) -> None:
        super().__init__(parent)
        self.theme: Theme = DARK
        self.scale = 1.0
        self.presenting = False
        self.study: dict[str, Any] | None = None
        self.error: str | None = None
        self.watcher = StudyWatcher(self, interval_ms)
        self.watcher.changed.connect(self.show_study)
        self.watcher.failed.connect(self._show_failure)

        self.plot = pg.PlotWidget(axisItems={"bottom": StepsAxis(orientation="bottom")})
        item = self.plot.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.getViewBox().setMouseEnabled(x=False, y=False)
        for axis in ("left", "bottom"):
            item.getAxis(axis).enableAutoSIPrefix(False)
        self.legend = item.addLegend(offset=(-12, -12))  # lower right: curves rise
        self.curves: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem, pg.PlotDataItem,
                                     pg.FillBetweenItem]] = {}
        self.solved_line: pg.InfiniteLine | None = None

        self.table = QTreeWidget()
        self.table.setObjectName("studyTable")
        self.table.setColumnCount(len(COLUMNS))
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setRootIsDecorated(True)
        self.table.setUniformRowHeights(True)
        self.table.setAllColumnsShowFocus(True)
        self.table.setExpandsOnDoubleClick(True)
        header = self.table.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.Stretch)
        self.table.itemActivated.connect(self._activated)
        self.table.itemExpanded.connect(lambda _item: self.fit_split())
        self.table.itemCollapsed.connect(lambda _item: self.fit_split())
        self.config_items: dict[str, QTreeWidgetItem] = {}
        self.run_items: dict[str, QTreeWidgetItem] = {}
        self._shape: list[tuple[str, tuple[str, ...]]] = []

        self.note = QLabel("")
        self.note.setObjectName("studyNote")
        self.note.setWordWrap(True)
        self.hint = QLabel("Double-click a configuration to list its seeds, a seed to open "
                           "its run (as File ▸ Open does); F3 switches between the study and "
                           "the run. The folder is re-read whenever it changes.")
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.back = QPushButton("Back to the run")
        self.back.setToolTip("Show the run (F3)")
        self.back.setFocusPolicy(Qt.NoFocus)
        self.back.clicked.connect(self.back_requested.emit)
        self.info = QLabel("")
        self.info.setObjectName("cardInfo")
        self.info.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.info.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        head = QWidget()
        head_layout = QHBoxLayout(head)
        head_layout.setContentsMargins(0, 0, 0, 0)
        head_layout.addWidget(self.info, 1)
        head_layout.addWidget(self.back)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.note)
        self.splitter = split(Qt.Vertical, self.plot, self.table, 3, 2)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.hint)
        self.card = card("Study", body, head)
        self.title = self.card.findChild(QLabel, "cardTitle")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.card)
        self.set_theme(DARK, 1.0)

    # ---- the study -----------------------------------------------------------------------
    def is_open(self) -> bool:
        return self.study is not None

    @property
    def path(self) -> str | None:
        """The study folder on the page (None: none)."""
        return None if self.study is None else self.study["path"]

    def ask_path(self) -> str | None:
        """A study folder from a dialog (None: cancelled)."""
        start = os.path.dirname(self.path) if self.path else os.getcwd()
        with paused_for(self):  # the run pauses while the dialog is open (app/modal.py)
            path = QFileDialog.getExistingDirectory(self, "Open study (a ./studio sweep "
                                                    "--out folder)", start)
        return path or None

    def open(self, path: str, study: dict[str, Any] | None = None) -> None:
        """Show the study in `path` and keep it up to date; ValueError (one line) when `path`
        is no study (what was shown stays)."""
        study = self.watcher.open(path, study)
        self._clear()
        self.show_study(study)

    def close_study(self) -> None:
        self.watcher.close()
        self.study = None
        self._clear()

    def shutdown(self) -> None:
        self.watcher.shutdown()

    def _clear(self) -> None:
        self.table.clear()
        self.config_items, self.run_items, self._shape = {}, {}, []
        item = self.plot.getPlotItem()
        for mean, low, high, band in self.curves.values():
            for part in (mean, low, high, band):
                item.removeItem(part)
        self.curves = {}
        self.legend.clear()

    @Slot(object)
    def show_study(self, study: dict[str, Any]) -> None:
        self.study = study
        self.error = None
        name = os.path.basename(study["path"].rstrip(os.sep)) or study["path"]
        self.title.setText(f"STUDY · {name}")
        self.info.setText(study["path"])
        self.info.setToolTip(study["command"] or "")
        self._show_note()
        self._fill_table(study)
        self._draw(study)

    @Slot(str)
    def _show_failure(self, message: str) -> None:
        self.error = message
        self._show_note()

    def _show_note(self) -> None:
        if self.study is None:
            self.note.setText("")
            return
        text = status_note(self.study)
        colour = self.theme.warn if self.study["partial"] else self.theme.text_dim
        if self.error:
            text, colour = f"{self.error} (showing the last good read)", self.theme.error
        self.note.setText(text)
        self.note.setStyleSheet(f"color: {colour};")

    # ---- table ---------------------------------------------------------------------------
    def _fill_table(self, study: dict[str, Any]) -> None:
        shape = [(config_key(c), tuple(r["run_id"] for r in c["runs"]))
                 for c in study["configs"]]
        if shape != self._shape:  # new configurations or runs: rebuild (keeping what's open)
            expanded = {k for k, item in self.config_items.items() if item.isExpanded()}
            current = self.table.currentItem()
            selected = current.data(0, ROLE_RUN)["run_id"] if (
                current is not None and current.data(0, ROLE_RUN)) else None
            self.table.clear()
            self.config_items, self.run_items = {}, {}
            for key, runs in shape:
                parent = QTreeWidgetItem(self.table)
                self.config_items[key] = parent
                for run_id in runs:
                    self.run_items[run_id] = QTreeWidgetItem(parent)
                parent.setExpanded(key in expanded)  # folded: every configuration in view
            self._shape = shape
            if selected in self.run_items:
                self.table.setCurrentItem(self.run_items[selected])
        bold = self.table.font()
        bold.setBold(True)
        for index, c in enumerate(study["configs"]):
            item = self.config_items[config_key(c)]
            texts = (config_name(c), seeds_text(c), fmt(c["mean"]), ci_text(c["ci95"]),
                     per_seed_text(c))
            for col, text in enumerate(texts):
                item.setText(col, text)
                item.setFont(col, bold)
            item.setData(0, ROLE_RUN, None)
            item.setIcon(0, _swatch(self._colour(index), round(12 * self.scale)))
            errors = "; ".join(f"seed {s}: {e}" for s, e in c["errors"].items())
            item.setToolTip(0, config_name(c) + (f"\nfailed: {errors}" if errors else ""))
            for run in c["runs"]:
                self._fill_run(self.run_items[run["run_id"]], run)

    def _fill_run(self, item: QTreeWidgetItem, run: dict[str, Any]) -> None:
        final = fmt(run["eval_return"]) if run["status"] == "finished" else ""
        texts = (f"seed {run['seed']}", run["status"], final, "", run_progress(run))
        for col, text in enumerate(texts):
            item.setText(col, text)
        item.setData(0, ROLE_RUN, run)
        t = self.theme
        colour = {"finished": t.text, "running": t.accent, "interrupted": t.warn,
                  "stopped": t.warn, "failed": t.error}.get(run["status"], t.text_dim)
        item.setForeground(1, QColor(colour))
        dim = QColor(t.text if run["checkpoint"] else t.text_dim)
        for col in (0, 2, 4):
            item.setForeground(col, dim)
        if run["checkpoint"]:
            tip = f"Double-click to open {run['checkpoint']}"
        else:
            tip = "No checkpoint yet: nothing to open"
        item.setToolTip(0, tip)
        item.setToolTip(4, run.get("error") or tip)

    @Slot(QTreeWidgetItem, int)
    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        run = item.data(0, ROLE_RUN)
        if not run:
            return  # a configuration row: it just folds / unfolds
        if not run["checkpoint"]:
            self.notice.emit(f"{run['run_id']} has no checkpoint yet ({run['status']}).")
            return
        self.run_requested.emit(run["checkpoint"])

    def run_item(self, run_id: str) -> QTreeWidgetItem:
        return self.run_items[run_id]

    # ---- curves --------------------------------------------------------------------------
    def _colour(self, index: int) -> str:
        colours = self.theme.plot_colours
        return colours[index % len(colours)]

    def _draw(self, study: dict[str, Any]) -> None:
        item = self.plot.getPlotItem()
        keys = [config_key(c) for c in study["configs"]]
        if list(self.curves) != keys:
            for mean, low, high, band in self.curves.values():
                for part in (mean, low, high, band):
                    item.removeItem(part)
            self.curves = {}
            for key in keys:
                low, high = pg.PlotDataItem([], []), pg.PlotDataItem([], [])
                band = pg.FillBetweenItem(low, high)
                mean = pg.PlotDataItem([], [])
                for part in (band, low, high, mean):
                    item.addItem(part)
                self.curves[key] = (mean, low, high, band)
        self.legend.clear()
        x_hi, y_lo, y_hi = 1.0, 0.0, 1e-9
        for index, c in enumerate(study["configs"]):
            mean, low, high, band = self.curves[config_key(c)]
            curve = c["curve"]
            mean.setData(curve["env_steps"], curve["mean"])
            low.setData(curve["env_steps"], curve["low"])
            high.setData(curve["env_steps"], curve["high"])
            self._style_curve(index, mean, low, high, band)
            self.legend.addItem(mean, legend_text(c))
            if curve["env_steps"]:
                y_lo = min(y_lo, min(curve["low"]))
                y_hi = max(y_hi, max(curve["high"]))
                x_hi = max(x_hi, max(curve["env_steps"]))
            x_hi = max([x_hi] + [r["steps"] for r in c["runs"] if r.get("steps")])
        solved = study.get("solved_return")
        self._solved(solved)
        if solved is not None:
            y_hi = max(y_hi, float(solved))
        margin = 0.08 * max(y_hi - y_lo, 1e-6)
        item.setRange(xRange=(0.0, x_hi * 1.02), yRange=(y_lo - margin, y_hi + margin),
                      padding=0)

    def _style_curve(self, index: int, mean: Any, low: Any, high: Any, band: Any) -> None:
        colour = self._colour(index)
        mean.setPen(pg.mkPen(colour, width=2.5 * self.scale))
        edge = QColor(colour)
        edge.setAlpha(90)
        for line in (low, high):
            line.setPen(pg.mkPen(edge, width=1))
        fill = QColor(colour)
        fill.setAlpha(60 if self.theme.name == "dark" else 50)
        band.setBrush(pg.mkBrush(fill))

    def _solved(self, value: float | None) -> None:
        item = self.plot.getPlotItem()
        if self.solved_line is not None:
            item.removeItem(self.solved_line)
            self.solved_line = None
        if value is None:
            return
        pen = pg.mkPen(self.theme.good, width=1.5, style=Qt.DashLine)
        self.solved_line = pg.InfiniteLine(
            pos=float(value), angle=0, pen=pen, label=f"solved {value:g}",
            labelOpts={"position": 0.03, "color": self.theme.good,
                       "anchors": [(0, 1), (0, 1)]})
        item.addItem(self.solved_line)

    # ---- look ----------------------------------------------------------------------------
    def set_theme(self, theme: Theme, scale: float) -> None:
        self.theme, self.scale = theme, scale
        item = self.plot.getPlotItem()
        self.plot.setBackground(theme.panel)
        size = f"{round(10.5 * scale)}pt"
        item.setTitle("Greedy evaluation return · mean and 95% bootstrap CI over seeds",
                      color=theme.text, size=size)
        label_style = {"color": theme.text_dim, "font-size": f"{round(10 * scale)}pt"}
        item.setLabel("bottom", "env steps", **label_style)
        item.setLabel("left", "greedy return", **label_style)
        font = self.font()
        font.setPointSizeF(9.0 * scale)
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(theme.border))
            axis.setTextPen(pg.mkPen(theme.text_dim))
            axis.setTickFont(font)
        self.legend.setLabelTextColor(theme.text)
        self.legend.setLabelTextSize(f"{round(9.5 * scale)}pt")
        self.legend.setPen(pg.mkPen(theme.border))
        back = QColor(theme.panel)
        back.setAlpha(215)
        self.legend.setBrush(pg.mkBrush(back))
        if self.study is not None:
            self._show_note()
            self._fill_table(self.study)
            self._draw(self.study)

    def set_presenting(self, on: bool) -> None:
        """Presentation mode: minimal chrome (no Back button, no hint, no path)."""
        self.presenting = on
        self.back.setVisible(not on)
        self.hint.setVisible(not on)
        self.info.setVisible(not on)
        QTimer.singleShot(0, self.fit_split)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not getattr(self, "_split_done", False):
            self._split_done = True
            QTimer.singleShot(0, self.fit_split)

    def fit_split(self) -> None:
        """The table as tall as its rows (a folded study: one per configuration; again when
        one is unfolded), within 18 % to 45 % of the height (35 % presenting: the room looks
        at the curves); the curves get the rest."""
        total = self.splitter.height()
        if total <= 0:
            return
        rows, top = 0, self.table.topLevelItemCount()
        for i in range(top):
            item = self.table.topLevelItem(i)
            rows += 1 + (item.childCount() if item.isExpanded() else 0)
        row = self.table.sizeHintForRow(0) if top else self.fontMetrics().height() + 8
        want = self.table.header().height() + max(rows, 3) * row + 12
        most = 0.35 if self.presenting else 0.45
        table = int(min(max(want, 0.18 * total), most * total))
        self.splitter.setSizes([total - table, table])
