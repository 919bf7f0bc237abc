"""Typed values that cross the store's boundary (never ORM rows).

Datetimes in these values are timezone-aware UTC; the store converts on the way in and out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "DEFAULT_HISTORY",
    "ApiKeyRecord",
    "HistoryPoints",
    "PatternDelta",
    "StoreLimits",
    "StoredAnomaly",
    "StoredPattern",
    "Tier",
]


class Tier(StrEnum):
    """The plan of an API key; it decides the key's rate limit."""

    FREE = "free"
    PRO = "pro"
    ENTERPRISE = "enterprise"


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """An API key as stored: never the plaintext, which is shown once at creation.

    The tenant of a key is the key itself: patterns are stored under ``tenant_id == id``.
    """

    id: str
    """Stable identifier, ``"key_"`` + 16 hex characters; safe to log and to show."""
    name: str
    tier: Tier
    prefix: str
    """The first 12 characters of the plaintext key, to recognise it in listings."""
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """True while the key has not been revoked."""
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class PatternDelta:
    """What one batch of lines adds to a stored pattern.

    ``count`` is the number of lines to ADD. ``examples`` holds, per wildcard position of
    ``template``, a few example values seen in this batch. ``timeline`` says when those lines
    happened: ``(epoch_second, lines)`` pairs, by the lines' own timestamps (any second: the
    store counts them in its finest history bucket); lines it does not account for (all of
    them when it is empty) are counted at the time the store receives the delta.
    """

    pattern_id: str
    template: str
    severity: str
    count: int
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    examples: tuple[tuple[str, ...], ...] = ()
    timeline: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class StoredPattern:
    """A tenant's pattern, accumulated over all its batches."""

    id: str
    template: str
    count: int
    severity: str
    first_seen: datetime | None
    last_seen: datetime | None
    examples: tuple[tuple[str, ...], ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryPoints:
    """Lines of one pattern per time bucket: ``points`` are ``(bucket start, lines)`` for every
    bucket from ``since`` (inclusive) to ``until`` (exclusive), empty buckets included."""

    pattern_id: str
    bucket_seconds: int
    since: datetime
    until: datetime
    points: tuple[tuple[datetime, int], ...]

    @property
    def total(self) -> int:
        """Lines in the range: the sum of the points."""
        return sum(c for _s, c in self.points)


@dataclass(frozen=True, slots=True)
class StoredAnomaly:
    """An anomaly found for a tenant by an analysis (a request's or a watch's)."""

    found_at: datetime
    """When the analysis that found it was stored."""
    source: str
    """``"analyze"``, or ``"watch:<id>"``."""
    anomaly: dict[str, Any]
    """The anomaly as the analysis reported it (the fields of ``POST /v1/analyze``)."""


DEFAULT_HISTORY: tuple[tuple[int, int], ...] = ((60, 2 * 86_400), (3_600, 30 * 86_400))
"""Pattern history kept by default: ``(bucket seconds, retention seconds)``, finest first:
minute buckets for two days, hour buckets for thirty days."""


@dataclass(frozen=True, slots=True)
class StoreLimits:
    """Bounds on what the store keeps, so one noisy tenant can't grow a row without limit."""

    max_examples_per_position: int = 5
    """Distinct example values kept per wildcard position (the first ones seen are kept)."""
    max_positions: int = 32
    """Wildcard positions that keep examples; templates with more keep the first ones."""
    max_example_chars: int = 200
    """Longer example values are cut to this many characters."""
    max_patterns_per_tenant: int = 50_000
    """Patterns stored per tenant (the engine's ``max_patterns`` default). At the limit, new
    patterns are not stored (a warning is logged) while existing ones keep counting; this bounds
    the database and :meth:`Store.known_patterns`, which callers load per request."""
    fold_every: int = 64
    """A process folds a tenant's pattern journal into its patterns after this many writes of
    the tenant (readers fold it too): bounds the journal a busy writer leaves behind."""
    max_fold_rows: int = 500
    """Journal rows folded per transaction (a long journal takes several)."""
    max_batch_rows: int = 200
    """Pattern ids per ``IN (...)`` query when merging examples (bounds bound parameters)."""
    max_key_name_chars: int = 200
    """Longest accepted API key name."""
    max_pattern_id_chars: int = 64
    """Longest accepted pattern id (the engine's ids are much shorter)."""
    max_tenant_id_chars: int = 64
    """Longest accepted tenant id (key ids are 20 characters)."""
    max_anomalies_per_tenant: int = 10_000
    """Anomalies kept per tenant; older ones are deleted as new ones are stored."""
    history: tuple[tuple[int, int], ...] = DEFAULT_HISTORY
    """Resolutions of the pattern history, ``(bucket seconds, retention seconds)``, finest
    first; each bucket a multiple of the finer one, each retention longer. Buckets older than
    their retention are deleted; lines older than every retention count in no bucket."""

    def __post_init__(self) -> None:
        _check_history(self.history)
        for name in self.__dataclass_fields__:
            if name == "history":
                continue
            value = getattr(self, name)
            minimum = 0 if name == "max_examples_per_position" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"StoreLimits.{name} must be an integer >= {minimum}")


MAX_RESOLUTIONS = 4
"""Most history resolutions a store keeps (each costs a row per pattern and bucket)."""


def _check_history(history: Any) -> None:
    """Raise ``ValueError`` unless ``history`` is a valid :attr:`StoreLimits.history`."""
    if not isinstance(history, tuple) or not 1 <= len(history) <= MAX_RESOLUTIONS:
        raise ValueError(f"StoreLimits.history needs 1 to {MAX_RESOLUTIONS} resolutions")
    prev: tuple[int, int] | None = None
    for item in history:
        if not (
            isinstance(item, tuple)
            and len(item) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in item)
        ):
            raise ValueError("StoreLimits.history: each resolution is (bucket, retention) seconds")
        bucket, keep = item
        if bucket < 1 or keep < bucket:
            raise ValueError(
                f"history bucket of {bucket} s must be >= 1 s and no longer than its retention"
            )
        if prev is not None and (bucket <= prev[0] or bucket % prev[0] or keep <= prev[1]):
            raise ValueError(
                "history resolutions go from finest to coarsest: each bucket a multiple of the "
                "finer one, each retention longer"
            )
        prev = item
