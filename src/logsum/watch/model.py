"""Typed values of the watch feature (what crosses the repository and API boundaries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from logsum.core.model import Severity
from logsum.core.timestamps import DEFAULT_ZONE


class WatchStatus(StrEnum):
    """What a watch is doing, as the API shows it."""

    PENDING = "pending"
    """No service process runs it right now: just created, or its process died and another
    one has not taken it over yet (within ``LOGSUM_WATCH_LEASE_SECONDS``)."""
    WAITING = "waiting"
    """Its file does not exist (yet): it is polled until it appears."""
    FOLLOWING = "following"
    """Reading new lines as they are written."""
    ERROR = "error"
    """The runner hit an error (see ``last_error``); it retries."""


class DeliveryStatus(StrEnum):
    """State of an outbox row (delivered rows are deleted and counted on the watch)."""

    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class WatchFilters:
    """Which records are delivered. An empty ``severity`` means every severity; a ``critical``
    record also passes a filter that lists ``error`` (a FATAL line is an error, and the worst
    kind: ``["error", "warning"]`` must not drop it)."""

    severity: tuple[Severity, ...] = ()

    def matches(self, severity: Severity) -> bool:
        """True when a record of this severity passes the filters."""
        if not self.severity or severity in self.severity:
            return True
        return severity is Severity.CRITICAL and Severity.ERROR in self.severity

    def to_json(self) -> dict[str, list[str]]:
        """The filters as stored and shown on the wire."""
        return {"severity": [str(s) for s in self.severity]}

    @classmethod
    def from_json(cls, data: object) -> WatchFilters:
        """Parse stored filters (unknown keys are ignored)."""
        raw = data.get("severity", []) if isinstance(data, dict) else []
        return cls(tuple(Severity(s) for s in raw or ()))


@dataclass(frozen=True, slots=True)
class WatchSpec:
    """What a runner needs to run a watch."""

    id: str
    tenant_id: str
    source: str
    filters: WatchFilters
    webhook_url: str
    secret: str
    from_beginning: bool
    timezone: str = DEFAULT_ZONE
    """IANA zone in which the file's timestamps that name no offset are read."""


@dataclass(frozen=True, slots=True)
class WatchRecord:
    """A watch as the API shows it (never with its secret)."""

    id: str
    tenant_id: str
    source: str
    filters: WatchFilters
    webhook_url: str
    status: WatchStatus
    created_at: datetime
    updated_at: datetime
    from_beginning: bool
    lines_read: int
    events_count: int
    anomalies_count: int
    delivered_count: int
    failed_count: int
    pending_count: int
    offset: int | None
    """Byte offset of the checkpoint in the current file (``None`` before any)."""
    last_delivery_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    timezone: str = DEFAULT_ZONE
    """IANA zone in which the file's timestamps that name no offset are read."""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A delivery to write to the outbox: its webhook id, exact body and event count."""

    id: str
    payload: str
    event_count: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """A pending delivery read from the outbox."""

    id: str
    watch_id: str
    seq: int
    attempts: int
    next_attempt_at: datetime
    payload: str
    event_count: int


@dataclass(frozen=True, slots=True)
class BatchCommit:
    """What one runner flush writes, atomically, in one transaction."""

    lines_read: int = 0
    items: tuple[OutboxItem, ...] = ()
    anomalies: int = 0
    status: WatchStatus | None = None
    clear_error: bool = False
    engine_state: bytes | None = None
    """The runner's engine state (zlib-compressed JSON, see :mod:`logsum.core.state`) as it
    stands at this commit, when it is saved with it; ``None``: the saved one stays."""
