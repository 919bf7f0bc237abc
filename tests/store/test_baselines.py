"""A tenant's learned baseline in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from logsum.store import Store
from logsum.store.baselines import MAX_BASELINE_BYTES, BaselineTooLarge


def test_a_baseline_is_stored_replaced_kept_per_tenant_and_deleted(db_url: str) -> None:
    with Store(db_url) as store:
        store.migrate()
        base = store.baselines
        assert base.get("t1") is None
        base.put("t1", '{"a": 1}', sessions=10, lines=100)
        base.put("t2", '{"b": 2}', sessions=1, lines=2)
        base.put("t1", '{"a": 2}', sessions=20, lines=300)
        got = base.get("t1")
        assert got is not None
        assert (got.payload, got.sessions, got.lines, got.size_bytes) == ('{"a": 2}', 20, 300, 8)
        assert got.updated_at.tzinfo is not None
        assert base.delete("t1") is True
        assert base.delete("t1") is False
        assert base.get("t1") is None
        assert base.get("t2") is not None  # another tenant's is untouched


def test_an_oversized_baseline_is_refused(db_url: str) -> None:
    with Store(db_url) as store:
        store.migrate()
        with pytest.raises(BaselineTooLarge):
            store.baselines.put("t", "x" * (MAX_BASELINE_BYTES + 1), sessions=1, lines=1)
        assert store.baselines.get("t") is None
