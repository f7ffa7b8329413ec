"""QMIX Studio's data files, found with `importlib.resources` (so an installed package finds
them too; pyproject.toml ships them as package data):

    icons/<name>.svg      toolbar and window icons, drawn in `currentColor` (app/icons.py tints)
    themes/<name>.json    a colour theme: "ui" for the Qt window (app/theme.py), "world" for
                          the pygame picture (envs/render/)
    layouts/<name>.txt    a built-in world layout: one row per line, '#' = wall, '.' = free

No code depends on anything above this package: envs, qmix and app all may read it.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

THEME_NAMES = ("dark", "light")


def read_text(*parts: str) -> str:
    """The text of the file at `parts` below this package (e.g. "themes", "dark.json")."""
    return resources.files(__name__).joinpath(*parts).read_text(encoding="utf-8")


def theme(name: str) -> dict[str, Any]:
    """The theme `name` ('dark' or 'light') as stored: {"name", "ui", "world"}."""
    if name not in THEME_NAMES:
        raise ValueError(f"theme must be one of {', '.join(THEME_NAMES)}, got {name!r}")
    return json.loads(read_text("themes", f"{name}.json"))


def layout_names() -> list[str]:
    """The built-in layouts, e.g. ['pursuit_pillars', 'pursuit_rooms']."""
    folder = resources.files(__name__).joinpath("layouts")
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".txt"))


def layout(name: str) -> list[str]:
    """The layout `name` as a list of row strings: pursuit's `walls` (its `grid_size` is the
    number of rows), e.g. `envs.make("pursuit", grid_size=9, walls=layout("pursuit_rooms"))`."""
    if name not in layout_names():
        raise ValueError(f"unknown layout {name!r}; built in: {', '.join(layout_names())}")
    return [row.strip() for row in read_text("layouts", f"{name}.txt").splitlines()
            if row.strip()]


def layout_settings(name: str) -> dict[str, Any]:
    """The scenario settings that select layout `name`: {"grid_size": N, "walls": rows}."""
    rows = layout(name)
    return {"grid_size": len(rows), "walls": rows}
