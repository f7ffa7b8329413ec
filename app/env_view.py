"""The environment view: the scenario's pygame Surface, shown in a Qt widget.

Pygame draws a plain-data snapshot (never live env state) onto an offscreen Surface; the
Surface's pixels become a QImage without copying (docs/facts.md: the default 32-bit Surface has
`Format_RGB32` layout). The Surface is drawn at the widget's own pixel size, so the picture is
crisp rather than a blurred upscale; the aspect ratio is kept and the rest letterboxed.
"""

from __future__ import annotations

import os
import time
from typing import Any

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal  # noqa: E402
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen  # noqa: E402
from PySide6.QtWidgets import QSizePolicy, QWidget  # noqa: E402

from app import scene  # noqa: E402
from app.theme import DARK, Theme  # noqa: E402


class EnvView(QWidget):
    """Paints the latest frame; clicking an agent emits `agent_clicked(index)` (-1: none)."""

    agent_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(240, 200)
        self.setCursor(Qt.PointingHandCursor)
        # Opaque: every paint covers the whole widget (the Surface is rendered at its size,
        # margins are filled), so Qt skips repainting the styled card behind it each frame.
        self.setAttribute(Qt.WA_OpaquePaintEvent)
        self.theme: Theme = DARK
        self.scale = 1.0
        self.frame: dict[str, Any] | None = None
        self.selected_agent: int | None = None
        self.overlay_text: str | None = None
        self.actions: Any = None  # (N,) decision about to be executed, drawn as arrows
        self.show_view_radius = False
        self.badge: str = ""  # e.g. "GREEDY EVALUATION", drawn top-left on the picture
        self._image: QImage | None = None
        self._keep_alive: Any = None  # the Surface whose pixels _image shows
        self._image_rect = QRectF()
        self._dirty = True
        self.paint_count = 0
        self.drawn_kind: str | None = None  # the drawing of the picture on screen (scene.draw)
        self.on_first_paint: Any = None  # called once, after the first paint
        self.drag_handler: Any = None  # what-if drag (app/whatif.py): press / moved / released
        self.value_overlay: Any = None  # the what-if value map to draw (app/views.py)
        self._paint_times: list[float] = []

    # ---- data in ------------------------------------------------------------------------
    def set_frame(self, frame: dict[str, Any] | None, actions: Any = None) -> None:
        self.frame = frame
        self.actions = actions
        self._dirty = True
        self.update()

    def set_selected(self, agent: int | None) -> None:
        self.selected_agent = agent
        self._dirty = True
        self.update()

    def set_overlay(self, text: str | None) -> None:
        self.overlay_text = text
        self.update()

    def set_theme(self, theme: Theme, scale: float) -> None:
        self.theme, self.scale = theme, scale
        self._dirty = True
        self.update()

    def label_size(self) -> tuple[float, float]:
        """(text scale, smallest label in surface pixels) for the picture's labels: the
        type scale (presentation mode: 1.45) and 1.3 x the window's own text height, so
        step and return stay readable however narrow the picture gets."""
        px = self.fontInfo().pixelSize() or self.font().pointSizeF() * 96 / 72
        return self.scale, 1.3 * px * self.devicePixelRatioF()

    def fps(self) -> float:
        now = time.perf_counter()
        recent = [t for t in self._paint_times if now - t <= 1.0]
        self._paint_times = recent
        return float(len(recent))

    # ---- drawing ------------------------------------------------------------------------
    def _target_size(self) -> tuple[int, int]:
        ratio = self.devicePixelRatioF()
        return max(1, int(self.width() * ratio)), max(1, int(self.height() * ratio))

    def _render(self) -> None:
        self._dirty = False
        if self.frame is None:
            self._image = None
            self.drawn_kind = None
            return
        w, h = self._target_size()
        surface, self.drawn_kind = scene.draw(self.frame, w, h, self.selected_agent,
                                              self.theme.name, self.actions,
                                              self.show_view_radius, self.value_overlay,
                                              *self.label_size())
        sw, sh = surface.get_size()
        # Zero-copy view of the Surface's pixels (docs/facts.md). No `.copy()`: envs.render draws
        # every frame on a new Surface, so keeping that Surface and its buffer view alive for
        # as long as the QImage exists is enough (saves ~0.3 ms a frame).
        buffer = surface.get_view("1")
        self._image = QImage(buffer, sw, sh, surface.get_pitch(), QImage.Format_RGB32)
        self._keep_alive = (surface, buffer)
        ratio = self.devicePixelRatioF()
        self._image.setDevicePixelRatio(ratio)
        lw, lh = sw / ratio, sh / ratio
        x = (self.width() - lw) / 2
        y = (self.height() - lh) / 2
        self._image_rect = QRectF(x, y, lw, lh)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self._dirty = True
        super().resizeEvent(event)

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if self._dirty:
            self._render()
        painter = QPainter(self)
        if self._image is None or not self._image_rect.contains(QRectF(self.rect())):
            painter.fillRect(self.rect(), QColor(scene.background(self.theme.name)))
        if self._image is not None:
            painter.drawImage(self._image_rect.topLeft(), self._image)
        painter.setRenderHint(QPainter.Antialiasing)
        if self.badge and self._image is not None:
            self._draw_badge(painter)
        if self.drag_handler is not None:
            self.drag_handler.paint(self, painter)
        if self.overlay_text:
            self._draw_overlay(painter)
        painter.end()
        self.paint_count += 1
        self._paint_times.append(time.perf_counter())
        if len(self._paint_times) > 240:
            del self._paint_times[:120]
        if self.paint_count == 1 and self.on_first_paint is not None:
            from PySide6.QtCore import QTimer

            QTimer.singleShot(0, self.on_first_paint)  # after this paint is on screen

    def _draw_badge(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.0)
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        pad = 8 * self.scale
        tw = metrics.horizontalAdvance(self.badge)
        rect = QRectF(self._image_rect.left() + pad, self._image_rect.top() + pad,
                      tw + 2 * pad, metrics.height() + pad)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(self.theme.greedy))
        painter.drawRoundedRect(rect, 6, 6)
        painter.setPen(QColor("#111111"))
        painter.drawText(rect, Qt.AlignCenter, self.badge)

    def _draw_overlay(self, painter: QPainter) -> None:
        painter.fillRect(self.rect(), QColor(0, 0, 0, 150))
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QPen(QColor("#ffffff")))
        painter.drawText(QRect(0, 0, self.width(), self.height()), Qt.AlignCenter,
                         self.overlay_text or "")

    # ---- input --------------------------------------------------------------------------
    def widget_to_surface(self, pos: QPointF) -> tuple[float, float] | None:
        r = self._image_rect
        if self._image is None or not r.contains(pos):
            return None
        ratio = self.devicePixelRatioF()
        return (pos.x() - r.left()) * ratio, (pos.y() - r.top()) * ratio

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if event.button() != Qt.LeftButton or self.frame is None:
            return super().mousePressEvent(event)
        if self.drag_handler is not None and self.drag_handler.press(self, event.position()):
            event.accept()  # a drag (or, released on the same cell, a click) began
            return
        point = self.widget_to_surface(event.position())
        agent = -1
        if point is not None and self._image is not None:
            w = int(self._image_rect.width() * self.devicePixelRatioF())
            h = int(self._image_rect.height() * self.devicePixelRatioF())
            hit = scene.hit_test(self.frame, point[0], point[1], w, h, *self.label_size())
            agent = -1 if hit is None else int(hit)
        self.agent_clicked.emit(agent)
        event.accept()

    def mouseMoveEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if self.drag_handler is not None:
            self.drag_handler.moved(self, event.position())
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if self.drag_handler is not None and event.button() == Qt.LeftButton:
            self.drag_handler.released(self, event.position())
        super().mouseReleaseEvent(event)
