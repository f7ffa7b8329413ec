"""Small building blocks of the window's layout: titled cards, the error banner, splitters, a
dock, a timer, the speed control."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (QDockWidget, QFrame, QHBoxLayout, QLabel, QMainWindow,
                               QPushButton, QSlider, QSplitter, QVBoxLayout, QWidget)

from app.pacing import SPEEDS


def card(title: str, body: QWidget, header_right: QWidget | None = None) -> QFrame:
    """`body` under an upper-case title (and `header_right` beside it, right-aligned)."""
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(12, 10, 12, 12)
    layout.setSpacing(6)
    head = QHBoxLayout()
    label = QLabel(title.upper())
    label.setObjectName("cardTitle")
    head.addWidget(label)
    if header_right is not None:
        head.addWidget(header_right, 1)  # right-aligned label that takes the free width
    else:
        head.addStretch(1)
    layout.addLayout(head)
    layout.addWidget(body, 1)
    return frame


def split(orientation: Qt.Orientation, first: QWidget, second: QWidget, stretch_first: int,
          stretch_second: int) -> QSplitter:
    """Two panes whose sizes share out in the ratio of the stretches; neither collapses."""
    splitter = QSplitter(orientation)
    splitter.addWidget(first)
    splitter.addWidget(second)
    splitter.setStretchFactor(0, stretch_first)
    splitter.setStretchFactor(1, stretch_second)
    splitter.setChildrenCollapsible(False)
    return splitter


def dock(window: QMainWindow, title: str, name: str, body: QWidget) -> QDockWidget:
    """A closable, movable dock on the window's left, hidden until asked for."""
    widget = QDockWidget(title, window)
    widget.setObjectName(name)
    widget.setWidget(body)
    widget.setFeatures(QDockWidget.DockWidgetClosable | QDockWidget.DockWidgetMovable)
    window.addDockWidget(Qt.LeftDockWidgetArea, widget)
    widget.hide()
    return widget


def every(parent: QObject, ms: int, slot: Callable[[], None]) -> QTimer:
    """A started timer calling `slot` every `ms` milliseconds."""
    timer = QTimer(parent)
    timer.setInterval(ms)
    timer.timeout.connect(slot)
    timer.start()
    return timer


class Banner(QFrame):
    """The red one-line message above the cards (an error; the app stays usable)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 8, 8)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.label, 1)
        dismiss = QPushButton("Dismiss")
        dismiss.clicked.connect(self.hide)
        layout.addWidget(dismiss)
        self.hide()

    def show_message(self, message: str) -> None:
        self.label.setText(message)
        self.show()


class SpeedControl(QObject):
    """The toolbar's speed: a "Speed" caption, a slider over `SPEEDS` and the chosen speed as
    text. `changed(steps_per_s)`: None = full speed."""

    changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel("Speed")
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(0, len(SPEEDS) - 1)
        self.slider.setValue(len(SPEEDS) - 1)
        self.slider.setFixedWidth(150)
        self.slider.setFocusPolicy(Qt.NoFocus)
        self.slider.setToolTip("Slow motion (every step drawn) … full speed "
                               "(view at display rate)  (- / +)")
        self.slider.valueChanged.connect(self._moved)
        self.label = QLabel("Full speed")
        self.label.setMinimumWidth(110)

    def speed(self) -> float | None:
        return SPEEDS[self.slider.value()]

    def set_index(self, index: int) -> None:
        self.slider.setValue(max(0, min(len(SPEEDS) - 1, index)))

    def faster(self) -> None:
        self.set_index(self.slider.value() + 1)

    def slower(self) -> None:
        self.set_index(self.slider.value() - 1)

    def _moved(self, index: int) -> None:
        speed = SPEEDS[index]
        self.label.setText("Full speed" if speed is None else f"{speed:g} steps/s")
        self.changed.emit(speed)
