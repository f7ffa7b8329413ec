"""Icons are SVG files (assets/icons), tinted with the theme's colour."""

from __future__ import annotations

from importlib import resources

from app.icons import SIZE, app_icon, make_icon


def icon_names():
    folder = resources.files("assets").joinpath("icons")
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".svg"))


def colours(icon):
    image = icon.pixmap(SIZE, SIZE).toImage()
    return {image.pixelColor(x, y).name() for x in range(SIZE) for y in range(SIZE)
            if image.pixelColor(x, y).alpha() == 255}


def test_every_icon_draws_in_the_colour_asked_for(qapp):
    names = icon_names()
    assert {"play", "pause", "step_env", "save", "open", "settings", "app"} <= set(names)
    for name in names:
        if name == "app":
            continue
        drawn = colours(make_icon(name, "#ff0000"))
        assert drawn == {"#ff0000"}, (name, drawn)  # solid pixels: the tint, nothing else


def test_the_window_icon_keeps_its_own_colours(qapp):
    drawn = colours(app_icon())
    assert {"#181b22", "#e69f00", "#56b4e9", "#009e73", "#ffffff"} <= drawn
