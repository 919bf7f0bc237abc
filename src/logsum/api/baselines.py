"""Each tenant's learned baseline in the service: ``learn_only`` analyses teach it, later
analyses of the tenant are judged against it (see docs/API.md, "Baselines").

The baseline is the core's :class:`~logsum.core.baseline.Baseline` without pattern ids (the
tenant's stored patterns already are its history): the profile of its sessions and the rates of
its steady patterns, merged over every ``learn_only`` request
(:meth:`~logsum.core.baseline.Baseline.merged`: counts added, the most common signatures kept,
count rules learned again), stored as JSON in the store's ``baselines`` table. Bounded by the
core's limits (2,000 count signatures, 1,000 rules, 64 counts per pattern, 20,000 transitions,
2,000 pattern rates) and by the store's ``MAX_BASELINE_BYTES`` (a profile that would not fit
keeps the more common half of its signatures until it does). Stored rates that do not read are
left out (:meth:`~logsum.core.baseline.Baseline.from_dict`) and learned again by the next
``learn_only`` request. Processes cache it for ``LOGSUM_ENGINE_SYNC_SECONDS`` (a learn or a
reset in one process reaches the others within that time; in the same process at once).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace

import orjson

from logsum import LineResult, Pattern
from logsum.core.analysis import AnalysisOptions, Analyzer, Baseline
from logsum.store import Store
from logsum.store.baselines import MAX_BASELINE_BYTES, StoredBaseline

log = logging.getLogger("logsum.api")

MAX_CACHED = 256
"""Tenants whose baseline a process keeps parsed (least recently used beyond it dropped)."""


class TenantBaselines:
    """Load, learn, merge, store and reset tenants' baselines."""

    def __init__(self, store: Store, ttl_seconds: float) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[float, Baseline | None]] = OrderedDict()

    def get(self, tenant_id: str) -> Baseline | None:
        """The tenant's baseline, if it learned one."""
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(tenant_id)
            if hit is not None and now - hit[0] <= self._ttl:
                self._cache.move_to_end(tenant_id)
                return hit[1]
        stored = self._store.baselines.get(tenant_id)
        baseline = _parse(tenant_id, stored) if stored is not None else None
        self._remember(tenant_id, baseline, now)
        return baseline

    def learn(
        self,
        tenant_id: str,
        results: Sequence[LineResult],
        patterns: Sequence[Pattern],
        session_key: str | None,
    ) -> None:
        """Learn from these known-good lines and merge it into the tenant's baseline."""
        analyzer = Analyzer(
            AnalysisOptions(generate_insights=False, session_key=session_key), learn_only=True
        )
        analyzer.feed_many(results)
        found = analyzer.learned(patterns, min_sessions=1)
        learned = Baseline(frozenset(), found.lines, found.sessions, found.rates)
        stored = self._store.baselines.get(tenant_id)
        old = _parse(tenant_id, stored) if stored is not None else None
        merged = old.merged(learned) if old is not None else learned
        payload = orjson.dumps(merged.to_dict()).decode()
        while len(payload) > MAX_BASELINE_BYTES and merged.sessions and merged.sessions.signatures:
            # Within the store's bound: keep the more common half of the count signatures.
            kept = sorted(merged.sessions.signatures.items(), key=lambda kv: -kv[1])
            profile = replace(merged.sessions, signatures=dict(kept[: len(kept) // 2]))
            merged = replace(merged, sessions=profile)
            payload = orjson.dumps(merged.to_dict()).decode()
        sessions = merged.sessions.sessions if merged.sessions is not None else 0
        self._store.baselines.put(tenant_id, payload, sessions=sessions, lines=merged.lines)
        self._remember(tenant_id, merged, time.monotonic())

    def summary(self, tenant_id: str) -> StoredBaseline | None:
        """The stored baseline's row (sizes and counts), if any."""
        return self._store.baselines.get(tenant_id)

    def reset(self, tenant_id: str) -> bool:
        """Forget the tenant's baseline; True when it had one."""
        gone = self._store.baselines.delete(tenant_id)
        self._remember(tenant_id, None, time.monotonic())
        return gone

    def _remember(self, tenant_id: str, baseline: Baseline | None, now: float) -> None:
        with self._lock:
            self._cache[tenant_id] = (now, baseline)
            self._cache.move_to_end(tenant_id)
            while len(self._cache) > MAX_CACHED:
                self._cache.popitem(last=False)


def _parse(tenant_id: str, stored: StoredBaseline) -> Baseline | None:
    """The stored baseline, or ``None`` when its row does not read (damaged, or written by a
    version of LogSum this one does not know): the key is judged as if it had none, and its next
    ``learn_only`` request starts a new one, rather than every request of the key failing."""
    try:
        return Baseline.from_dict(orjson.loads(stored.payload))
    except (ValueError, TypeError, KeyError) as exc:  # orjson's decode error is a ValueError
        log.warning("stored baseline of tenant %s does not read (%s); ignoring it", tenant_id, exc)
        return None
