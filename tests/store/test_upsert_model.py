"""Random batches of deltas against a plain-Python model of the documented upsert rules."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logsum.core.model import Severity
from logsum.store import PatternDelta, Store

_BASE = datetime(2024, 1, 1, tzinfo=UTC)
_times = st.one_of(st.none(), st.integers(0, 10_000).map(lambda s: _BASE + timedelta(seconds=s)))
_deltas = st.builds(
    PatternDelta,
    pattern_id=st.sampled_from(["a", "b", "c"]),
    template=st.sampled_from(["t <*>", "t <*> <*>"]),
    severity=st.sampled_from([s.value for s in Severity]),
    count=st.integers(0, 50),
    first_seen=_times,
    last_seen=_times,
)
_tenants = itertools.count()


def _rank(severity: str) -> int:
    return Severity(severity).rank


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batches=st.lists(st.lists(_deltas, max_size=6), min_size=1, max_size=5))
def test_store_matches_the_model(store: Store, batches: list[list[PatternDelta]]) -> None:
    tenant = f"m{next(_tenants)}"  # one store for all examples; a fresh tenant for each
    model: dict[str, dict[str, object]] = {}
    for batch in batches:
        store.upsert_patterns(tenant, batch)
        for d in batch:
            m = model.setdefault(
                d.pattern_id,
                {
                    "count": 0,
                    "first": None,
                    "last": None,
                    "severity": d.severity,
                    "template": d.template,
                },
            )
            m["count"] = int(m["count"]) + d.count  # type: ignore[call-overload]
            firsts = [t for t in (m["first"], d.first_seen) if t is not None]
            lasts = [t for t in (m["last"], d.last_seen) if t is not None]
            m["first"] = min(firsts) if firsts else None  # type: ignore[type-var]
            m["last"] = max(lasts) if lasts else None  # type: ignore[type-var]
            if d.template.count("<*>") >= str(m["template"]).count("<*>"):
                m["template"] = d.template  # templates only generalise
            if _rank(d.severity) < _rank(str(m["severity"])):
                m["severity"] = d.severity
    page, total = store.list_patterns(tenant, limit=10)
    assert total == len(model)
    got = {
        p.id: {
            "count": p.count,
            "first": p.first_seen,
            "last": p.last_seen,
            "severity": p.severity,
            "template": p.template,
        }
        for p in page
    }
    assert got == model
    counts = [(-p.count, p.id) for p in page]
    assert counts == sorted(counts)
