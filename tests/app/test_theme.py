"""The themes are data (assets/themes/*.json): Qt (app/theme.py) and the pygame picture
(envs/render) read the same files, and the window's whole style sheet is built in one place."""

from __future__ import annotations

import dataclasses

import assets
from app import scene
from app.theme import DARK, LIGHT, THEMES, load_theme, stylesheet
from envs import render


def test_every_theme_has_every_colour_for_both_toolkits():
    ui_fields = {f.name for f in dataclasses.fields(DARK)} - {"name", "view_background"}
    for name in assets.THEME_NAMES:
        data = assets.theme(name)
        assert set(data["ui"]) == ui_fields, name
        assert set(data["world"]) == set(render.THEMES["dark"]), name
        assert THEMES[name] == load_theme(name)


def test_qt_and_pygame_agree_on_the_pictures_background():
    for theme in (DARK, LIGHT):
        r, g, b = render.THEMES[theme.name]["background"]
        assert theme.view_background == f"#{r:02x}{g:02x}{b:02x}" == scene.background(theme.name)


def test_the_style_sheet_is_built_in_one_place():
    sheet = stylesheet(DARK, 1.45)
    for selector in ("QToolBar", "QFrame#card", "QFrame#tile", "QLabel#tileValue",
                     "QFrame#viewCard", "QFrame#banner", "QStatusBar QLabel#statusPhase"):
        assert selector in sheet, selector
    assert DARK.view_background in sheet and f"{20 * 1.45}pt" in sheet
