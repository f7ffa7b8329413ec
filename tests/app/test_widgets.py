"""The window's building blocks (app/widgets.py): the speed control's stops, the banner."""

from __future__ import annotations

from app.pacing import SPEEDS
from app.widgets import Banner, SpeedControl


def test_speed_control_walks_the_stops_and_says_the_speed(qapp):
    speed = SpeedControl()
    got = []
    speed.changed.connect(got.append)
    assert speed.speed() is None and speed.label.text() == "Full speed"
    speed.slower()
    assert speed.speed() == SPEEDS[-2] and got == [SPEEDS[-2]]
    assert speed.label.text() == f"{SPEEDS[-2]:g} steps/s"
    speed.set_index(-5)
    assert speed.speed() == SPEEDS[0]
    speed.slower()  # stays at the slowest stop
    assert speed.speed() == SPEEDS[0]
    speed.set_index(99)
    speed.faster()
    assert speed.speed() is None and got[-1] is None


def test_banner_shows_one_message(qapp):
    banner = Banner()
    assert banner.isHidden()
    banner.show_message("error: run.h5 is damaged")
    assert not banner.isHidden() and banner.label.text() == "error: run.h5 is damaged"
