"""The run settings panel (app/settings_panel.py): shows a config, says when it differs from
the run, builds the next config keeping the world's own settings."""

from __future__ import annotations

import pytest

from app.settings_panel import RunSettings
from qmix.config import make_config


def test_pending_changes_and_the_next_config(qapp):
    panel = RunSettings()
    run = make_config("pursuit", scenario_kwargs={"grid_size": 7})
    panel.load(run)
    assert not panel.is_pending() and panel.values()["hidden_dim"] == run.hidden_dim
    panel.editors["hidden_dim"].setValue(24)
    assert panel.is_pending() and panel.apply_button.property("pending") == "true"
    nxt = panel.build_config("pursuit", "vdn", base=run)
    assert nxt.hidden_dim == 24 and nxt.algo == "vdn"
    assert nxt.scenario_kwargs == {"grid_size": 7}
    other = panel.build_config("two_step", "qmix", base=run)  # another world: its defaults
    assert other.scenario == "two_step" and other.scenario_kwargs == {}
    panel.editors["batch_size"].setValue(1024)  # two_step's buffer holds 512 episodes
    with pytest.raises(ValueError, match="buffer_size"):
        panel.build_config("two_step", "qmix")
    for name, editor in panel.editors.items():
        assert editor.toolTip().startswith(f"{name}: "), name  # Config's own docs


def test_spin_boxes_show_their_arrows(qapp):
    """The theme's style sheet draws the spin box buttons itself (Fusion's arrows vanished
    under it): the up and down button rects hold arrow-coloured pixels, in both themes."""
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QSpinBox, QStyle, QStyleOptionSpinBox

    from app.theme import THEMES, stylesheet

    for theme in THEMES.values():
        panel = RunSettings()
        panel.setStyleSheet(stylesheet(theme, 1.0))
        panel.load(make_config("pursuit"))
        panel.resize(320, 640)
        panel.show()
        qapp.processEvents()
        spin = panel.editors["hidden_dim"]
        assert isinstance(spin, QSpinBox)
        image = spin.grab().toImage()
        option = QStyleOptionSpinBox()
        option.initFrom(spin)
        option.subControls = QStyle.SC_All
        ink = QColor(theme.text)
        for control in (QStyle.SC_SpinBoxUp, QStyle.SC_SpinBoxDown):
            rect = spin.style().subControlRect(QStyle.CC_SpinBox, option, control,
                                               spin) & image.rect()
            assert rect.width() >= 10 and rect.height() >= 6, (theme.name, rect)
            near = 0
            for x in range(rect.left(), rect.right() + 1):
                for y in range(rect.top(), rect.bottom() + 1):
                    c = image.pixelColor(x, y)
                    near += (abs(c.red() - ink.red()) + abs(c.green() - ink.green())
                             + abs(c.blue() - ink.blue())) < 90
            assert near >= 6, (theme.name, control, near)  # a drawn triangle, not blank
        panel.close()
