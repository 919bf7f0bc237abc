"""The values anomaly detection and insights produce: typed, frozen, JSON-friendly."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from logsum.core.model import Severity

JSONValue = Any
"""A plain JSON value: ``None``, bool, int, float, str, list or dict of those."""


class AnomalyType(StrEnum):
    """The kinds of anomaly the detectors report."""

    NEW_PATTERN = "new_pattern"
    VOLUME_SPIKE = "volume_spike"
    VOLUME_DROP = "volume_drop"
    ERROR_BURST = "error_burst"
    RARE_PATTERN = "rare_pattern"
    SESSION = "session"


class InsightType(StrEnum):
    """The kinds of insight."""

    PERFORMANCE = "performance"
    RELIABILITY = "reliability"
    SECURITY = "security"
    AVAILABILITY = "availability"
    VOLUME = "volume"
    CHANGE = "change"


def iso_utc(ts: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix (naive datetimes are taken as UTC)."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A half-open time interval ``[start, end)``."""

    start: datetime
    end: datetime

    def to_dict(self) -> dict[str, str]:
        """``{"start": iso, "end": iso}``."""
        return {"start": iso_utc(self.start), "end": iso_utc(self.end)}


def stable_id(prefix: str, *parts: object) -> str:
    """A deterministic id from its parts (same inputs, same id, in any process)."""
    # Each part's repr followed by a unit separator, hashed in one call.
    data = "".join([repr(p) + "\x1f" for p in parts]).encode("utf-8", "replace")
    return f"{prefix}_{hashlib.blake2b(data, digest_size=8).hexdigest()}"


@dataclass(frozen=True, slots=True)
class Anomaly:
    """One detected anomaly.

    ``score`` is in ``[0, 1]``: how far the observation is from what the baseline predicts,
    squashed so that 0.5 sits at the detector's reporting threshold and values near 1 are
    extreme; it orders anomalies, it is not a probability. ``lines`` holds at most a capped
    number of 1-based request line numbers; ``line_count`` is the full number.
    """

    id: str
    type: AnomalyType
    severity: Severity
    score: float
    message: str
    pattern_ids: tuple[str, ...]
    window: TimeWindow | None
    evidence: Mapping[str, JSONValue]
    lines: tuple[int, ...]
    line_count: int

    def to_dict(self) -> dict[str, JSONValue]:
        """A JSON-safe dict."""
        return {
            "id": self.id,
            "type": self.type.value,
            "severity": self.severity.value,
            "score": round(self.score, 4),
            "message": self.message,
            "pattern_ids": list(self.pattern_ids),
            "window": self.window.to_dict() if self.window else None,
            "evidence": _plain(self.evidence),
            "lines": list(self.lines),
            "line_count": self.line_count,
        }


@dataclass(frozen=True, slots=True)
class Insight:
    """One insight: a typed, ranked statement with the evidence behind it.

    ``score`` in ``[0, 1]`` orders insights (higher first); ``rank`` is the 1-based position in
    the report. ``evidence`` is never empty.
    """

    id: str
    type: InsightType
    message: str
    score: float
    evidence: Mapping[str, JSONValue]
    rank: int = 0
    pattern_ids: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, JSONValue]:
        """A JSON-safe dict."""
        return {
            "id": self.id,
            "type": self.type.value,
            "message": self.message,
            "score": round(self.score, 4),
            "rank": self.rank,
            "pattern_ids": list(self.pattern_ids),
            "evidence": _plain(self.evidence),
        }


_AS_IS = frozenset({str, int, bool, type(None)})
"""Types :func:`_plain` returns unchanged, matched exactly (a subclass such as a ``StrEnum``
takes the general path)."""


def _plain(value: JSONValue) -> JSONValue:
    """Deep-copy ``value`` into plain JSON types (datetimes become ISO strings)."""
    # Fast path by exact type for what evidence is made of (one ``type`` lookup instead of a
    # chain of ``isinstance`` tests, the ``Mapping`` one going through the ABC machinery); each
    # branch gives what the general path below gives for that type.
    t = type(value)
    if t in _AS_IS:
        return value
    if t is float:
        return round(value, 6)
    if t is dict:
        return {str(k): _plain(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    return value
