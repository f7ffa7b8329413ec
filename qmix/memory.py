"""glibc's memory policy for this process: keep freed memory while training, give it back
after one-off events.

Two measured traps (docs/performance.md). With glibc's defaults the update's MB-sized
temporaries were unmapped when freed and faulted in again, page by page, on the next update
(~15 % of an update), so `keep_freed_memory` keeps freed memory in the heap. The price: a
one-off burst of allocations - a checkpoint's copies, an opened file, a replaced run - then
stays resident too (~25-35 MB after a save, measured), and an app that saves and opens
often grew by ~5 % in ten minutes of it. `release_freed_memory` hands the heap's free pages
back (`malloc_trim`, 2-5 ms on a ~900 MB process) after those events; the next update faults
in only its own working set again. Both are no-ops where glibc is absent.
"""

from __future__ import annotations

import ctypes
import functools
import sys


@functools.cache
def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def keep_freed_memory() -> None:
    """Let glibc keep freed memory for reuse instead of handing it back to the OS.

    Measured trap (docs/performance.md): with glibc's defaults the update's MB-sized
    temporaries were unmapped when freed and faulted in again, page by page, on the next
    update (~1,800 page faults and ~15% of an update at 32x26, ~3,100 at 32x50). Peak RSS is
    unchanged; memory is still reused within the process. A no-op where glibc is absent.
    """
    global _MEMORY_KEPT
    if _MEMORY_KEPT:
        return
    _MEMORY_KEPT = True
    libc = _libc()
    if libc is None:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
    libc.mallopt(m_mmap_threshold, 32 << 20)  # blocks up to 32 MB come from the heap ...
    libc.mallopt(m_trim_threshold, 512 << 20)  # ... and are not returned before 512 MB free


_MEMORY_KEPT = False


def release_freed_memory() -> bool:
    """Give the heap's free pages back to the OS; False where that cannot be done."""
    libc = _libc()
    if libc is None or not hasattr(libc, "malloc_trim"):
        return False
    libc.malloc_trim(0)
    return True
