"""The status bar (app/statusbar.py): phase text, counters, rates over the last seconds."""

from __future__ import annotations

from PySide6.QtWidgets import QMainWindow

from app.statusbar import RateMeter, StatusBar, phase_text
from app.theme import DARK
from app.worker import Phase


def test_phase_text_with_and_without_detail():
    assert phase_text(Phase.PAUSED, "stepped one env step") == "Paused · stepped one env step"
    assert phase_text(Phase.RUNNING, "ignored") == "Training"
    assert phase_text(Phase.STARTING, "Starting TensorFlow…") == "Starting TensorFlow…"
    assert phase_text(Phase.ERROR, "Training diverged: ...") == "Stopped by an error"
    assert all(phase_text(p, "") for p in Phase)


def test_rates_over_the_last_two_seconds_and_none_backwards():
    meter = RateMeter()
    assert meter.add(0.0, 0, 0) == (0.0, 0.0)
    assert meter.add(0.1, 50, 1) == (0.0, 0.0)  # under 0.2 s of readings
    steps_s, updates_s = meter.add(1.0, 1000, 20)
    assert steps_s == 1000.0 and updates_s == 20.0
    for k in range(2, 10):
        meter.add(float(k), 1000 * k, 20 * k)
    steps_s, _ = meter.add(10.0, 10_000, 200)
    assert steps_s == 1000.0  # the old readings left the window
    assert meter.add(10.5, 0, 0) == (0.0, 0.0)  # a new run: counters went back


def test_labels_show_counters_rates_and_fps(qapp):
    window = QMainWindow()
    bar = StatusBar(window.statusBar())
    bar.show_counters(12_345, 67, 89, None)
    texts = {k: label.text() for k, label in bar.labels.items()}
    assert texts["env_steps"] == "env steps 12,345" and texts["episodes"] == "episodes 67"
    assert texts["updates"] == "updates 89" and texts["fps"] == "– fps"
    bar.show_counters(12_345, 67, 89, 59.6)
    assert bar.labels["fps"].text() == "60 fps"
    bar.show_phase(Phase.RUNNING, "", DARK)
    assert DARK.good in bar.phase_label.text() and "Training" in bar.phase_label.text()
