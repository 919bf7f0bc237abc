"""One writer at a time on an SQLite database, handed over by the kernel.

SQLite lets one connection write at a time. A second writer that finds the database locked is
put to sleep by SQLite's busy handler in growing steps (up to 100 ms) and retries when it wakes,
so under a steady stream of writes from two processes a writer routinely waits several times
longer than the write it waits for. Here writers queue on an ``flock`` of a file beside the
database instead: the kernel wakes the next one the moment the lock is released. Threads of one
process queue on a mutex first (an ``flock`` is held per open file, not per thread).

The lock only orders LogSum's own writers; SQLite's locking still guarantees correctness for
anything else that writes to the file.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType


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
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
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
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._mutex.release()

    def close(self) -> None:
        """Close the lock file (the lock must not be held); it is reopened on the next use."""
        with self._mutex:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
