"""The store's public names, and what callers see when the database is unusable."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

import logsum.store
from logsum.store import PatternDelta, Store, StoreError, StoreUnavailable


def test_public_names_are_pinned() -> None:
    assert sorted(logsum.store.__all__) == [
        "ApiKeyRecord",
        "PatternDelta",
        "Store",
        "StoreError",
        "StoreLimits",
        "StoreUnavailable",
        "StoredPattern",
        "Tier",
    ]
    assert issubclass(StoreUnavailable, StoreError)


@pytest.mark.parametrize(
    "url", ["not a url", "mysql://u@h/db", "oracle://x", "sqlite://", "sqlite:///:memory:"]
)
def test_bad_or_unsupported_urls_fail_clearly(url: str) -> None:
    with pytest.raises(StoreError, match=r"URL|unsupported|in-memory"):
        Store(url)


def test_postgres_scheme_aliases_use_psycopg() -> None:
    assert Store("postgres://u:secret@127.0.0.1/db").url == (
        "postgresql+psycopg://u:***@127.0.0.1/db"
    )
    assert Store("postgresql://u@127.0.0.1/db").dialect == "postgresql"


def test_ping_on_a_server_that_is_not_there() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = Store(f"postgresql+psycopg://u:pw@127.0.0.1:{port}/db")
    with pytest.raises(StoreUnavailable) as err:
        store.ping()
    assert "pw" not in str(err.value)


def test_ping_on_an_unopenable_sqlite_file(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/missing-dir/logsum.db")
    with pytest.raises(StoreUnavailable, match="unable to open"):
        store.ping()


def test_ping_succeeds_on_a_live_database(store: Store) -> None:
    store.ping()


@pytest.mark.parametrize("write", [False, True])
def test_unmigrated_database_raises_a_store_error(db_url: str, write: bool) -> None:
    with Store(db_url) as store, pytest.raises(StoreError, match="run migrate first") as err:
        if write:
            store.upsert_patterns("t", [PatternDelta("p", "x", "info", 1)])
        else:
            store.list_patterns("t", limit=1)
    assert not isinstance(err.value, StoreUnavailable)  # the same on both databases


def test_close_then_reuse_reconnects(store: Store) -> None:
    store.close()
    store.ping()
    assert store.list_keys() == []


def test_postgres_outage_is_reported_and_the_store_recovers(pg_server: Any, pg_db_url: str) -> None:
    """/readyz relies on this: StoreUnavailable while the server is down, then back to work
    without restarting the service (stale pooled connections are replaced)."""
    with Store(pg_db_url) as store:
        store.migrate()
        store.upsert_patterns("t", [PatternDelta("a", "x", "info", 1)])
        pg_server.stop()
        try:
            with pytest.raises(StoreUnavailable):
                store.ping()
            with pytest.raises(StoreUnavailable):
                store.upsert_patterns("t", [PatternDelta("a", "x", "info", 1)])
        finally:
            pg_server.start()
        store.ping()
        store.upsert_patterns("t", [PatternDelta("a", "x", "info", 1)])
        got = store.get_pattern("t", "a")
        assert got is not None and got.count == 2
