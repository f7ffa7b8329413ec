"""Presentation mode scales all text for the back of a room: the picture's t / return
labels (drawn by envs/render, sized by the options the view passes), plot titles and tick
labels, the inspector, the status bar and the toolbar - even though the panels narrow."""

from __future__ import annotations

from PySide6.QtWidgets import QToolButton
from studio_helpers import bare_window, spin

from envs.render import RenderOptions, grid_world


def sizes(window, picture=(640, 700)) -> dict[str, float]:
    """Type sizes on screen; the picture's label at one picture size (the offscreen
    platform's full screen is 800 x 600, smaller than the normal window here)."""
    view = window.view
    scale, least = view.label_size()
    lay = grid_world.layout(view.frame, picture, RenderOptions(text_scale=scale,
                                                               min_text_px=least))
    plot = window.plots.plots["loss"]
    button = window.toolbar.widgetForAction(window.acts["play"])
    assert isinstance(button, QToolButton)
    return {
        "picture_label_px": lay.header_px,
        "plot_tick_pt": plot.getAxis("left").style["tickFont"].pointSizeF(),
        "plot_title_pt": float(plot.titleLabel.opts["size"].rstrip("pt")),
        "inspector_pt": window.inspector.bars.font().pointSizeF(),
        "inspector_tile_pt": window.inspector.tile_q_chosen.value.font().pointSizeF(),
        "status_pt": window.status.phase_label.font().pointSizeF(),
        "counter_pt": window.status.labels["env_steps"].font().pointSizeF(),
        "toolbar_pt": button.font().pointSizeF(),
    }


def test_presentation_mode_makes_every_text_bigger(qapp, tmp_path):
    from qmix.config import make_config

    window = bare_window(tmp_path, make_config("pursuit"))
    window.resize(1600, 980)
    window.show()
    spin(0.2)
    normal = sizes(window)
    window.set_presentation(True)
    spin(0.3)
    presenting = sizes(window)
    for key, before in normal.items():
        assert presenting[key] >= 1.3 * before, (key, before, presenting[key])
    window.set_presentation(False)
    spin(0.2)
    assert sizes(window) == normal
    window.close()


def test_a_narrow_picture_keeps_readable_labels(qapp, tmp_path):
    """The smallest picture label is 1.3 x the window's own text height."""
    from qmix.config import make_config

    window = bare_window(tmp_path, make_config("pursuit"))
    window.resize(1000, 700)
    window.show()
    window.main_split.setSizes([260, 740])
    spin(0.2)
    scale, least = window.view.label_size()
    w, h = window.view._target_size()
    plain = grid_world.layout(window.view.frame, (w, h), RenderOptions())
    shown = grid_world.layout(window.view.frame, (w, h),
                              RenderOptions(text_scale=scale, min_text_px=least))
    assert plain.header_px < shown.header_px
    assert shown.header_px >= round(1.3 * window.view.fontInfo().pixelSize())
    window.close()
