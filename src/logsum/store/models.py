"""Typed values that cross the store's boundary (never ORM rows).

Datetimes in these values are timezone-aware UTC; the store converts on the way in and out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["ApiKeyRecord", "PatternDelta", "StoreLimits", "StoredPattern", "Tier"]


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
    ``template``, a few example values seen in this batch.
    """

    pattern_id: str
    template: str
    severity: str
    count: int
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    examples: tuple[tuple[str, ...], ...] = ()


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

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            minimum = 0 if name == "max_examples_per_position" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"StoreLimits.{name} must be an integer >= {minimum}")
