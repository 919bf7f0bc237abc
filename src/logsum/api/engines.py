"""Per-tenant engines kept in one service process, within a memory budget.

Building a fresh engine per request and seeding it with every stored pattern of the tenant costs
time proportional to the tenant's history, and its lines then all take the engine's slow path
(a fresh engine knows none of their shapes): far more than a request's own work. Instead each
process keeps its tenants' engines in memory, in one of two forms:

- **warm**: the engine itself, ready for the next request;
- **compact**: the engine put away as bytes (:meth:`Engine.to_compact`: patterns, what the
  miner learned, the line shapes it replays, what it learned about reading lines: header
  layouts, message keys, date orders; a tenth of its memory or less), brought back in a
  millisecond or two on the tenant's next request (:meth:`Engine.from_compact`), with the same
  pattern ids, templates and header splits for the same lines.

Both together stay within ``max_bytes``, as the engines count their own memory
(:meth:`Engine.memory_bytes`, plus the ids and sent examples kept beside each): past it, the
least recently used warm engines are put away in compact form, and past it with every idle
engine compact, the least recently used compact ones are dropped (such a tenant's next request
rebuilds its engine from the store, as a new process would). ``max_tenants`` bounds the number
of warm engines as well.

- An engine is used by one request at a time (a per-tenant lock; the engine is not
  thread-safe). Different tenants run in parallel.
- Patterns other processes stored are pulled in (``Engine.add_pattern``) when the tenant's engine
  was last synchronised more than ``sync_seconds`` ago, and always when it is first built. Ids
  stay the same across processes either way: a template gets the same id in every process.
"""

from __future__ import annotations

import marshal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from logsum import Engine, ParamSummary

KnownPatterns = Sequence[tuple[str, str, str]]
"""(pattern id, template, severity) of a tenant's stored patterns."""

LoadKnown = Callable[[int], tuple[KnownPatterns, int]]
"""Reads a tenant's stored patterns for its engine, given the last journal id the engine read
(0: none), and returns them with the last journal id read now (see
:meth:`logsum.store.Store.patterns_since`)."""

SentPattern = tuple[str, tuple[ParamSummary, ...], list[dict[str, Any]]]
"""A pattern's template and example values as last sent to the store, and the values' wire
form (the ``params`` of a response's pattern object)."""

_ID_BYTES = 120
"""Estimated bytes of one pattern id kept in a tenant's :attr:`TenantEngine.ids`."""
_SENT_BYTES = 600
"""Estimated bytes of one entry of :attr:`TenantEngine.sent` (template, examples, wire form)."""
_ENTRY_BYTES = 2_048
"""Estimated bytes of a tenant's entry besides its engine or its compact form."""
_RESIDENT = 1.4
"""Resident memory per byte of the engines' own estimate: the allocator's overhead and the
memory freed objects leave behind (measured: 351 MiB resident for 200 bench tenants whose
engines estimated 163 MB over a 129 MiB process; bench/tenants.py)."""


@dataclass
class TenantEngine:
    """One tenant's engine, the pattern ids it knows, and when it last synchronised."""

    engine: Engine
    ids: set[str] = field(default_factory=set)
    """Pattern ids the engine has seen or was seeded with (only ever added to)."""
    synced_at: float = float("-inf")
    journal_id: int = 0
    """The last row of the store's pattern journal the engine has read."""
    sent: dict[str, SentPattern] = field(default_factory=dict)
    """What was last sent to the store per pattern: unchanged example values are not sent
    again (the store then skips its read-merge-write of examples for them), and responses
    reuse their wire form."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    compact: bytes | None = None
    """The engine in compact form while it is put away (then ``engine`` is a placeholder),
    until the tenant's next lease brings it back."""
    size: int = 0
    """Estimated bytes this entry holds, as last measured (see :meth:`measure`)."""
    _known: frozenset[str] = field(default=frozenset(), init=False, repr=False)

    def known_ids(self) -> frozenset[str]:
        """:attr:`ids` as a frozenset (a request's history for the analysis), rebuilt only when
        it grew: ids are only ever added, so an unchanged size means an unchanged set, and a
        busy tenant's requests stop copying its whole history."""
        if len(self._known) != len(self.ids):
            self._known = frozenset(self.ids)
        return self._known

    def seed(self, known: KnownPatterns, now: float) -> None:
        """Add the stored patterns this engine does not know yet."""
        for pattern_id, template, severity in known:
            if pattern_id not in self.ids:
                self.engine.add_pattern(pattern_id, template, severity)
                self.ids.add(pattern_id)
        self.synced_at = now

    def measure(self) -> int:
        """Estimate the bytes this entry holds now (its engine, or its compact form, and the
        ids and sent examples beside it), remember it in :attr:`size` and return it."""
        ids = len(self.ids) * _ID_BYTES + _ENTRY_BYTES
        if self.compact is not None:
            size = len(self.compact) + ids
        else:
            size = self.engine.memory_bytes() + ids + len(self.sent) * _SENT_BYTES
        self.size = int(size * _RESIDENT)
        return self.size

    def put_away(self, placeholder: Engine) -> None:
        """Keep the engine in compact form (the caller holds :attr:`lock`); the examples last
        sent are forgotten (at worst sent to the store again)."""
        self.compact = marshal.dumps((self.engine.to_compact(), tuple(self.ids)))
        self.engine = placeholder
        self.sent = {}
        self._known = frozenset()
        self.ids = set()

    def bring_back(self, restore: Callable[[bytes], Engine]) -> None:
        """The engine from its compact form again (the caller holds :attr:`lock`)."""
        data = self.compact
        if data is None:
            return
        engine, ids = marshal.loads(data)
        self.engine = restore(engine)
        self.ids = set(ids)
        self.compact = None


