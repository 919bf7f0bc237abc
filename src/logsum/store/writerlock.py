"""One writer at a time on an SQLite database, across threads and processes.

SQLite lets one connection write at a time. A second writer that finds the database locked is
put to sleep by SQLite's busy handler in growing steps (up to 100 ms) and retries when it wakes,
so under a steady stream of writes from two processes a writer routinely waits several times
longer than the write it waits for. Here writers queue on a file lock beside the database
instead (``filelock``'s descriptor lock: an ``flock`` on Unix, ``LockFileEx`` on Windows), tried
again every :data:`POLL_S`, far sooner than SQLite's busy handler would. Threads of one process
queue on a mutex first (the lock is held per open file, not per thread), so only one thread of a
process polls.

The descriptor lock, not ``filelock.FileLock``: the lock file is opened once and kept open, so
taking the lock uncontended costs one system call (``FileLock`` opens, resolves and closes the
file each time, about a hundred times as long, which is a fifth of a journal write).

The lock only orders LogSum's own writers; SQLite's locking still guarantees correctness for
anything else that writes to the file.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType

from filelock import lock_descriptor, unlock_descriptor

POLL_S = 0.001
"""How often a writer of another process tries the lock file while it is held. The lock is
held for one SQLite write (well under a millisecond to a few), so a coarser step would let the
lock sit free; a finer one costs a system call per step."""
FILE_MODE = 0o600
"""Permissions of a new lock file (only the service's user opens it)."""


class WriterLock:
    """A cross-process writer lock (not reentrant); use as a context manager."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._mutex = threading.Lock()
        self._fd: int | None = None

    def __enter__(self) -> WriterLock:
        self._mutex.acquire()
        try:
            if self._fd is None:
                flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
                self._fd = os.open(self._path, flags, FILE_MODE)
            lock_descriptor(self._fd, poll_interval=POLL_S)
        except BaseException:
            self._mutex.release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._fd is not None:
                unlock_descriptor(self._fd)
        finally:
            self._mutex.release()

    def close(self) -> None:
        """Close the lock file (the lock must not be held); it is reopened on the next use."""
        with self._mutex:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
