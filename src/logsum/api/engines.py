"""Per-tenant engines kept warm in one service process.

Building a fresh engine per request and seeding it with every stored pattern of the tenant costs
time proportional to the tenant's history (tens of milliseconds for a few hundred patterns), far
more than a small request's own lines. Instead each process keeps, for its most recently active
tenants, one engine that has seen the tenant's stored patterns and the lines this process
analysed for it:

- An engine is used by one request at a time (a per-tenant lock; the engine is not
  thread-safe). Different tenants run in parallel.
- Patterns other processes stored are pulled in (``Engine.add_pattern``) when the tenant's engine
  was last synchronised more than ``sync_seconds`` ago, and always when it is first built. Ids
  stay the same across processes either way: a template gets the same id in every process.
- At most ``max_tenants`` engines are kept (least recently used evicted); each is bounded by its
  :class:`~logsum.EngineConfig`.
"""

from __future__ import annotations

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

SentPattern = tuple[str, tuple[ParamSummary, ...], list[dict[str, Any]]]
"""A pattern's template and example values as last sent to the store, and the values' wire
form (the ``params`` of a response's pattern object)."""


@dataclass
class TenantEngine:
    """One tenant's engine, the pattern ids it knows, and when it last synchronised."""

    engine: Engine
    ids: set[str] = field(default_factory=set)
    """Pattern ids the engine has seen or was seeded with (only ever added to)."""
    synced_at: float = float("-inf")
    sent: dict[str, SentPattern] = field(default_factory=dict)
    """What was last sent to the store per pattern: unchanged example values are not sent
    again (the store then skips its read-merge-write of examples for them), and responses
    reuse their wire form."""
    lock: threading.Lock = field(default_factory=threading.Lock)
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


class TenantEngines:
    """A bounded, thread-safe LRU of :class:`TenantEngine` by tenant id."""

    def __init__(
        self,
        factory: Callable[[], Engine],
        *,
        max_tenants: int,
        sync_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._factory = factory
        self._max = max_tenants
        self.sync_seconds = sync_seconds
        self._clock = clock
        self._entries: OrderedDict[str, TenantEngine] = OrderedDict()
        self._guard = threading.Lock()

    def _entry(self, tenant_id: str) -> TenantEngine:
        with self._guard:
            entry = self._entries.get(tenant_id)
            if entry is None:
                entry = TenantEngine(self._factory())
                self._entries[tenant_id] = entry
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(tenant_id)
            return entry

    @contextmanager
    def lease(
        self, tenant_id: str, load_known: Callable[[], KnownPatterns]
    ) -> Iterator[TenantEngine]:
        """Hold the tenant's engine (synchronised with the store when due) for one request.

        ``load_known`` reads the tenant's stored patterns; it is called only when a sync is
        due. An engine that was evicted while leased stays valid for its holder.
        """
        entry = self._entry(tenant_id)
        with entry.lock:
            now = self._clock()
            if now - entry.synced_at >= self.sync_seconds:
                entry.seed(load_known(), now)
            yield entry

    def __len__(self) -> int:
        with self._guard:
            return len(self._entries)
