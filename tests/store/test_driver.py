"""The driver fast path stores and reads values exactly as SQLAlchemy's own execution does.

These pin the behaviour of the pinned SQLAlchemy version that store/driver.py relies on: the
public ``dialect_impl(dialect).bind_processor(dialect)`` (and ``result_processor``) is what
SQLAlchemy applies when it executes a statement itself, and a compiled statement's ``binds``,
``params`` and ``positiontup`` describe the driver's parameters.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, text

from logsum.store import Store
from logsum.store.driver import DriverQuery, DriverStatement, bind_processor, result_processor
from logsum.store.patterns import UPSERT_COLUMNS, patterns_table
from logsum.store.tables import ApiKeyRow

_ROWS = [
    # tenant, pattern, template, severity, count, first, last, examples, created, updated
    (
        "pattern-a",
        "user <*> from <*>",
        "info",
        3,
        datetime(2024, 3, 1, 12, 0, 0, 250, tzinfo=UTC),
        datetime(2024, 3, 1, 14, 0, 0, tzinfo=timezone(timedelta(hours=2))),  # another zone
        [["alice", "bob"], ["10.0.0.1"]],
    ),
    ("pattern-b", "disk <*> full", "error", 1, None, datetime(2024, 3, 2, 1, 2, 3), []),  # naive
]
_NOW = datetime(2024, 3, 3, 9, 30, tzinfo=UTC)


def _raw(store: Store, tenant: str) -> list[tuple[Any, ...]]:
    """The rows of the tenant as the driver returns them (no SQLAlchemy processing)."""
    with store.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.exec_driver_sql(
                "SELECT pattern_id, template, severity, count, first_seen, last_seen, examples,"
                f" created_at, updated_at FROM patterns WHERE tenant_id = '{tenant}'"
                " ORDER BY pattern_id"
            )
        ]


def test_statement_writes_what_sqlalchemy_writes(store: Store) -> None:
    insert = patterns_table.insert()
    with store.engine.begin() as conn:
        conn.execute(
            insert,
            [
                dict(zip(UPSERT_COLUMNS, ("by-sqlalchemy", *row, _NOW, _NOW), strict=True))
                for row in _ROWS
            ],
        )
        DriverStatement(insert, conn.dialect, UPSERT_COLUMNS).executemany(
            conn, [("by-driver", *row, _NOW, _NOW) for row in _ROWS]
        )
    assert _raw(store, "by-driver") == _raw(store, "by-sqlalchemy")
    assert len(_raw(store, "by-driver")) == 2


def test_processors_are_the_ones_sqlalchemy_caches_for_itself(store: Store) -> None:
    dialect = store.engine.dialect
    for column in patterns_table.columns:
        ours, theirs = (
            bind_processor(column.type, dialect),
            column.type._cached_bind_processor(dialect),
        )
        assert (ours is None) == (theirs is None), column.name
        out, back = (
            result_processor(column.type, dialect),
            column.type._cached_result_processor(dialect, None),
        )
        assert (out is None) == (back is None), column.name
    stamp = datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=-5)))
    first_seen = patterns_table.c.first_seen.type
    process = bind_processor(first_seen, dialect)
    assert process is not None
    assert process(stamp) == first_seen._cached_bind_processor(dialect)(stamp)  # type: ignore[misc]


def test_query_reads_what_sqlalchemy_reads(tmp_path: Any) -> None:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.migrate()
    try:
        record, _plaintext = store.create_key("ci", "pro")
        store.revoke_key(record.id)
        keys = cast(Table, ApiKeyRow.__table__)
        statement = select(keys).where(keys.c.key_hash == bindparam("digest"))
        with store.engine.connect() as conn:
            digest = conn.execute(text("SELECT key_hash FROM api_keys")).scalar_one()
            expected = conn.execute(select(keys).where(keys.c.key_hash == digest)).one()
        with store.database.direct("reading a key") as db:
            got = DriverQuery(statement, store.engine.dialect).first(db, (digest,))
            missing = DriverQuery(statement, store.engine.dialect).first(db, ("nope",))
        assert got is not None and missing is None
        assert vars(got) == dict(expected._mapping)
        assert got.created_at.tzinfo is UTC and got.revoked_at.tzinfo is UTC
    finally:
        store.close()
