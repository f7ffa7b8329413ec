"""glibc's memory policy (qmix/memory.py): freed memory is kept while training and given back
after one-off events."""

from __future__ import annotations

import os

import numpy as np

from qmix.memory import keep_freed_memory, release_freed_memory


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_freed_memory_is_kept_until_released():
    keep_freed_memory()  # what every learner does
    blocks = [np.ones(2**20 // 8) for _ in range(200)]  # 200 MB of 1 MB heap blocks
    before_free = _rss_mb()
    del blocks
    kept = _rss_mb()
    assert kept > before_free - 50  # freed, but still resident: reused by the next update
    assert release_freed_memory()
    assert _rss_mb() < kept - 150  # given back
