"""The inspector's joint-action table (two agents): the learned Q_tot over joint actions as a
heat map with numbers, beside the scenario's true joint values where it knows them (the QMIX
paper's Table 1 for the two-step game, filling in live)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.drawing import fmt, ink_for, mix
from app.theme import DARK, Theme


class JointTable(QWidget):
    """Learned Q_tot over joint actions beside the true joint values, as heat maps."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme: Theme = DARK
        self.scale = 1.0
        self.learned: np.ndarray | None = None
        self.truth: np.ndarray | None = None
        self.chosen: tuple[int, int] | None = None
        self.greedy: tuple[int, int] | None = None
        self.action_names: tuple[str, ...] = ()
        self.state_name = ""
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def set_data(self, learned: np.ndarray | None, truth: np.ndarray | None,
                 chosen: tuple[int, int] | None, greedy: tuple[int, int] | None,
                 action_names: tuple[str, ...], state_name: str) -> None:
        self.learned, self.truth = learned, truth
        self.chosen, self.greedy = chosen, greedy
        self.action_names, self.state_name = action_names, state_name
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        fm = QFontMetricsF(self.font())
        n = 2 if self.learned is None else self.learned.shape[0]
        cell = fm.height() * (2.2 if n <= 3 else 1.6)
        return QSize(300, int(fm.height() * 3.2 + n * cell))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(200, self.sizeHint().height())

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if self.learned is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        tables = [("Learned Q_tot", self.learned)]
        if self.truth is not None:
            tables.append(("True Q*", self.truth))
        values = np.concatenate([np.ravel(m) for _, m in tables])
        values = values[np.isfinite(values)]
        lo = float(values.min()) if values.size else 0.0
        hi = float(values.max()) if values.size else 1.0
        # a colour scale at least a quarter of the values' size wide: 6.99 vs 7.01 must not
        # look like 0 vs 8
        need = max(0.25 * max(abs(lo), abs(hi)), 1e-6)
        if hi - lo < need:
            mid = (hi + lo) / 2
            lo, hi = mid - need / 2, mid + need / 2
        gap = 24 * self.scale
        width = (self.width() - gap * (len(tables) - 1)) / len(tables)
        for k, (title, matrix) in enumerate(tables):
            area = QRectF(k * (width + gap), 0, width, self.height())
            self._paint_table(p, area, title, matrix, lo, hi, is_truth=k == 1)
        p.end()

    def _paint_table(self, p: QPainter, area: QRectF, title: str, m: np.ndarray, lo: float,
                     hi: float, is_truth: bool) -> None:
        t = self.theme
        font = QFont(self.font())
        fm = QFontMetricsF(font)
        bold = QFont(font)
        bold.setBold(True)
        n_rows, n_cols = m.shape
        head = fm.height() * 1.5
        label_w = fm.horizontalAdvance("a0=00") + 8 * self.scale
        p.setFont(bold)
        p.setPen(QColor(t.text))
        suffix = f" · state {self.state_name}" if self.state_name else ""
        p.drawText(QRectF(area.left(), area.top(), area.width(), head), Qt.AlignVCenter,
                   title + suffix)
        col_head = fm.height() * 1.3
        grid = QRectF(area.left() + label_w, area.top() + head + col_head,
                      area.width() - label_w, area.height() - head - col_head - 4)
        max_h = fm.height() * 3.2  # cells grow with the room there is, up to this
        ch = min(grid.height() / n_rows, max_h)
        cw = min(grid.width() / n_cols, ch * 2.4)
        big = QFont(font)
        big.setPointSizeF(font.pointSizeF() * max(1.0, min(1.7, ch / (fm.height() * 1.9))))
        big_bold = QFont(big)
        big_bold.setBold(True)
        low, high = QColor(t.panel_alt), QColor(t.accent)
        p.setFont(font)
        for c in range(n_cols):
            p.setPen(QColor(t.text_dim))
            p.drawText(QRectF(grid.left() + c * cw, area.top() + head, cw, col_head),
                       Qt.AlignCenter, f"a1={c}")
        optimum = np.nanmax(m) if np.isfinite(m).any() else None
        for r in range(n_rows):
            p.setPen(QColor(t.text_dim))
            p.setFont(font)
            p.drawText(QRectF(area.left(), grid.top() + r * ch, label_w, ch),
                       Qt.AlignVCenter, f"a0={r}")
            for c in range(n_cols):
                v = float(m[r, c])
                cell_rect = QRectF(grid.left() + c * cw + 2, grid.top() + r * ch + 2, cw - 4,
                                   ch - 4)
                frac = 0.5 if hi - lo < 1e-9 else (v - lo) / (hi - lo)
                bg = mix(low, high, frac) if np.isfinite(v) else QColor(t.masked)
                p.setPen(Qt.NoPen)
                p.setBrush(bg)
                p.drawRoundedRect(cell_rect, 5, 5)
                p.setFont(big_bold if optimum is not None and v == optimum else big)
                p.setPen(ink_for(bg))
                p.drawText(cell_rect, Qt.AlignCenter, fmt(v))
                mark = None
                if not is_truth and self.chosen == (r, c):
                    mark = QPen(QColor(t.text), 3)
                if not is_truth and self.greedy == (r, c):
                    mark = QPen(QColor(t.greedy), 3, Qt.DashLine if self.chosen != (r, c)
                                else Qt.SolidLine)
                if is_truth and optimum is not None and v == optimum:
                    mark = QPen(QColor(t.good), 3)
                if mark is not None:
                    p.setPen(mark)
                    p.setBrush(Qt.NoBrush)
                    p.drawRoundedRect(cell_rect.adjusted(1, 1, -1, -1), 5, 5)
