"""The inspector: what every agent thinks of every action at the step on screen, and how the
mixer turns that into the team value Q_tot.

Everything is painted with QPainter from one `Snapshot` (plain data from the worker):
- a tile row: Q_tot of the chosen joint action, Q_tot of the greedy one, V(s), epsilon;
- one card per agent: Q per action as bars (chosen = filled accent bar, greedy = star,
  unavailable = hatched, exploratory choice = flag), and the mixer's credit dQ_tot/dQ_a;
- for two agents, the learned Q_tot table over joint actions as a heat map with numbers,
  beside the scenario's true joint values where it knows them (the QMIX paper's Table 1 for
  the two-step game, filling in live).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout,
                               QWidget)

from app import scene
from app.theme import DARK, Theme


CARD_MIN_WIDTH = 200  # px at normal type size; agent cards sit side by side when they fit


def fmt(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    digits = 1 if abs(value) >= 100 else 2
    return f"{round(float(value), digits) + 0.0:.{digits}f}"  # + 0.0: no "-0.00"


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    t = float(min(1.0, max(0.0, t)))
    return QColor(round(a.red() + (b.red() - a.red()) * t),
                  round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t))


def _ink_for(bg: QColor) -> QColor:
    luminance = 0.299 * bg.red() + 0.587 * bg.green() + 0.114 * bg.blue()
    return QColor("#111111") if luminance > 150 else QColor("#ffffff")


class StatTile(QFrame):
    """A caption over a big number."""

    def __init__(self, caption: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tile")
        self.setToolTip(tooltip)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(0)
        self.caption = QLabel(caption)
        self.caption.setObjectName("tileCaption")
        self.value = QLabel("–")
        self.value.setObjectName("tileValue")
        layout.addWidget(self.caption)
        layout.addWidget(self.value)

    def set_value(self, text: str) -> None:
        if self.value.text() != text:
            self.value.setText(text)


class AgentBars(QWidget):
    """Per-agent Q-value bar charts, painted in one pass."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme: Theme = DARK
        self.scale = 1.0
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.agent_qs: np.ndarray | None = None  # (agents, actions)
        self.avail: np.ndarray | None = None
        self.chosen: np.ndarray | None = None
        self.greedy: np.ndarray | None = None
        self.explored: np.ndarray | None = None
        self.credit: np.ndarray | None = None
        self.action_names: tuple[str, ...] = ()
        self.selected: int | None = None
        self.evaluating = False
        self._style_cache: tuple[Any, dict[str, Any]] | None = None
        self.setAttribute(Qt.WA_OpaquePaintEvent)

    def set_data(self, agent_qs: np.ndarray | None, avail: np.ndarray | None,
                 chosen: np.ndarray | None, greedy: np.ndarray | None,
                 explored: np.ndarray | None, credit: np.ndarray | None,
                 action_names: tuple[str, ...], evaluating: bool) -> None:
        reshape = (agent_qs is None) != (self.agent_qs is None) or (
            agent_qs is not None and self.agent_qs is not None
            and agent_qs.shape != self.agent_qs.shape) or action_names != self.action_names
        self.agent_qs, self.avail, self.chosen, self.greedy = agent_qs, avail, chosen, greedy
        self.explored, self.credit, self.evaluating = explored, credit, evaluating
        self.action_names = action_names
        if reshape:
            self.updateGeometry()
        self.update()

    def columns(self) -> int:
        """As many agent cards side by side as fit at a readable width (at most 4)."""
        n = 0 if self.agent_qs is None else self.agent_qs.shape[0]
        fit = max(1, int(self.width() // (CARD_MIN_WIDTH * self.scale)))
        return max(1, min(n, fit, 4))

    def _metrics(self) -> tuple[float, float]:
        fm = QFontMetricsF(self.font())
        row = fm.height() * 1.35
        title = fm.height() * 2.0
        return row, title

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.updateGeometry()  # the number of columns, hence the height, may change
        super().resizeEvent(event)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        row, title = self._metrics()
        if self.agent_qs is None:
            return int(row * 3)
        n, a = self.agent_qs.shape
        cols = max(1, min(n, int(width // (CARD_MIN_WIDTH * self.scale)), 4))
        rows = (n + cols - 1) // cols
        card_h = title + a * row + 12 * self.scale
        return int(rows * (card_h + 10 * self.scale))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        row, title = self._metrics()
        if self.agent_qs is None:
            return QSize(300, int(row * 3))
        n, a = self.agent_qs.shape
        rows = (n + self.columns() - 1) // self.columns()
        card_h = title + a * row + 12 * self.scale
        return QSize(300, int(rows * (card_h + 10 * self.scale)))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(200, self.sizeHint().height())

    def _style(self) -> dict[str, Any]:
        """Fonts, metrics, pens and label widths: rebuilt only when the look changes (the
        paint runs at display rate, and every Python-side QPainter call holds the GIL the
        trainer wants)."""
        key = (self.theme.name, self.scale, self.font().key(), self.action_names)
        if self._style_cache is not None and self._style_cache[0] == key:
            return self._style_cache[1]
        t = self.theme
        font = QFont(self.font())
        bold = QFont(font)
        bold.setBold(True)
        fm, fmb = QFontMetricsF(font), QFontMetricsF(bold)
        names = self.action_names or tuple(
            str(k) for k in range(0 if self.agent_qs is None else self.agent_qs.shape[1]))
        style = {
            "font": font, "bold": bold, "fm": fm,
            "names": names,
            "name_w": {n: (fm.horizontalAdvance(n), fmb.horizontalAdvance(n)) for n in names},
            "label_w": (max((fmb.horizontalAdvance(n) for n in names), default=0.0)
                        + fm.horizontalAdvance("★") + 14 * self.scale),
            "value_w": fm.horizontalAdvance("-00.00") + 10 * self.scale,
            "star_w": fm.horizontalAdvance("★") + 4,
            "explored_w": fm.horizontalAdvance("explored") + 12,
            "unavail_w": fm.horizontalAdvance("unavailable"),
            "agent_w": [fmb.horizontalAdvance(f"Agent {i}") for i in range(64)],
            "text": QColor(t.text), "dim": QColor(t.text_dim), "warn": QColor(t.warn),
            "warn_ink": _ink_for(QColor(t.warn)),
            "greedy_pen": QPen(QColor(t.greedy), 2.5), "greedy": QColor(t.greedy),
            "card_pen": QPen(QColor(t.border), 1), "sel_pen": QPen(QColor(t.accent), 3),
            "card": QColor(t.panel), "card_sel": QColor(t.panel_alt),
            "chosen": QColor(t.accent), "masked": QBrush(QColor(t.masked), Qt.BDiagPattern),
            "zero_pen": QPen(QColor(t.text_dim), 1, Qt.DashLine),
        }
        pos, neg = QColor(t.bar), QColor(t.bar_neg)
        pos.setAlpha(200)
        neg.setAlpha(200)
        style["pos"], style["neg"] = pos, neg
        self._style_cache = (key, style)
        return style

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        t = self.theme
        painter.fillRect(self.rect(), QColor(t.panel))  # opaque: no styled parent repaint
        painter.setRenderHint(QPainter.Antialiasing)
        if self.agent_qs is None:
            painter.setPen(QColor(t.text_dim))
            painter.drawText(self.rect(), Qt.AlignCenter, "No decision on screen\n"
                             "(episode over: step on to start the next one)")
            painter.end()
            return
        st = self._style()
        n, a = self.agent_qs.shape
        cols = self.columns()
        gap = 10 * self.scale
        row_h, title_h = self._metrics()
        rows = (n + cols - 1) // cols
        # rows grow into spare height (bigger bars read better from the back of a room)
        spare = (self.height() - rows * (title_h + 12 * self.scale + gap)) / max(1, rows * a)
        row_h = max(row_h, min(spare, row_h * 1.5))
        card_w = (self.width() - gap * (cols - 1)) / cols
        card_h = title_h + a * row_h + 12 * self.scale
        qs = self.agent_qs
        finite = qs[np.isfinite(qs)]
        lo = float(min(0.0, finite.min())) if finite.size else 0.0
        hi = float(max(0.0, finite.max())) if finite.size else 1.0
        if hi - lo < 1e-9:
            hi = lo + 1.0
        colours = scene.agent_colours()
        for i in range(n):
            r, c = divmod(i, cols)
            card = QRectF(c * (card_w + gap), r * (card_h + gap), card_w, card_h)
            self._paint_card(painter, st, i, card, lo, hi, colours[i % len(colours)], row_h,
                             title_h)
        painter.end()

    def _paint_card(self, p: QPainter, st: dict[str, Any], i: int, card: QRectF, lo: float,
                    hi: float, rgb: tuple[int, int, int], row_h: float,
                    title_h: float) -> None:
        selected = self.selected == i
        p.setPen(st["sel_pen"] if selected else st["card_pen"])
        p.setBrush(st["card_sel"] if selected else st["card"])
        p.drawRoundedRect(card.adjusted(1, 1, -1, -1), 8, 8)
        pad = 10 * self.scale
        fm = st["fm"]
        font, bold = st["font"], st["bold"]
        # title: colour chip, name, explored flag, credit
        chip = fm.height() * 0.7
        cy = card.top() + title_h / 2
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(*rgb))
        p.drawEllipse(QRectF(card.left() + pad, cy - chip / 2, chip, chip))
        p.setFont(bold)
        p.setPen(st["text"])
        x = card.left() + pad + chip + 8
        p.drawText(QRectF(x, card.top(), card.width(), title_h), Qt.AlignVCenter, f"Agent {i}")
        x += (st["agent_w"][i] if i < len(st["agent_w"]) else 60) + 10
        p.setFont(font)
        if self.explored is not None and bool(self.explored[i]):
            badge = QRectF(x, cy - fm.height() * 0.6, st["explored_w"], fm.height() * 1.2)
            p.setPen(Qt.NoPen)
            p.setBrush(st["warn"])
            p.drawRoundedRect(badge, 5, 5)
            p.setPen(st["warn_ink"])
            p.drawText(badge, Qt.AlignCenter, "explored")
            x += st["explored_w"] + 8
        if self.credit is not None:
            value = fmt(self.credit[i])
            room = card.right() - pad - x
            for text in (f"∂Q_tot/∂Q_a {value}", f"credit {value}", value):
                if fm.horizontalAdvance(text) <= room:
                    break
            p.setPen(st["dim"])
            p.drawText(QRectF(card.left(), card.top(), card.width() - pad, title_h),
                       Qt.AlignVCenter | Qt.AlignRight, text)
        # bars
        names = st["names"]
        name_w, value_w = st["label_w"], st["value_w"]
        left = card.left() + pad
        bar_l = left + name_w
        bar_r = card.right() - pad - value_w
        bar_w = max(10.0, bar_r - bar_l)
        zero_x = bar_l + bar_w * (0.0 - lo) / (hi - lo)
        top = card.top() + title_h
        bar_h = row_h * 0.62
        chosen_k = -1 if self.chosen is None else int(self.chosen[i])
        greedy_k = -1 if self.greedy is None else int(self.greedy[i])
        avail = self.avail
        for k, label in enumerate(names):
            y = top + k * row_h
            available = avail is None or bool(avail[i, k])
            chosen = k == chosen_k
            p.setPen(st["text"] if available else st["dim"])
            p.setFont(bold if chosen else font)
            p.drawText(QRectF(left, y, name_w, row_h), Qt.AlignVCenter, label)
            if k == greedy_k:
                p.setPen(st["greedy"])
                p.setFont(font)
                p.drawText(QRectF(left + st["name_w"][label][1 if chosen else 0] + 4, y,
                                  st["star_w"], row_h), Qt.AlignVCenter, "★")
            by = y + (row_h - bar_h) / 2
            if not available:
                p.setPen(Qt.NoPen)
                p.setBrush(st["masked"])
                p.drawRect(QRectF(bar_l, by, bar_w, bar_h))
                p.setPen(st["dim"])
                p.setFont(font)
                word = "unavailable" if st["unavail_w"] + 8 < bar_w else "n/a"
                p.drawText(QRectF(bar_l, y, bar_w, row_h), Qt.AlignCenter, word)
                continue
            q = float(self.agent_qs[i, k])
            qx = bar_l + bar_w * (min(max(q, lo), hi) - lo) / (hi - lo)
            rect = QRectF(min(zero_x, qx), by, max(2.0, abs(qx - zero_x)), bar_h)
            p.setPen(st["greedy_pen"] if k == greedy_k else Qt.NoPen)
            p.setBrush(st["chosen"] if chosen else (st["pos"] if q >= 0 else st["neg"]))
            p.drawRoundedRect(rect, 3, 3)
            p.setPen(st["text"])
            p.setFont(bold if chosen else font)
            p.drawText(QRectF(bar_r + 6, y, value_w + pad, row_h), Qt.AlignVCenter, fmt(q))
        p.setPen(st["zero_pen"])
        p.drawLine(QPointF(zero_x, top), QPointF(zero_x, top + len(names) * row_h))


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
                bg = _mix(low, high, frac) if np.isfinite(v) else QColor(t.masked)
                p.setPen(Qt.NoPen)
                p.setBrush(bg)
                p.drawRoundedRect(cell_rect, 5, 5)
                p.setFont(big_bold if optimum is not None and v == optimum else big)
                p.setPen(_ink_for(bg))
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


class InspectorPanel(QWidget):
    """Tiles + agent cards + joint table for the snapshot on screen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme: Theme = DARK
        self.scale = 1.0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(int(8))
        tiles = QHBoxLayout()
        tiles.setSpacing(8)
        self.tile_q_chosen = StatTile("Q_tot chosen", "Q_tot(s, u) of the joint action the "
                                      "agents are about to take (exploration included)")
        self.tile_q_greedy = StatTile("Q_tot greedy", "Q_tot(s, u*) of the joint action "
                                      "made of every agent's greedy action")
        self.tile_v = StatTile("V(s)", "the mixer's state-dependent bias V(s) "
                               "(0 for VDN and IQL, which have no state input)")
        self.tile_eps = StatTile("ε", "exploration rate: each agent takes a random available "
                                 "action with this probability")
        for tile in (self.tile_q_chosen, self.tile_q_greedy, self.tile_v, self.tile_eps):
            tiles.addWidget(tile)
        layout.addLayout(tiles)
        self.decision_label = QLabel("Waiting for the engine…")
        self.decision_label.setObjectName("decision")
        self.decision_label.setWordWrap(True)
        layout.addWidget(self.decision_label)
        self.bars = AgentBars()
        layout.addWidget(self.bars, 1)
        # The legend sits in the card's header (see MainWindow), saving a row for the bars.
        self.legend = QLabel("")
        self.legend.setObjectName("hint")
        self.legend.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # never widens
        self.legend.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.legend.setToolTip("Bars: each agent's Q(o, a) for every action. Filled accent bar: "
                               "the action chosen; ★: the greedy action; hatched: unavailable; "
                               "'explored': the ε coin flip picked a random action.")
        self.table = JointTable()
        self.table.setToolTip("Q_tot over joint actions (rows: agent 0's action, columns: "
                              "agent 1's) for the state on screen, beside the true optimal "
                              "joint values. White frame: the joint action chosen; dashed "
                              "gold: the greedy one; green: the true optimum.")
        layout.addWidget(self.table, 2)  # the heat maps take most of the height left
        self.table.hide()
        self.snapshot: Any = None
        self.snapshot_with_decision: Any = None  # the last snapshot whose numbers are shown
        self.shown: dict[str, str] = {}  # what the tiles display, for tests and the e2e check

    def set_theme(self, theme: Theme, scale: float) -> None:
        self.theme, self.scale = theme, scale
        for widget in (self.bars, self.table):
            widget.theme, widget.scale = theme, scale
            widget.updateGeometry()
            widget.update()
        self.legend.setText(
            f"<b style='color:{theme.accent}'>■</b> chosen &nbsp; "
            f"<b style='color:{theme.greedy}'>★</b> greedy &nbsp; ▨ unavailable")

    def set_selected(self, agent: int | None) -> None:
        self.bars.selected = agent
        self.bars.update()

    def set_snapshot(self, snapshot: Any, action_names: tuple[str, ...]) -> None:
        self.snapshot = snapshot
        # copy 0's own return, as drawn in the picture (Snapshot.episode_return of a terminal
        # frame is the last finished episode of any copy)
        ret = (snapshot.frame or {}).get("episode_return", snapshot.episode_return)
        insp = snapshot.inspection
        dec = snapshot.decision
        eps = dec.epsilon if dec is not None else snapshot.epsilon
        self._show("eps", self.tile_eps, fmt(eps) if not snapshot.evaluating else "0 (greedy)")
        if insp is None and dec is None and self.snapshot_with_decision is not None:
            # A terminal frame: nothing left to decide. Keep the last decision's numbers on
            # screen (no flicker between steps) and say that the episode is over.
            self._set_decision(f"Episode over · return {fmt(ret)} · "
                               "bars show the last decision")
            return
        if insp is None:
            for key, tile in (("q_chosen", self.tile_q_chosen), ("q_greedy", self.tile_q_greedy),
                              ("v", self.tile_v)):
                self._show(key, tile, "–")
            qs = dec.agent_qs if dec is not None else None
            self.bars.set_data(qs, None if dec is None else dec.avail_actions,
                               None if dec is None else dec.actions,
                               None if dec is None else dec.greedy_actions,
                               None if dec is None else dec.explored, None, action_names,
                               snapshot.evaluating)
            end = "Episode over" if dec is None else f"Step t = {snapshot.t}"
            self._set_decision(f"{end} · return so far {fmt(ret)}")
            self.table.set_data(None, None, None, None, action_names, "")
            self.table.hide()
            return
        self.snapshot_with_decision = snapshot
        self._show("q_chosen", self.tile_q_chosen, fmt(insp.q_tot_chosen))
        self._show("q_greedy", self.tile_q_greedy, fmt(insp.q_tot_greedy))
        self._show("v", self.tile_v, fmt(insp.v_s))
        explored = dec.explored if dec is not None else None
        self.bars.set_data(insp.agent_qs, insp.avail_actions, insp.chosen_actions,
                           insp.greedy_actions, explored, insp.credit, action_names,
                           snapshot.evaluating)
        who = [str(i) for i in np.flatnonzero(explored)] if explored is not None else []
        if snapshot.evaluating:
            mode = "Greedy evaluation episode"
        elif who:
            mode = ("agent " if len(who) == 1 else "agents ") + ", ".join(who) + \
                " explored (random action)"
        else:
            mode = "every agent acts greedily"
        frame = snapshot.frame or {}
        t = frame.get("t", snapshot.t)  # copy 0's own step (eval copies may run longer)
        if frame.get("terminated") or frame.get("truncated"):
            self._set_decision(f"Episode over at t = {t} · return "
                               f"{fmt(ret)} · {mode}")
        else:
            self._set_decision(f"Step t = {t} · return so far "
                               f"{fmt(ret)} · {mode}")
        if insp.q_tot_table is not None:
            chosen = tuple(int(a) for a in insp.chosen_actions[:2])
            greedy = tuple(int(a) for a in insp.greedy_actions[:2])
            state = str(snapshot.frame.get("state_name", "")) if snapshot.frame else ""
            self.table.set_data(np.asarray(insp.q_tot_table), snapshot.true_joint_values,
                                chosen, greedy, action_names, state)
            if self.table.isHidden():
                self.table.show()
        else:
            self.table.hide()

    def _set_decision(self, text: str) -> None:
        if self.decision_label.text() != text:
            self.decision_label.setText(text)

    def _show(self, key: str, tile: StatTile, text: str) -> None:
        self.shown[key] = text
        tile.set_value(text)

    def clear(self, message: str) -> None:
        self.snapshot = None
        self.snapshot_with_decision = None
        self.bars.set_data(None, None, None, None, None, None, (), False)
        self.table.hide()
        for key, tile in (("q_chosen", self.tile_q_chosen), ("q_greedy", self.tile_q_greedy),
                          ("v", self.tile_v), ("eps", self.tile_eps)):
            self._show(key, tile, "–")
        self._set_decision(message)
