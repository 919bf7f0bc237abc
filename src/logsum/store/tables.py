"""SQLAlchemy tables of the store (typed declarative mapping).

These classes are the database schema only; values leave the store as the dataclasses of
:mod:`logsum.store.models`. Every schema change needs a new Alembic revision in
``migrations/versions`` (a test checks that the migrations and these tables agree).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from logsum.timeutil import as_utc

__all__ = [
    "AnomalyRow",
    "ApiKeyRow",
    "Base",
    "PatternHistoryRow",
    "PatternJournalRow",
    "PatternRow",
    "UTCDateTime",
]


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as UTC and always returned timezone-aware in UTC.

    PostgreSQL keeps it in ``timestamptz``. SQLite has no time zones: it stores naive UTC text
    in a fixed-width format, so comparisons in SQL (``min``/``max`` in the upsert) still order
    correctly. Naive datetimes passed in are taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):  # pragma: no cover - drivers return datetimes
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        return as_utc(value)


class Base(DeclarativeBase):
    """Declarative base of the store's tables.

    Constraint names follow one convention so that the migrations can name them explicitly and
    both databases end up with the same names.
    """

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class ApiKeyRow(Base):
    """An API key: only the SHA-256 of the plaintext is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """Lowercase hex SHA-256 of the full plaintext key."""
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PatternRow(Base):
    """A tenant's pattern; ``count`` only ever grows, by atomic ``count = count + n``."""

    __tablename__ = "patterns"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pattern_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    template: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(BigInteger)
    first_seen: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    examples: Mapped[list[list[str]]] = mapped_column(JSON)
    """Per wildcard position, a few example values: ``[["alice", "bob"], ["22"]]``."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Serves the listing order of one tenant (count DESC, pattern_id ASC) straight from the index.
Index(
    "ix_patterns_tenant_count",
    PatternRow.tenant_id,
    PatternRow.count.desc(),
    PatternRow.pattern_id,
)


class PatternJournalRow(Base):
    """One write's pattern deltas, not yet folded into ``patterns``.

    A write appends one row (cheap, whatever the number of patterns); folding applies a
    tenant's rows to its patterns and deletes them in one transaction. Readers fold first, so
    they always see every committed write. ``payload`` is compact JSON (see the store).
    """

    __tablename__ = "pattern_journal"
    # SQLite only auto-increments an INTEGER PRIMARY KEY (its rowid).
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    tenant_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    anomalies: Mapped[str | None] = mapped_column(Text, nullable=True)
    """The write's anomalies (a JSON array of ``[source, anomaly]``), or NULL: stored in
    ``anomalies`` when the row is folded."""


Index("ix_pattern_journal_tenant_id", PatternJournalRow.tenant_id, PatternJournalRow.id)


class PatternHistoryRow(Base):
    """Lines of one pattern in one time bucket, at one of the history's resolutions.

    ``start`` is the bucket's start in epoch seconds (UTC), a multiple of ``bucket_seconds``.
    Rows are added to by the fold of the journal, in the transaction that adds to the pattern's
    ``count``, so the two always agree; rows older than their resolution's retention are
    deleted.
    """

    __tablename__ = "pattern_history"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pattern_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket_seconds: Mapped[int] = mapped_column(Integer, primary_key=True)
    start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


# Serves the deletion of a tenant's buckets past their retention (done as its journal is
# folded, under the fold's locks, so two folds never delete the same rows).
Index(
    "ix_pattern_history_expiry",
    PatternHistoryRow.tenant_id,
    PatternHistoryRow.bucket_seconds,
    PatternHistoryRow.start,
)


class AnomalyRow(Base):
    """An anomaly found for a tenant by an analyze request or a watch (bounded per tenant)."""

    __tablename__ = "anomalies"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    tenant_id: Mapped[str] = mapped_column(String(64))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime())
    type: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(80))
    payload: Mapped[str] = mapped_column(Text)
    """The anomaly's JSON object, as the analysis reported it."""


Index("ix_anomalies_tenant_found", AnomalyRow.tenant_id, AnomalyRow.found_at, AnomalyRow.id)

# The watch feature's tables, and the learned baselines (revision 0005), share this metadata
# (one schema, one migration chain).
from logsum.store import baselines, watch_tables  # noqa: E402, F401
