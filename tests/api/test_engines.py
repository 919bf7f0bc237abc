"""The per-tenant warm engines of a service process."""

from __future__ import annotations

from logsum import Engine
from logsum.api.engines import TenantEngine, TenantEngines


def test_known_ids_is_a_snapshot_taken_again_only_when_ids_grew() -> None:
    te = TenantEngine(Engine())
    te.seed([("p1", "disk <*> full", "error")], now=0.0)
    before = te.known_ids()
    assert before == {"p1"}
    assert te.known_ids() is before  # unchanged: no copy
    te.ids.update(["p1"])
    assert te.known_ids() is before
    te.ids.update(["p2"])
    after = te.known_ids()
    assert after == {"p1", "p2"}
    assert before == {"p1"}  # a request's history does not change under it


def _engines(max_bytes: int, max_tenants: int = 1_000) -> TenantEngines:
    return TenantEngines(Engine, max_tenants=max_tenants, max_bytes=max_bytes, sync_seconds=3_600.0)


def _nothing_stored(after: int) -> tuple[list[tuple[str, str, str]], int]:
    return [], after


def _use(engines: TenantEngines, tenant: str, lines: list[str]) -> list[str]:
    with engines.lease(tenant, _nothing_stored) as te:
        te.engine.end_record()
        results = te.engine.process_many(lines)
        te.ids.update(r.pattern_id for r in results)
        return [r.pattern_id for r in results]


LINES = [
    f"2026-03-02 10:00:{i % 60:02d} INFO user{i % 7} logged in from 10.0.0.{i} port {4000 + i}"
    for i in range(50)
] + [
    f"2026-03-02 10:01:{i % 60:02d} ERROR disk /dev/sd{chr(97 + i % 4)} {i}% full"
    for i in range(50)
]


def test_engines_are_put_away_then_dropped_by_bytes_least_recent_first() -> None:
    probe = _engines(1 << 40)
    _use(probe, "t0", LINES)
    one = probe.stats()["bytes"]  # what one warm tenant costs
    engines = _engines(int(one * 2.5))
    for t in ("t0", "t1", "t2", "t3"):
        _use(engines, t, LINES)
    stats = engines.stats()
    assert stats["bytes"] <= engines.max_bytes
    assert stats["warm"] == 2 and stats["compact"] == 2 and stats["drops"] == 0
    # The least recent (t0) is compact; using it brings it back and puts t2 away.
    assert _use(engines, "t0", LINES) == _use(probe, "t0", LINES)
    assert engines.restores == 1
    # With a budget for one warm engine and little else, compact ones are dropped, oldest first.
    small = _engines(int(one * 1.05))
    for t in ("a", "b", "c"):
        _use(small, t, LINES)
    stats = small.stats()
    assert stats["warm"] == 1 and stats["drops"] >= 1
    assert stats["bytes"] <= small.max_bytes


def test_max_tenants_still_bounds_the_warm_engines() -> None:
    engines = _engines(1 << 40, max_tenants=2)
    for t in ("t0", "t1", "t2"):
        _use(engines, t, LINES)
    assert engines.stats()["warm"] == 2 and engines.stats()["compact"] == 1


def test_the_engine_in_use_stays_warm_even_over_the_budget() -> None:
    engines = _engines(1)
    assert _use(engines, "big", LINES)
    assert engines.stats()["warm"] == 1
    assert engines.restores == 0
