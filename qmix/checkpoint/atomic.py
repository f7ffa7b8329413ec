"""Atomic file writes: a temporary file in the same folder, flush, fsync, `os.replace`, fsync
of the folder. On any failure the temporary file is removed and the earlier file is intact, so
a crash, a full disk or SIGKILL during a save never loses the previous checkpoint. The messages
say what went wrong in one line (a full disk, a read-only folder, ...).

Nothing HDF5-specific here: the caller passes a function that writes the temporary file.
"""

from __future__ import annotations

import datetime
import errno
import os
import re
import secrets
from typing import Callable

from qmix.checkpoint.errors import CheckpointError, one_line as _one_line


def write_atomically(path: str, write: Callable[[str], None]) -> None:
    """Call `write(tmp_path)` to fill a temporary file, then put it at `path` atomically.

    Raises CheckpointError for OS-level failures; any other exception from `write` propagates
    after the temporary file has been removed.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise CheckpointError(f"cannot save to {path}: it is a folder, not a file")
    if not os.path.isdir(folder):
        raise CheckpointError(f"cannot save to {path}: the folder {folder} does not exist")
    tmp = os.path.join(folder, f".{os.path.basename(path)}.tmp-{os.getpid()}-"
                               f"{secrets.token_hex(4)}")
    created = False
    try:
        # Create the temporary file ourselves: a read-only folder or a full disk then fails
        # here with a proper errno rather than inside HDF5's error stack.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        created = True
        os.close(fd)
        write(tmp)
        fd = os.open(tmp, os.O_RDWR)
        try:
            os.fsync(fd)  # the data is on disk before the name points at it
        finally:
            os.close(fd)
        os.replace(tmp, path)
        created = False
        _fsync_folder(folder)
        _remove_stale_temps(folder, os.path.basename(path))
    except (OSError, RuntimeError) as exc:
        raise CheckpointError(_save_failure(path, exc)) from exc
    finally:
        if created:
            try:
                os.unlink(tmp)
            except OSError:
                pass


STALE_TEMP_AGE_S = 600.0


def _remove_stale_temps(folder: str, name: str) -> None:
    """Delete temporary files that killed saves of this checkpoint left behind: those of
    processes no longer running, untouched for STALE_TEMP_AGE_S. They are never read, only
    litter; a live writer's file (same pid alive, or recently modified) is left alone."""
    pattern = re.compile(re.escape(f".{name}.tmp-") + r"(\d+)-[0-9a-f]+$")
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    now = datetime.datetime.now().timestamp()
    for entry in entries:
        found = pattern.match(entry)
        if not found or int(found.group(1)) == os.getpid():
            continue
        full = os.path.join(folder, entry)
        try:
            if now - os.path.getmtime(full) < STALE_TEMP_AGE_S or _pid_alive(
                    int(found.group(1))):
                continue
            os.unlink(full)
        except OSError:
            pass


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # pragma: no cover - no cheap liveness check; keep the file
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _fsync_folder(folder: str) -> None:
    """Persist the rename itself (POSIX); best effort where folders cannot be opened."""
    if os.name == "nt":  # pragma: no cover - Windows has no directory fsync
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # e.g. EINVAL on file systems without directory fsync; the rename still happened
    finally:
        os.close(fd)


def errno_of(exc: BaseException) -> int | None:
    """errno of an OSError; HDF5 errors carry it only inside the message ("errno = 28")."""
    if isinstance(exc, OSError) and exc.errno:
        return exc.errno
    found = re.search(r"errno\s*=\s*(\d+)", str(exc))
    return int(found.group(1)) if found else None


def _save_failure(path: str, exc: BaseException) -> str:
    code = errno_of(exc)
    folder = os.path.dirname(os.path.abspath(path))
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        why = "the disk is full"
    elif code in (errno.EACCES, errno.EPERM):
        why = f"permission denied (is the folder {folder} writable?)"
    elif code == errno.EROFS:
        why = f"the folder {folder} is on a read-only file system"
    elif code == errno.ENOENT:
        why = f"the folder {folder} does not exist or cannot hold files"
    elif code == errno.EISDIR:
        why = "it is a folder, not a file"
    else:
        why = _one_line(exc)
    return f"cannot save to {path}: {why}; any earlier file there is unchanged"
