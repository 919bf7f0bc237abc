"""The pattern journal: a write is one durable row; reads and every few writes fold it into the
patterns, applying each row exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from logsum.store import PatternDelta, Store, StoreLimits

AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _journal_rows(db_url: str) -> int:
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM pattern_journal")).scalar_one())
    finally:
        engine.dispose()


def test_writes_are_folded_every_few_writes_without_any_read(db_url: str) -> None:
    with Store(db_url, limits=StoreLimits(fold_every=3)) as store:
        store.migrate()
        for _ in range(2):
            store.upsert_patterns("t", [PatternDelta("p", "user <*> in", "info", 2, AT, AT)])
        assert _journal_rows(db_url) == 2  # written, not folded yet
        store.upsert_patterns("t", [PatternDelta("p", "user <*> in", "info", 2, AT, AT)])
        assert _journal_rows(db_url) == 0  # the third write folded all three
        got = store.get_pattern("t", "p")
        assert got is not None and got.count == 6


def test_a_write_survives_a_restart_before_it_is_folded(db_url: str) -> None:
    with Store(db_url) as first:
        first.migrate()
        first.upsert_patterns(
            "t", [PatternDelta("p", "disk <*> full", "error", 5, AT, AT, (("sda",),))]
        )
    assert _journal_rows(db_url) == 1
    with Store(db_url) as second:  # another process, or this one restarted
        (got,), total = second.list_patterns("t", limit=10)
    assert total == 1
    assert (got.count, got.severity, got.first_seen, got.examples) == (5, "error", AT, (("sda",),))
    assert _journal_rows(db_url) == 0


def test_concurrent_folds_apply_each_row_once(db_url: str) -> None:
    """Every write folds (fold_every=1) while readers fold too, from several threads and two
    store instances (two connection pools, as two processes would have)."""
    with Store(db_url, limits=StoreLimits(fold_every=1)) as a, Store(db_url) as b:
        a.migrate()
        start = threading.Barrier(6)

        def write(store: Store) -> None:
            start.wait()
            for _ in range(30):
                store.upsert_patterns("t", [PatternDelta("p", "x <*>", "info", 1, AT, AT)])

        def read(store: Store) -> None:
            start.wait()
            for _ in range(30):
                store.list_patterns("t", limit=5)

        pool = [threading.Thread(target=write, args=(s,)) for s in (a, b, a, b)]
        pool += [threading.Thread(target=read, args=(s,)) for s in (a, b)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(120)
        got = a.get_pattern("t", "p")
        assert got is not None and got.count == 4 * 30


def test_rows_merge_across_the_journal_and_rows_of_earlier_versions_still_fold(
    db_url: str,
) -> None:
    """A fold merges many rows of one pattern (earliest first, latest last, most severe level,
    the more general template, example values of the template), whatever spelling of a time
    a row holds: ISO 8601 with ``Z`` or an offset, or integer microseconds (a development
    version wrote those)."""
    later = datetime(2024, 5, 1, 12, 0, 0, 250_000, tzinfo=UTC)
    earlier = datetime(2024, 4, 30, 23, 59, tzinfo=UTC)
    with Store(db_url, limits=StoreLimits(fold_every=100)) as store:
        store.migrate()
        store.upsert_patterns("t", [PatternDelta("p", "disk sda full", "info", 1, AT, AT)])
        store.upsert_patterns(
            "t", [PatternDelta("p", "disk <*> full", "error", 2, later, later, (("sdb",),))]
        )
        store.upsert_patterns("t", [PatternDelta("p", "disk sda full", "warning", 3, None, None)])
        engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO pattern_journal (tenant_id, payload, created_at) "
                        "VALUES ('t', :payload, :at)"
                    ),
                    [
                        {
                            "payload": '[["p","disk <*> full","info",4,"2024-05-01T01:59:00+02:00",'
                            '"2024-05-01T11:00:00Z",[["sdc","sdb"]]]]',
                            "at": AT.replace(tzinfo=None),
                        },
                        {  # 2024-05-01T00:00:00Z and 2024-05-01T12:00:00.100000Z
                            "payload": '[["p","disk sda full","debug",1,1714521600000000,'
                            "1714564800100000,[]]]",
                            "at": AT.replace(tzinfo=None),
                        },
                    ],
                )
        finally:
            engine.dispose()
        assert _journal_rows(db_url) == 5
        got = store.get_pattern("t", "p")
    assert got is not None
    assert (got.template, got.count, got.severity) == ("disk <*> full", 11, "error")
    assert (got.first_seen, got.last_seen) == (earlier, later)
    assert got.examples == (("sdb", "sdc"),)
    assert _journal_rows(db_url) == 0
