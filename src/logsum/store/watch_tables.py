"""SQLAlchemy tables of the watch feature (Alembic revisions ``0002``, ``0004`` and ``0007``).

Declared on the store's :class:`~logsum.store.tables.Base` so that one metadata describes the
whole schema (``tables.py`` imports this module at its end). The repository that reads and
writes them is :class:`logsum.watch.repo.WatchStore`.

- ``watches``: one row per watch, with its counters (lines read, events, deliveries) and
  runtime status.
- ``watch_checkpoints``: where each watch's follower stands (file identity + offset). Advanced
  in the same transaction as the outbox rows it produced, so a crash loses nothing.
- ``watch_deliveries``: the durable outbox. A row is ``pending`` until its webhook answers 2xx
  (then it is deleted and ``watches.delivered_count`` grows) or its attempts run out
  (``failed``, kept for the API).
- ``watch_leases``: which service process runs which watch, until ``expires_at``.
- ``watch_engine_states``: each watch's engine as it stood at a commit (its saved state,
  :meth:`logsum.Engine.to_state`), so that a restarted runner reads the next lines as the one
  that stopped would have.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from logsum.store.tables import Base, UTCDateTime

__all__ = [
    "WatchCheckpointRow",
    "WatchDeliveryRow",
    "WatchEngineStateRow",
    "WatchLeaseRow",
    "WatchRow",
]


class WatchRow(Base):
    """A watch: a file followed for one tenant and delivered to one webhook."""

    __tablename__ = "watches"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(Text)
    """The resolved absolute path of the followed file."""
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    """``{"severity": ["error", "warning"]}``; an empty list means every severity."""
    webhook_url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(100))
    """The Standard Webhooks signing secret (``whsec_...``); needed in clear to sign."""
    from_beginning: Mapped[bool] = mapped_column(Boolean)
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    """IANA zone of the file's timestamps that name no offset (revision ``0004``)."""
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lines_read: Mapped[int] = mapped_column(BigInteger)
    events_count: Mapped[int] = mapped_column(BigInteger)
    """Events (records passing the filters) written to the outbox."""
    anomalies_count: Mapped[int] = mapped_column(BigInteger)
    delivered_count: Mapped[int] = mapped_column(BigInteger)
    failed_count: Mapped[int] = mapped_column(BigInteger)
    next_seq: Mapped[int] = mapped_column(BigInteger)
    """Sequence number of the next outbox row (deliveries go out in this order)."""
    last_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WatchCheckpointRow(Base):
    """Where a watch's follower stands: everything before ``offset`` of that file is handled."""

    __tablename__ = "watch_checkpoints"

    watch_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    dev: Mapped[int] = mapped_column(BigInteger)
    inode: Mapped[int] = mapped_column(BigInteger)
    fingerprint: Mapped[str] = mapped_column(String(64))
    """SHA-256 (hex) of the first ``fingerprint_len`` bytes of the file."""
    fingerprint_len: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WatchDeliveryRow(Base):
    """One webhook delivery in the outbox (a batch of events, signed when sent)."""

    __tablename__ = "watch_deliveries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    """The ``webhook-id`` header: the same on every attempt, receivers dedupe by it."""
    watch_id: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    """``pending`` or ``failed`` (delivered rows are deleted and counted on the watch)."""
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    payload: Mapped[str] = mapped_column(Text)
    """The exact JSON body that is signed and sent."""
    event_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# The delivery loop reads "the oldest pending delivery of this watch".
Index(
    "ix_watch_deliveries_watch_status_seq",
    WatchDeliveryRow.watch_id,
    WatchDeliveryRow.status,
    WatchDeliveryRow.seq,
)


class WatchLeaseRow(Base):
    """The process (``owner``) running a watch, until ``expires_at`` unless renewed."""

    __tablename__ = "watch_leases"

    watch_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WatchEngineStateRow(Base):
    """A watch's engine state (revision ``0007``): what it learned (patterns, header layouts,
    message keys, date orders...), saved with a commit of the watch's batches."""

    __tablename__ = "watch_engine_states"

    watch_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    """The engine state document (``logsum.engine-state``) as zlib-compressed JSON."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
