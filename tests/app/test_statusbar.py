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


def visible_labels(bar):
    from PySide6.QtWidgets import QLabel

    return [w for w in bar.findChildren(QLabel) if w.isVisible() and w.text()]


def no_overlap(widgets):
    rects = [w.geometry() for w in widgets]
    return all(not a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])


def test_one_message_at_a_time_in_one_label(qapp):
    """A notice, QStatusBar.showMessage ("Saved ...") and an action's status tip all land
    in the one left label; Qt's own painted message (drawn over the phase label before)
    is never left set, and no two labels overlap."""
    from PySide6.QtGui import QStatusTipEvent
    from PySide6.QtWidgets import QApplication

    window = QMainWindow()
    window.resize(1200, 300)
    bar = StatusBar(window.statusBar())
    window.show()
    bar.show_phase(Phase.PAUSED, "ready", DARK)
    bar.show_counters(1000, 10, 5, 30.0)
    qapp.processEvents()
    assert bar.left_text() == "● Paused · ready"
    bar.message("Greedy episode return: 19.8", 6000)
    qapp.processEvents()
    assert bar.left_text() == "Greedy episode return: 19.8"
    assert "Paused" not in bar.phase_label.text()
    assert no_overlap(visible_labels(window.statusBar()))
    window.statusBar().showMessage("Saved /tmp/run.h5", 6000)
    qapp.processEvents()
    assert window.statusBar().currentMessage() == ""  # nothing for Qt to paint
    assert bar.left_text() == "Saved /tmp/run.h5"
    QApplication.sendEvent(window, QStatusTipEvent("Train continuously / pause"))
    qapp.processEvents()
    assert bar.left_text() == "Train continuously / pause"
    assert window.statusBar().currentMessage() == ""
    assert no_overlap(visible_labels(window.statusBar()))
    QApplication.sendEvent(window, QStatusTipEvent(""))  # the pointer left the button
    bar.show_phase(Phase.RUNNING, "", DARK)
    assert bar.left_text() == "Saved /tmp/run.h5"  # the message until it times out
    bar.clear_message()
    assert bar.left_text() == "● Training"
    window.close()


def test_left_text_is_never_cut_counters_give_way(qapp):
    window = QMainWindow()
    window.resize(700, 300)
    bar = StatusBar(window.statusBar())
    window.show()
    bar.show_counters(123_456_789, 1_234_567, 98_765, 60.0)
    bar.show_phase(Phase.EVALUATING, "watching one greedy episode", DARK)
    qapp.processEvents()
    bar.fit()
    qapp.processEvents()
    label = bar.phase_label
    assert label.width() >= label.sizeHint().width()  # the whole text, no ellipsis
    assert not bar.labels["fps"].isVisible()  # the least important counter went first
    assert bar.labels["env_steps"].isVisible()
    assert no_overlap(visible_labels(window.statusBar()))
    window.resize(1500, 300)
    qapp.processEvents()
    bar.fit()
    assert all(label.isVisibleTo(window.statusBar()) for label in bar.labels.values())
    window.close()
