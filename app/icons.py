"""Toolbar and window icons: the SVG files in assets/icons, tinted with the theme's colour.

An icon is drawn in `currentColor`; `make_icon(name, colour)` puts the colour in and renders
it at 64 px (crisp at any toolbar size; Qt scales down).
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

import assets

SIZE = 64  # drawn at 64 px; Qt scales down for the toolbar


def _pixmap(svg: str) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not renderer.isValid():
        raise ValueError("not a valid SVG icon")
    pixmap = QPixmap(SIZE, SIZE)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    renderer.render(painter, QRectF(0, 0, SIZE, SIZE))
    painter.end()
    return pixmap


def make_icon(name: str, colour: str) -> QIcon:
    """assets/icons/<name>.svg in `colour` ('#rrggbb')."""
    svg = assets.read_text("icons", f"{name}.svg").replace("currentColor", colour)
    return QIcon(_pixmap(svg))


def app_icon() -> QIcon:
    """The window icon (its own colours)."""
    return QIcon(_pixmap(assets.read_text("icons", "app.svg")))
