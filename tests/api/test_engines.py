"""The per-tenant warm engines of a service process."""

from __future__ import annotations

from logsum import Engine
from logsum.api.engines import TenantEngine


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
