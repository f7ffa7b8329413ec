"""Python's cyclic garbage collector, run on the GUI thread only.

Why: automatic collection runs in whichever thread happens to allocate, and with the trainer's
threads allocating most, that is usually not the GUI thread. Collecting a PySide wrapper
there runs its weakref callback, which disconnects a Qt signal: Qt takes its connection mutex,
then PySide asks for the GIL to look up a Python override. Meanwhile the GUI thread, holding the
GIL, waited for that same mutex in a `connect` - a deadlock, found by the GUI tests (the
process hung with exactly these two stacks). So while a window is open, automatic collection
is off and this timer collects on the GUI thread, generation by generation with the
interpreter's own thresholds. After a run is built, `gc.freeze()` moves TensorFlow's ~300k
long-lived objects out of the scans: a full collection then takes milliseconds instead of
~150 ms (a dropped frame and a stalled trainer).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

from qmix.memory import release_freed_memory

_active = 0  # collectors alive (tests open several windows)
_was_enabled = True


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = 100) -> None:
        super().__init__(parent)
        global _active, _was_enabled
        if _active == 0:
            _was_enabled = gc.isenabled()
        _active += 1
        gc.disable()
        self._running = True
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start()

    def collect_due(self) -> int:
        """One collection if the interpreter's thresholds say one is due; its generation
        (or -1)."""
        count0, count1, count2 = gc.get_count()
        threshold0, threshold1, threshold2 = gc.get_threshold()
        if count0 < threshold0 or threshold0 == 0:
            return -1
        generation = 0
        if count1 >= threshold1:
            generation = 2 if count2 >= threshold2 else 1
        gc.collect(generation)
        return generation

    def freeze(self) -> None:
        """Everything alive now (TensorFlow, the networks) is long-lived: stop scanning it.
        The run this one replaced is collected first, and its memory given back to the OS
        (qmix/memory.py: glibc would keep it resident)."""
        gc.collect()
        gc.freeze()
        release_freed_memory()

    def unfreeze(self) -> None:
        """Before a run is replaced, so the old one can be collected."""
        gc.unfreeze()

    def stop(self) -> None:
        global _active
        if not self._running:
            return
        self._running = False
        self.timer.stop()
        _active -= 1
        if _active == 0:
            gc.unfreeze()
            if _was_enabled:
                gc.enable()
