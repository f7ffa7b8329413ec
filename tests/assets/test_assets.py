"""The data files (assets/) are found through importlib.resources, also from an installed
package; every built-in layout is a valid world for pursuit."""

from __future__ import annotations

import json
from importlib import resources

import pytest

import assets
import envs


def test_themes_icons_and_layouts_are_package_files():
    root = resources.files("assets")
    for name in assets.THEME_NAMES:
        data = json.loads(root.joinpath("themes", f"{name}.json").read_text(encoding="utf-8"))
        assert data["name"] == name and data["ui"] and data["world"]
        assert assets.theme(name) == data
    assert root.joinpath("icons", "play.svg").is_file()
    assert assets.layout_names() and all(root.joinpath("layouts", f"{n}.txt").is_file()
                                         for n in assets.layout_names())
    with pytest.raises(ValueError, match="theme"):
        assets.theme("neon")
    with pytest.raises(ValueError, match="unknown layout"):
        assets.layout("maze_of_no_return")


@pytest.mark.parametrize("name", assets.layout_names())
def test_every_layout_is_a_pursuit_world(name):
    rows = assets.layout(name)
    assert len(set(map(len, rows))) == 1 and len(rows) == len(rows[0])
    env = envs.make("pursuit", n_envs=2, **assets.layout_settings(name))
    ts = env.reset(seed=0)
    snap = env.snapshot(0)
    assert snap["walls"].sum() == sum(row.count("#") for row in rows) > 0
    for _ in range(10):
        ts = env.step(ts.avail_actions.argmax(-1))


def test_pyproject_ships_the_assets():
    import tomllib
    from pathlib import Path

    data = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    shipped = data["tool"]["setuptools"]["package-data"]["assets"]
    root = resources.files("assets")
    for folder in ("icons", "themes", "layouts"):
        files = [p.name for p in root.joinpath(folder).iterdir() if not p.name.startswith(".")]
        pattern = next(p for p in shipped if p.startswith(folder + "/"))
        assert all(f.endswith(pattern.split("*")[-1]) for f in files), (folder, files)
    assert data["project"]["scripts"]["qmix-studio"] == "app.launcher:main"
