"""SQLite specifics: WAL mode, writers queue for the lock instead of failing, readers don't wait."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from logsum.store import PatternDelta, Store


def _store(tmp_path: Path) -> tuple[Store, Path]:
    path = tmp_path / "logsum.db"
    store = Store(f"sqlite:///{path}")
    store.migrate()
    return store, path


def test_database_is_in_wal_mode(tmp_path: Path) -> None:
    store, path = _store(tmp_path)
    store.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_writer_waits_for_another_connections_lock_and_reader_does_not(tmp_path: Path) -> None:
    store, path = _store(tmp_path)
    store.upsert_patterns("t", [PatternDelta("a", "x", "info", 1)])
    store.fold("t")  # a reader with a journal to fold takes the write lock; this one has none
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    other.execute("UPDATE patterns SET count = count + 10")
    release = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    release.start()
    try:
        started = time.monotonic()
        page, _ = store.list_patterns("t", limit=10)  # WAL: reads the last committed state
        assert time.monotonic() - started < 0.4
        assert page[0].count == 1
        store.upsert_patterns("t", [PatternDelta("a", "x", "info", 1)])  # queues, then writes
        assert time.monotonic() - started >= 0.4
    finally:
        release.join()
        other.close()
    got = store.get_pattern("t", "a")
    assert got is not None and got.count == 12
    store.close()


def test_several_connections_opening_a_new_database_at_once(tmp_path: Path) -> None:
    """Service workers starting together on a fresh data directory: switching a new file to
    WAL from two connections at once makes SQLite answer "locked" without waiting."""
    errors: list[BaseException] = []
    for i in range(20):
        stores = [Store(f"sqlite:///{tmp_path}/fresh{i}.db") for _ in range(4)]
        barrier = threading.Barrier(len(stores))

        def first_use(store: Store, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                store.ping()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=first_use, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        for s in stores:
            s.close()
    assert errors == []