class TenantEngines:
    """Tenants' engines by tenant id, warm or compact, within ``max_bytes`` (thread-safe).

    ``factory`` makes an empty engine; ``restore`` brings one back from
    :meth:`Engine.to_compact` bytes (with the same configuration as ``factory``'s).
    """

    def __init__(
        self,
        factory: Callable[[], Engine],
        *,
        restore: Callable[[bytes], Engine] | None = None,
        max_tenants: int,
        max_bytes: int,
        sync_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._factory = factory
        self._restore = restore or Engine.from_compact
        self._max = max_tenants
        self.max_bytes = max_bytes
        self.sync_seconds = sync_seconds
        self._clock = clock
        # Least recently used first. Engines are put away least recently used first, so every
        # compact entry is older than every warm one.
        self._warm: OrderedDict[str, TenantEngine] = OrderedDict()
        self._compact: OrderedDict[str, TenantEngine] = OrderedDict()
        self._bytes = 0  # sum of the entries' sizes as last measured
        self._guard = threading.Lock()
        self._placeholder: Engine | None = None  # what a put-away entry's ``engine`` is
        self.restores = 0
        """Engines brought back from compact form so far."""
        self.drops = 0
        """Compact engines dropped so far (their tenants' next requests rebuild from the
        store)."""

    def _entry(self, tenant_id: str) -> TenantEngine:
        with self._guard:
            entry = self._warm.get(tenant_id)
            if entry is not None:
                self._warm.move_to_end(tenant_id)
                return entry
            entry = self._compact.pop(tenant_id, None)
            if entry is None:
                entry = TenantEngine(self._factory())
                self._bytes += entry.measure()
            # (A compact entry is brought back under its lock by the lease: its size is
            # measured again when the lease ends.)
            self._warm[tenant_id] = entry
            return entry

    @contextmanager
    def lease(self, tenant_id: str, load_known: LoadKnown) -> Iterator[TenantEngine]:
        """Hold the tenant's engine (synchronised with the store when due) for one request.

        ``load_known`` reads the tenant's stored patterns; it is called only when a sync is
        due. An engine that was dropped while leased stays valid for its holder.
        """
        entry = self._entry(tenant_id)
        try:
            with entry.lock:
                if entry.compact is not None:
                    entry.bring_back(self._restore)
                    self.restores += 1  # (a statistic: a lost increment is harmless)
                now = self._clock()
                if now - entry.synced_at >= self.sync_seconds:
                    known, entry.journal_id = load_known(entry.journal_id)
                    entry.seed(known, now)
                yield entry
        finally:
            self._settle(tenant_id, entry)

    def _settle(self, tenant_id: str, entry: TenantEngine) -> None:
        """Account for the entry's new size and bring the process back within its limits."""
        with entry.lock:
            before = entry.size
            after = entry.measure()
        with self._guard:
            if self._warm.get(tenant_id) is entry or self._compact.get(tenant_id) is entry:
                self._bytes += after - before
            self._shrink()

    def _within(self) -> bool:
        return self._bytes <= self.max_bytes and len(self._warm) <= self._max

    def _shrink(self) -> None:
        """Put away least recently used warm engines, then drop least recently used compact
        ones, until within ``max_bytes`` and ``max_tenants`` (the caller holds the guard).
        An engine in use is skipped, and the most recent one stays warm even alone over the
        budget (its tenant is active)."""
        if self._within():
            return
        busy: list[tuple[str, TenantEngine]] = []
        while len(self._warm) > 1 and not self._within():
            tenant_id, entry = self._warm.popitem(last=False)
            if not entry.lock.acquire(blocking=False):
                busy.append((tenant_id, entry))
                continue
            try:
                if self._placeholder is None:
                    self._placeholder = self._factory()
                before = entry.size
                entry.put_away(self._placeholder)
                self._bytes += entry.measure() - before
                self._compact[tenant_id] = entry
            finally:
                entry.lock.release()
        for tenant_id, entry in reversed(busy):  # back where they were, oldest first
            self._warm[tenant_id] = entry
            self._warm.move_to_end(tenant_id, last=False)
        while self._compact and self._bytes > self.max_bytes:
            tenant_id, entry = self._compact.popitem(last=False)
            self._bytes -= entry.size
            self.drops += 1

    def stats(self) -> dict[str, int]:
        """Tenants held warm and compact, their estimated bytes, and the restores and drops
        so far."""
        with self._guard:
            return {
                "warm": len(self._warm),
                "compact": len(self._compact),
                "bytes": self._bytes,
                "restores": self.restores,
                "drops": self.drops,
            }

    def __len__(self) -> int:
        with self._guard:
            return len(self._warm) + len(self._compact)
