"""Group commit: concurrent writes for the same key share one transaction.

A service process runs several analyses at once (threads), and under load their pattern upserts
for one tenant arrive while another one is being written. Writing them one transaction each
costs a transaction and a row per pattern per request; the requests of one tenant mostly touch
the same patterns, so writing them together costs little more than writing one.

The scheme is the one databases use for their logs: whoever arrives while no write for the key
is running becomes the *leader*, takes everything queued for the key (its own work included),
and writes it in one call; the others wait. When the leader is done, a caller whose work is
still queued becomes the next leader. Every caller returns only once its own work is committed
(or raises the error its write met), so a caller never sees a success that is not stored. No
thread is added, and a lone caller writes at once, exactly as without grouping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
W = TypeVar("W")


class _Ticket(Generic[W]):
    """One caller's work and, once written, its outcome."""

    __slots__ = ("done", "error", "work")

    def __init__(self, work: W) -> None:
        self.work = work
        self.done = False
        self.error: BaseException | None = None


class GroupCommit(Generic[K, W]):
    """Runs ``write(key, works)`` for batches of concurrently submitted works of one key."""

    def __init__(self, write: Callable[[K, list[W]], None]) -> None:
        self._write = write
        self._cond = threading.Condition()
        self._queued: dict[K, list[_Ticket[W]]] = {}
        self._writing: set[K] = set()

    def submit(self, key: K, work: W) -> None:
        """Write ``work`` (possibly together with other callers' works for ``key``) and return
        once it is written; raises what the write raised."""
        ticket = _Ticket(work)
        with self._cond:
            self._queued.setdefault(key, []).append(ticket)
            while not ticket.done and key in self._writing:
                self._cond.wait()
            lead = not ticket.done  # queued still, and no write running for the key
            if lead:
                self._writing.add(key)
                batch = self._queued.pop(key)
        if lead:
            self._lead(key, batch)
        if ticket.error is not None:
            raise ticket.error

    def _lead(self, key: K, batch: list[_Ticket[W]]) -> None:
        error: BaseException | None = None
        try:
            self._write(key, [t.work for t in batch])
        except BaseException as exc:  # every caller of the batch gets the write's error
            error = exc
        with self._cond:
            for t in batch:
                t.error = error
                t.done = True
            self._writing.discard(key)
            self._cond.notify_all()
