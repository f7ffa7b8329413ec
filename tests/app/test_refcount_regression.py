"""Regression guard for the PySide6 6.12.0 / CPython 3.11 reference-count bug (docs/facts.md):
every wrapped call returning nothing (signal emits, `QPainter.setPen`, `drawImage`,
`QLabel.setText`, ...) dropped a reference to None/True, and the process aborted with
"Fatal Python error: none_dealloc" within seconds at 60 fps. A broken binding crashes this
test (the whole pytest process dies) long before its end."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from app.inspector import InspectorPanel
from qmix.types import Decision, Inspection, Snapshot

N = 20_000


class Emitter(QObject):
    frame = Signal(object)
    tick = Signal()


class Sink(QObject):
    def __init__(self, label: QLabel) -> None:
        super().__init__()
        self.label = label
        self.count = 0

    @Slot(object)
    def on_frame(self, payload: object) -> None:
        self.count += 1
        self.label.setText(str(payload))


class Probe(QWidget):
    """Paints with the calls the env view and the inspector use."""

    def __init__(self) -> None:
        super().__init__()
        self.resize(64, 48)
        self.image = QImage(32, 32, QImage.Format_RGB32)
        self.image.fill(QColor("#336699"))
        self.paints = 0

    def paintEvent(self, event: object) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.drawImage(QPointF(0, 0), self.image)
        p.setPen(QPen(QColor("#ffffff"), 2))
        p.setBrush(QColor("#ff9f43"))
        p.drawRoundedRect(QRectF(4, 4, 20, 10), 3, 3)
        p.drawText(QRectF(0, 0, 64, 48), Qt.AlignCenter, "Q")
        p.end()
        self.paints += 1


def fake_snapshot(i: int) -> Snapshot:
    qs = np.array([[0.1 * i % 7, 1.0], [2.0, -0.5]], np.float32)
    avail = np.ones((2, 2), bool)
    acts = np.array([i % 2, 1])
    insp = Inspection(agent_qs=qs, avail_actions=avail, chosen_actions=acts,
                      greedy_actions=np.array([1, 0]), q_tot_chosen=float(i), q_tot_greedy=2.0,
                      v_s=0.5, credit=np.array([0.3, 0.7], np.float32),
                      q_tot_table=np.arange(4, dtype=np.float32).reshape(2, 2))
    dec = Decision(t=1, obs=np.zeros((2, 3)), state=np.zeros(3), avail_actions=avail,
                   actions=acts, greedy_actions=np.array([1, 0]),
                   explored=np.array([i % 3 == 0, False]), epsilon=0.5, agent_qs=qs)
    return Snapshot(frame={"scenario": "two_step", "state_name": "2B"}, t=1,
                    episode_return=0.0, decision=dec, inspection=insp,
                    true_joint_values=np.array([[0, 1], [1, 8]], np.float32), env_steps=i,
                    episodes=0, updates=0, epsilon=0.5)


def test_twenty_thousand_emits_paints_and_set_texts_do_not_crash(qapp):
    label = QLabel()
    label.show()
    probe = Probe()
    probe.show()
    emitter, sink = Emitter(), Sink(label)
    emitter.frame.connect(sink.on_frame)
    none_refs = sys.getrefcount(None)
    started = time.perf_counter()
    for i in range(N):
        emitter.frame.emit(i)  # same thread: a direct call of the slot (+ setText)
        emitter.tick.emit()
        probe.repaint()  # synchronous paintEvent: drawImage, setPen, setBrush, drawText
        if i % 500 == 0:
            QApplication.processEvents()
    assert sink.count == N and probe.paints >= N
    assert label.text() == str(N - 1)
    # a leaking binding loses ~10 references to None per iteration; allow unrelated noise
    assert abs(sys.getrefcount(None) - none_refs) < N
    assert time.perf_counter() - started < 60


def test_queued_frames_from_another_thread_reach_the_gui_intact(qapp):
    label = QLabel()
    emitter, sink = Emitter(), Sink(label)
    emitter.frame.connect(sink.on_frame)  # receiver lives in the GUI thread: queued

    def produce() -> None:
        for i in range(5_000):
            emitter.frame.emit(i)

    thread = threading.Thread(target=produce)
    thread.start()
    deadline = time.perf_counter() + 60
    while (thread.is_alive() or sink.count < 5_000) and time.perf_counter() < deadline:
        QApplication.processEvents()
    thread.join()
    assert sink.count == 5_000 and label.text() == "4999"


def test_inspector_survives_thousands_of_snapshots(qapp):
    panel = InspectorPanel()
    panel.resize(700, 500)
    panel.show()
    QApplication.processEvents()
    for i in range(2_000):
        panel.set_snapshot(fake_snapshot(i), ("action 0", "action 1"))
        if i % 10 == 0:
            image = panel.grab().toImage()  # paints the tiles, bars and heat maps
    assert panel.shown["q_chosen"] == "1999.0"
    colours = {image.pixel(x, y) for x in range(0, 700, 5) for y in range(0, 500, 5)}
    assert len(colours) > 10  # tiles, bars and heat-map cells were drawn
