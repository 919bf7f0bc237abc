"""The database layer shared by the pattern store and the watch store: which failures are
retried, how often, and that every writer over it queues on the SQLite writer lock."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from logsum.store import Store, StoreUnavailable
from logsum.store.db import Database, retryable
from logsum.store.writerlock import WriterLock
from logsum.watch.model import WatchFilters, WatchStatus
from logsum.watch.repo import WatchStore


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _operational(orig: Exception) -> OperationalError:
    return OperationalError("UPDATE x", {}, orig)


@pytest.mark.parametrize(
    ("orig", "expected"),
    [
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("database table is locked"), True),
        (sqlite3.OperationalError("disk I/O error"), False),
        (_PgError("40P01"), True),  # deadlock detected
        (_PgError("40001"), True),  # serialization failure
        (_PgError("57P01"), False),  # admin shutdown: not the same transaction's fate
    ],
)
def test_which_failures_are_retried(orig: Exception, expected: bool) -> None:
    assert retryable(_operational(orig)) is expected
    assert retryable(orig) is False  # only as SQLAlchemy reports them


def test_a_locked_write_is_retried_until_it_succeeds(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    calls: list[float] = []

    def work(conn: Connection) -> str:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise _operational(sqlite3.OperationalError("database is locked"))
        return "done"

    try:
        assert db.write("testing", work) == "done"
    finally:
        db.close()
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 0.04 and calls[2] - calls[1] >= 0.09  # 0.05 s, then 0.1 s


def test_attempts_run_out_and_other_failures_are_not_retried(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    calls = 0

    def locked(conn: Connection) -> None:
        nonlocal calls
        calls += 1
        raise _operational(sqlite3.OperationalError("database is locked"))

    def broken(conn: Connection) -> None:
        nonlocal calls
        calls += 1
        raise _operational(sqlite3.OperationalError("disk I/O error"))

    try:
        with pytest.raises(StoreUnavailable, match="testing: database unavailable: database is"):
            db.write("testing", locked, attempts=2)
        assert calls == 2
        calls = 0
        with pytest.raises(StoreUnavailable, match="disk I/O error"):
            db.write("testing", broken)
        assert calls == 1
    finally:
        db.close()


def test_watch_writes_queue_on_the_writer_lock(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    store = Store(f"sqlite:///{path}")
    store.migrate()
    repo = WatchStore(store)
    watch = repo.create_watch(
        tenant_id="key_t",
        source=str(tmp_path / "a.log"),
        filters=WatchFilters(),
        webhook_url="https://hook.example/in",
        secret="whsec_AAAA",
        from_beginning=False,
        checkpoint=None,
    )
    done = threading.Event()
    writer = threading.Thread(
        target=lambda: (repo.set_status(watch.id, WatchStatus.FOLLOWING), done.set())
    )
    try:
        with WriterLock(Path(f"{path}.writer")):  # another LogSum process writing
            writer.start()
            assert not done.wait(0.3)
        assert done.wait(10)
    finally:
        writer.join(10)
        store.close()
