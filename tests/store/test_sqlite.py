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
