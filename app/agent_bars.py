"""The inspector's agent cards: every agent's Q(o, a) for every action as bars (chosen =
filled accent bar, greedy = star, unavailable = hatched, exploratory choice = flag) and the
mixer's credit dQ_tot/dQ_a, painted in one pass with QPainter."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app import scene
from app.drawing import fmt, ink_for
from app.theme import DARK, Theme

CARD_MIN_WIDTH = 200  # px at normal type size; agent cards sit side by side when they fit


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
            "warn_ink": ink_for(QColor(t.warn)),
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

    def title_layout(self, i: int, card: QRectF, title_h: float) -> dict[str, Any]:
        """Where agent `i`'s title row puts its name, the *explored* badge and the credit
        (rects; "credit_text" the credit as drawn). All on one line when they fit; else
        the credit moves to a second line under the name (a narrow inspector: the badge
        used to cover it), never over the badge."""
        st = self._style()
        fm = st["fm"]
        pad = 10 * self.scale
        chip = fm.height() * 0.7
        x = card.left() + pad + chip + 8
        name_w = st["agent_w"][i] if i < len(st["agent_w"]) else fm.horizontalAdvance(
            f"Agent {i}") * 1.1
        explored = self.explored is not None and bool(self.explored[i])
        value = None if self.credit is None else fmt(self.credit[i])
        texts = [] if value is None else [f"∂Q_tot/∂Q_a {value}", f"credit {value}", value]
        fh = fm.height()

        def place(cy: float, two: bool) -> dict[str, Any]:
            line_h = fh * (0.95 if two else 1.2)
            out: dict[str, Any] = {"name": QRectF(x, cy - line_h / 2, name_w, line_h)}
            right = x + name_w + 10
            if explored:
                out["badge"] = QRectF(right, cy - line_h / 2, st["explored_w"], line_h)
                right += st["explored_w"] + 8
            return out | {"right": right}

        one = place(card.top() + title_h / 2, False)
        room = card.right() - pad - one["right"]
        fits = [text for text in texts if fm.horizontalAdvance(text) <= room]
        if fits or not texts:
            if fits:
                w = fm.horizontalAdvance(fits[0])
                one["credit"] = QRectF(card.right() - pad - w, one["name"].top(), w,
                                       one["name"].height())
                one["credit_text"] = fits[0]
            one.pop("right")
            return one
        # two lines in the title's 2 text heights: name and badge, then the credit
        two = place(card.top() + title_h / 2 - fh * 0.48, True)
        room = card.width() - 2 * pad
        short = texts[1:]  # "credit 0.48": under the name, the long form reads as clutter
        text = next((t for t in short if fm.horizontalAdvance(t) <= room), texts[-1])
        w = min(room, fm.horizontalAdvance(text))
        two["credit"] = QRectF(card.right() - pad - w, card.top() + title_h / 2 + fh * 0.02,
                               w, fh * 0.98)
        two["credit_text"] = text
        two.pop("right")
        return two

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
        # title: colour chip, name, explored flag, credit (app: `title_layout`)
        chip = fm.height() * 0.7
        lay = self.title_layout(i, card, title_h)
        cy = lay["name"].center().y()
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(*rgb))
        p.drawEllipse(QRectF(card.left() + pad, cy - chip / 2, chip, chip))
        p.setFont(bold)
        p.setPen(st["text"])
        p.drawText(lay["name"], Qt.AlignVCenter, f"Agent {i}")
        p.setFont(font)
        if "badge" in lay:
            p.setPen(Qt.NoPen)
            p.setBrush(st["warn"])
            p.drawRoundedRect(lay["badge"], 5, 5)
            p.setPen(st["warn_ink"])
            p.drawText(lay["badge"], Qt.AlignCenter, "explored")
        if "credit" in lay:
            p.setPen(st["dim"])
            p.drawText(lay["credit"], Qt.AlignVCenter | Qt.AlignRight | Qt.TextDontClip,
                       lay["credit_text"])
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
