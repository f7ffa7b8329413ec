"""The GUI-thread garbage collector (app/collector.py): automatic collection off while a
window lives, collections when the interpreter's thresholds say so, restored at the end."""

from __future__ import annotations

import gc

from app.collector import GuiThreadCollector


def test_collects_on_this_thread_by_the_thresholds_and_restores_gc(qapp):
    was = gc.isenabled()
    collector = GuiThreadCollector(interval_ms=10_000)
    try:
        assert not gc.isenabled()
        junk = [[i] for i in range(gc.get_threshold()[0] + 10)]
        assert collector.collect_due() >= 0
        del junk
        collector.freeze()
        assert gc.get_freeze_count() > 0
        collector.unfreeze()
        assert gc.get_freeze_count() == 0
    finally:
        collector.stop()
    assert gc.isenabled() == was
    collector.stop()  # twice is harmless
