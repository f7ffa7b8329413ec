"""Toolbar icons drawn with QPainter: crisp at any scale, coloured by the theme, no files."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

SIZE = 64  # drawn at 64 px; Qt scales down for the toolbar


def _path(points: list[tuple[float, float]]) -> QPainterPath:
    path = QPainterPath()
    path.moveTo(*points[0])
    for x, y in points[1:]:
        path.lineTo(x, y)
    path.closeSubpath()
    return path


def _draw(name: str, p: QPainter, colour: QColor) -> None:
    pen = QPen(colour, 6, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
    p.setPen(Qt.NoPen)
    p.setBrush(colour)
    if name == "play":
        p.drawPath(_path([(18, 10), (54, 32), (18, 54)]))
    elif name == "pause":
        p.drawRoundedRect(QRectF(14, 10, 13, 44), 3, 3)
        p.drawRoundedRect(QRectF(37, 10, 13, 44), 3, 3)
    elif name == "step_env":
        p.drawPath(_path([(12, 12), (42, 32), (12, 52)]))
        p.drawRoundedRect(QRectF(44, 12, 9, 40), 3, 3)
    elif name == "step_episode":
        p.drawPath(_path([(6, 14), (28, 32), (6, 50)]))
        p.drawPath(_path([(26, 14), (48, 32), (26, 50)]))
        p.drawRoundedRect(QRectF(49, 14, 8, 36), 3, 3)
    elif name == "step_update":
        # a gradient step: nabla over an arrow
        p.drawPath(_path([(8, 10), (56, 10), (32, 40)]))
        p.setBrush(Qt.NoBrush)
        p.setPen(pen)
        p.drawLine(QPointF(32, 44), QPointF(32, 58))
    elif name == "evaluate":
        p.setBrush(Qt.NoBrush)
        p.setPen(pen)
        eye = QPainterPath()
        eye.moveTo(6, 32)
        eye.quadTo(32, 4, 58, 32)
        eye.quadTo(32, 60, 6, 32)
        p.drawPath(eye)
        p.setPen(Qt.NoPen)
        p.setBrush(colour)
        p.drawEllipse(QPointF(32, 32), 9, 9)
    elif name == "reset":
        p.setBrush(Qt.NoBrush)
        p.setPen(pen)
        p.drawArc(QRectF(12, 12, 40, 40), 60 * 16, 280 * 16)
        p.setPen(Qt.NoPen)
        p.setBrush(colour)
        a = math.radians(60)
        cx, cy = 32 + 20 * math.cos(a), 32 - 20 * math.sin(a)
        p.drawPath(_path([(cx - 12, cy - 6), (cx + 4, cy - 14), (cx + 4, cy + 6)]))
    elif name == "save":
        p.setBrush(Qt.NoBrush)
        p.setPen(pen)
        p.drawRoundedRect(QRectF(10, 10, 44, 44), 5, 5)
        p.setPen(Qt.NoPen)
        p.setBrush(colour)
        p.drawRect(QRectF(20, 10, 24, 14))
        p.drawRoundedRect(QRectF(18, 34, 28, 16), 2, 2)
    elif name == "open":
        p.setBrush(Qt.NoBrush)
        p.setPen(pen)
        p.drawPolyline([QPointF(8, 50), QPointF(8, 14), QPointF(26, 14), QPointF(31, 20),
                        QPointF(54, 20), QPointF(54, 28)])
        p.setPen(Qt.NoPen)
        p.setBrush(colour)
        p.drawPath(_path([(8, 54), (18, 30), (60, 30), (50, 54)]))
    elif name == "theme":
        p.setBrush(Qt.NoBrush)
        p.setPen(pen)
        p.drawEllipse(QPointF(32, 32), 22, 22)
        p.setPen(Qt.NoPen)
        p.setBrush(colour)
        p.drawPie(QRectF(10, 10, 44, 44), 90 * 16, 180 * 16)
    elif name == "present":
        p.setBrush(Qt.NoBrush)
        p.setPen(pen)
        for (x, y, dx, dy) in ((8, 8, 1, 1), (56, 8, -1, 1), (8, 56, 1, -1), (56, 56, -1, -1)):
            p.drawPolyline([QPointF(x, y + 14 * dy), QPointF(x, y), QPointF(x + 14 * dx, y)])
    elif name == "settings":
        p.setBrush(Qt.NoBrush)
        p.setPen(pen)
        for y, knob in ((16, 40), (32, 20), (48, 34)):
            p.drawLine(QPointF(8, y), QPointF(56, y))
            p.setPen(Qt.NoPen)
            p.drawEllipse(QPointF(knob, y), 7, 7)
            p.setPen(pen)
        p.setPen(Qt.NoPen)
        for y, knob in ((16, 40), (32, 20), (48, 34)):
            p.drawEllipse(QPointF(knob, y), 7, 7)


def make_icon(name: str, colour: str) -> QIcon:
    pixmap = QPixmap(SIZE, SIZE)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    _draw(name, painter, QColor(colour))
    painter.end()
    return QIcon(pixmap)


def app_icon() -> QIcon:
    """The window icon: three agent discs around a prey diamond, on a dark rounded square."""
    pixmap = QPixmap(SIZE, SIZE)
    pixmap.fill(Qt.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.Antialiasing)
    p.setPen(Qt.NoPen)
    p.setBrush(QColor("#181b22"))
    p.drawRoundedRect(QRectF(2, 2, 60, 60), 14, 14)
    for (x, y), colour in zip(((18, 20), (46, 20), (32, 48)),
                              ("#e69f00", "#56b4e9", "#009e73")):
        p.setBrush(QColor(colour))
        p.drawEllipse(QPointF(x, y), 9, 9)
    p.setBrush(QColor("#ffffff"))
    p.drawPath(_path([(32, 24), (39, 31), (32, 38), (25, 31)]))
    p.end()
    return QIcon(pixmap)
