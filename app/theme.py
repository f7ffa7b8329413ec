"""Colour themes and type sizes, tuned for a projector: high contrast, few colours, big type.

A theme is data (assets/themes/<name>.json, shared with the pygame picture in envs/render/).
`stylesheet(theme, scale)` builds the window's whole Qt style sheet; custom-painted widgets
read the same `Theme`, so everything on screen agrees.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QPalette

import assets


@dataclass(frozen=True)
class Theme:
    name: str
    window: str  # the frame behind everything
    panel: str  # cards: view, inspector, plots
    panel_alt: str  # inputs, bar tracks
    border: str
    text: str
    text_dim: str
    accent: str  # chosen action, play button, selection
    greedy: str  # greedy action mark
    warn: str  # exploratory action, pending changes
    error: str
    good: str  # solved
    bar: str  # ordinary Q bars
    bar_neg: str  # negative Q bars
    masked: str  # unavailable actions
    plot_colours: tuple[str, ...]
    view_background: str  # the scenario picture's background (assets: world.background)

    def qcolor(self, attr: str, alpha: int = 255) -> QColor:
        colour = QColor(getattr(self, attr))
        colour.setAlpha(alpha)
        return colour


def load_theme(name: str) -> Theme:
    """The theme `name` from assets/themes/<name>.json (its "ui" part, plus the background of
    the scenario picture, which the view's card blends into)."""
    data = assets.theme(name)
    ui = dict(data["ui"])
    ui["plot_colours"] = tuple(ui["plot_colours"])
    return Theme(name=data["name"], view_background=data["world"]["background"], **ui)


DARK = load_theme("dark")
LIGHT = load_theme("light")
THEMES = {"dark": DARK, "light": LIGHT}

BASE_POINT_SIZE = 11.0  # normal mode; presentation mode multiplies by PRESENTATION_SCALE
PRESENTATION_SCALE = 1.45


def app_font(scale: float = 1.0) -> QFont:
    font = QFont()
    font.setFamilies(["Inter", "Noto Sans", "DejaVu Sans", "Segoe UI", "Helvetica Neue",
                      "Arial"])
    font.setPointSizeF(BASE_POINT_SIZE * scale)
    return font


def palette(theme: Theme) -> QPalette:
    pal = QPalette()
    roles = {
        QPalette.Window: theme.window,
        QPalette.WindowText: theme.text,
        QPalette.Base: theme.panel_alt,
        QPalette.AlternateBase: theme.panel,
        QPalette.Text: theme.text,
        QPalette.Button: theme.panel_alt,
        QPalette.ButtonText: theme.text,
        QPalette.ToolTipBase: theme.panel,
        QPalette.ToolTipText: theme.text,
        QPalette.Highlight: theme.accent,
        QPalette.HighlightedText: theme.window,
        QPalette.PlaceholderText: theme.text_dim,
        QPalette.Link: theme.accent,
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    pal.setColor(QPalette.Disabled, QPalette.Text, QColor(theme.text_dim))
    pal.setColor(QPalette.Disabled, QPalette.ButtonText, QColor(theme.text_dim))
    pal.setColor(QPalette.Disabled, QPalette.WindowText, QColor(theme.text_dim))
    return pal


_ARROW_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
              '<path d="{d}" fill="{colour}"/></svg>')
_ARROW_PATHS = {"up": "M1 7.5 L5 2.5 L9 7.5 Z", "down": "M1 2.5 L5 7.5 L9 2.5 Z"}


def arrow_image(direction: str, colour: str) -> str:
    """An SVG file of a filled triangle (spin box arrows), for the style sheet's `url()`
    (which takes files only): written once per colour into a per-user temp folder."""
    folder = os.path.join(tempfile.gettempdir(), f"qmix-studio-{os.getuid()}"
                          if hasattr(os, "getuid") else "qmix-studio")
    path = os.path.join(folder, f"arrow-{direction}-{colour.lstrip('#')}.svg")
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(_ARROW_SVG.format(d=_ARROW_PATHS[direction], colour=colour))
        os.replace(tmp, path)
    return path.replace(os.sep, "/")


def stylesheet(t: Theme, scale: float = 1.0) -> str:
    pt = BASE_POINT_SIZE * scale
    big = pt * 1.15
    pad = round(6 * scale)
    spin_w = round(18 * scale)  # spin box buttons, drawn here: Fusion's vanish under QSS
    arrow = max(7, round(9 * scale))
    return f"""
    QMainWindow, QDialog {{ background: {t.window}; }}
    QWidget {{ color: {t.text}; }}
    QToolTip {{ background: {t.panel}; color: {t.text}; border: 1px solid {t.border};
               padding: 6px; font-size: {pt}pt; }}
    QToolBar {{ background: {t.panel}; border: none; border-bottom: 1px solid {t.border};
               spacing: {pad}px; padding: {pad}px; }}
    QToolBar QToolButton {{ background: transparent; border: 1px solid transparent;
               border-radius: 6px; padding: {pad}px {pad + 2}px; font-size: {pt}pt; }}
    QToolBar QToolButton:hover {{ background: {t.panel_alt}; border-color: {t.border}; }}
    QToolBar QToolButton:pressed {{ background: {t.border}; }}
    QToolBar QToolButton:checked {{ background: {t.panel_alt}; border-color: {t.accent}; }}
    QToolBar QToolButton#playButton {{ background: {t.accent}; color: {t.window};
               font-weight: 600; min-width: {round(78 * scale)}px; }}
    QToolBar QToolButton#playButton:checked {{ background: {t.warn}; color: {t.window};
               border-color: {t.warn}; }}
    QToolBar QLabel {{ color: {t.text_dim}; font-size: {pt}pt; }}
    QMenuBar {{ background: {t.panel}; color: {t.text}; font-size: {pt}pt; }}
    QMenuBar::item:selected {{ background: {t.panel_alt}; }}
    QMenu {{ background: {t.panel}; border: 1px solid {t.border}; font-size: {pt}pt; }}
    QMenu::item {{ padding: 6px 24px; }}
    QMenu::item:selected {{ background: {t.accent}; color: {t.window}; }}
    QMenu::item:disabled {{ color: {t.text_dim}; }}
    QComboBox, QSpinBox, QDoubleSpinBox, QLineEdit {{
               background: {t.panel_alt}; border: 1px solid {t.border}; border-radius: 6px;
               padding: 3px 8px; font-size: {pt}pt; min-height: {round(24 * scale)}px; }}
    QComboBox:focus, QSpinBox:focus, QDoubleSpinBox:focus {{ border-color: {t.accent}; }}
    QSpinBox, QDoubleSpinBox {{ padding-right: {spin_w + 4}px; }}
    QSpinBox::up-button, QDoubleSpinBox::up-button {{ subcontrol-origin: border;
               subcontrol-position: top right; width: {spin_w}px;
               border-left: 1px solid {t.border}; border-bottom: 1px solid {t.border};
               border-top-right-radius: 6px; background: {t.panel}; }}
    QSpinBox::down-button, QDoubleSpinBox::down-button {{ subcontrol-origin: border;
               subcontrol-position: bottom right; width: {spin_w}px;
               border-left: 1px solid {t.border}; border-bottom-right-radius: 6px;
               background: {t.panel}; }}
    QSpinBox::up-button:hover, QDoubleSpinBox::up-button:hover,
    QSpinBox::down-button:hover, QDoubleSpinBox::down-button:hover {{
               background: {t.border}; }}
    QSpinBox::up-arrow, QDoubleSpinBox::up-arrow {{ image: url({arrow_image("up", t.text)});
               width: {arrow}px; height: {arrow}px; }}
    QSpinBox::down-arrow, QDoubleSpinBox::down-arrow {{
               image: url({arrow_image("down", t.text)}); width: {arrow}px; height: {arrow}px; }}
    QSpinBox::up-arrow:disabled, QSpinBox::up-arrow:off, QDoubleSpinBox::up-arrow:disabled,
    QDoubleSpinBox::up-arrow:off {{ image: url({arrow_image("up", t.text_dim)}); }}
    QSpinBox::down-arrow:disabled, QSpinBox::down-arrow:off,
    QDoubleSpinBox::down-arrow:disabled, QDoubleSpinBox::down-arrow:off {{
               image: url({arrow_image("down", t.text_dim)}); }}
    QComboBox QAbstractItemView {{ background: {t.panel}; border: 1px solid {t.border};
               selection-background-color: {t.accent}; selection-color: {t.window}; }}
    QPushButton {{ background: {t.panel_alt}; border: 1px solid {t.border}; border-radius: 6px;
               padding: 6px 14px; font-size: {pt}pt; }}
    QPushButton:hover {{ border-color: {t.accent}; }}
    QPushButton#applyButton[pending="true"] {{ background: {t.warn}; color: {t.window};
               border-color: {t.warn}; font-weight: 600; }}
    QSlider::groove:horizontal {{ height: 6px; background: {t.panel_alt}; border-radius: 3px; }}
    QSlider::sub-page:horizontal {{ background: {t.accent}; border-radius: 3px; }}
    QSlider::handle:horizontal {{ background: {t.text}; width: {round(16 * scale)}px;
               margin: -6px 0; border-radius: {round(8 * scale)}px; }}
    QStatusBar {{ background: {t.panel}; border-top: 1px solid {t.border}; }}
    QStatusBar QLabel {{ font-size: {pt}pt; color: {t.text_dim}; padding: 0 10px; }}
    QStatusBar QLabel#statusPhase {{ color: {t.text}; font-weight: 600; }}
    QDockWidget {{ font-size: {pt}pt; }}
    QDockWidget::title {{ background: {t.panel}; padding: 6px 10px; text-align: left; }}
    QFrame#card {{ background: {t.panel}; border: 1px solid {t.border}; border-radius: 10px; }}
    QLabel#cardTitle {{ color: {t.text_dim}; font-size: {pt}pt; font-weight: 600;
               letter-spacing: 1px; }}
    QLabel#formLabel {{ color: {t.text_dim}; font-size: {pt}pt; }}
    QLabel#hint {{ color: {t.text_dim}; font-size: {pt * 0.92}pt; }}
    QFrame#banner {{ background: {t.error}; border-radius: 8px; }}
    QFrame#banner QLabel {{ color: #ffffff; font-size: {big}pt; font-weight: 600; }}
    QFrame#banner QPushButton {{ background: rgba(0,0,0,0.25); color: #ffffff; border: none; }}
    QScrollArea {{ background: transparent; border: none; }}
    QScrollArea > QWidget > QWidget {{ background: transparent; }}
    QSplitter::handle {{ background: {t.window}; }}
    QFrame#tile {{ background: {t.panel_alt}; border-radius: 8px; }}
    QLabel#tileCaption {{ color: {t.text_dim}; font-size: {10 * scale}pt; }}
    QLabel#tileValue {{ color: {t.text}; font-size: {20 * scale}pt; font-weight: 700; }}
    QLabel#decision {{ color: {t.text}; font-size: {11.5 * scale}pt; }}
    QLabel#cardInfo {{ color: {t.text}; font-size: {11.5 * scale}pt; }}
    QFrame#viewCard {{ background: {t.view_background}; border: 1px solid {t.border};
               border-radius: 10px; }}
    QTreeWidget#studyTable {{ background: {t.panel}; border: none; font-size: {pt}pt; }}
    QTreeWidget#studyTable::item {{ padding: {round(3 * scale)}px 6px; }}
    QTreeWidget#studyTable::item:selected {{ background: {t.panel_alt}; color: {t.text}; }}
    QTreeWidget#studyTable QHeaderView::section {{ background: {t.panel}; color: {t.text_dim};
               border: none; border-bottom: 1px solid {t.border}; padding: 4px 6px;
               font-size: {pt}pt; font-weight: 600; }}
    QLabel#studyNote {{ font-size: {pt}pt; }}
    """
