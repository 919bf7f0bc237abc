"""The pattern journal and the merging of pattern deltas: pure functions, no SQL.

A batch of :class:`~logsum.store.models.PatternDelta` is validated and merged per pattern
(:func:`coalesce`), batches of concurrent writers are merged together (:func:`merge_batches`),
written as one journal row (:func:`encode`), and the rows of a tenant's journal are merged again
when they are folded into its patterns (:func:`fold`). Merging follows the rules of
:meth:`Store.upsert_patterns <logsum.store.Store.upsert_patterns>`: counts add up, the earlier
first and later last time win, templates only generalise, the more severe severity wins, and
example values are appended up to the limits.

A journal row's payload is a JSON array of
``[pattern_id, template, severity, count, first_seen, last_seen, examples, timeline]``, times as
ISO 8601 text in UTC (see :data:`UTC_SUFFIX`); ``timeline`` is the flat list
``[bucket_start, lines, bucket_start, lines, ...]`` of the lines per finest history bucket
(epoch seconds; rows written before the history existed lack it, and their lines count at the
row's time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import orjson

from logsum.core.model import WILDCARD, Severity
from logsum.store.models import PatternDelta, StoreLimits
from logsum.timeutil import as_utc, earlier, later

__all__ = [
    "FUTURE_SLACK_SECONDS",
    "SEVERITY_RANK",
    "Merged",
    "bucket_start",
    "check_id",
    "check_severity",
    "coalesce",
    "encode",
    "examples_from_json",
    "fold",
    "merge_batches",
    "merge_examples",
]

FUTURE_SLACK_SECONDS = 86_400
"""Lines stamped up to this far after they arrive count in the history (clocks disagree);
lines stamped later count in no bucket (a misread year would otherwise keep rows that no
retention ever deletes)."""

_SEVERITIES = frozenset(s.value for s in Severity)
SEVERITY_RANK = {s.value: s.rank for s in Severity}
"""Severity value -> rank (0 is the most severe)."""

UTC_SUFFIX = "+00:00"
"""Journal rows hold times as ISO 8601 text in UTC, as ``datetime.isoformat`` (and orjson)
write them: ``YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00``. In that one form, text order is time order
(the fields are zero-padded, and a whole second's ``+`` sorts before a fraction's ``.``), so a
fold compares them as text and parses only its merged results."""


def check_id(what: str, value: str, max_chars: int) -> None:
    """Raise ``ValueError`` unless ``value`` is a non-empty string of at most ``max_chars``."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    if len(value) > max_chars:
        raise ValueError(f"{what} is longer than {max_chars} characters")


def check_severity(value: str) -> str:
    """``value`` if it is a severity's value; raise ``ValueError`` otherwise."""
    if value not in _SEVERITIES:
        raise ValueError(
            f"unknown severity {value!r}; expected one of: {', '.join(s.value for s in Severity)}"
        )
    return str(value)


def _check_time(what: str, value: datetime | None) -> datetime | None:
    """``value`` in UTC (naive values are taken as UTC), or None."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ValueError(f"{what} must be a datetime or None")
    return as_utc(value)


Time = TypeVar("Time", datetime, str)
"""A time in merged deltas: a datetime in UTC, or a journal row's text in its one UTC form
(:data:`UTC_SUFFIX`), where text order is time order."""


@dataclass(slots=True)
class Merged(Generic[Time]):
    """The deltas of one pattern within a batch, combined before they reach SQL (PostgreSQL
    refuses to update one row twice in a single INSERT ... ON CONFLICT). Times are in UTC:
    datetimes, or text while a fold merges journal rows."""

    template: str
    severity: str
    count: int
    first_seen: Time | None
    last_seen: Time | None
    examples: Sequence[Sequence[str]] = field(default=())
    timeline: dict[int, int] = field(default_factory=dict)
    """Lines per finest history bucket (start in epoch seconds); they add up to ``count``."""

    def absorb(self, other: Merged[Time], limits: StoreLimits) -> None:
        """Add ``other`` (deltas of the same pattern) into this one."""
        self.count += other.count
        timeline = self.timeline
        for start, lines in other.timeline.items():
            timeline[start] = timeline.get(start, 0) + lines
        self.first_seen = earlier(self.first_seen, other.first_seen)
        self.last_seen = later(self.last_seen, other.last_seen)
        if SEVERITY_RANK[other.severity] < SEVERITY_RANK[self.severity]:
            self.severity = other.severity
        if other.template == self.template:
            if other.examples:
                self.examples = merge_examples(self.examples, other.examples, limits)
        elif other.template.count(WILDCARD) >= self.template.count(WILDCARD):
            self.template, self.examples = other.template, other.examples


def bucket_start(epoch_seconds: float, bucket_seconds: int) -> int:
    """The start (epoch seconds) of the bucket of ``bucket_seconds`` holding this instant."""
    return int(epoch_seconds // bucket_seconds) * bucket_seconds


def coalesce(
    deltas: Sequence[PatternDelta], limits: StoreLimits, arrival: datetime | None = None
) -> dict[str, Merged[datetime]]:
    """The validated deltas of one batch, merged per pattern id; raises ``ValueError`` for an
    invalid delta. Lines a delta's timeline does not place count at ``arrival`` (when given;
    else they are left out of the timeline)."""
    out: dict[str, Merged[datetime]] = {}
    base = limits.history[0][0]
    arrival_bucket = None if arrival is None else bucket_start(as_utc(arrival).timestamp(), base)
    # Buckets older than the longest retention at arrival are never stored (folds come later),
    # nor are lines stamped more than FUTURE_SLACK_SECONDS after they arrive: they are counted
    # as placed, and left out of the journal.
    oldest = newest = None
    if arrival_bucket is not None:
        oldest = arrival_bucket - limits.history[-1][1]
        newest = arrival_bucket + FUTURE_SLACK_SECONDS
    for d in deltas:
        if not isinstance(d, PatternDelta):
            raise ValueError(f"expected PatternDelta, got {type(d).__name__}")
        check_id("pattern id", d.pattern_id, limits.max_pattern_id_chars)
        if not isinstance(d.template, str):
            raise ValueError("template must be a string")
        severity = check_severity(d.severity)
        if isinstance(d.count, bool) or not isinstance(d.count, int) or d.count < 0:
            raise ValueError(f"count must be a non-negative integer, got {d.count!r}")
        first = _check_time("first_seen", d.first_seen)
        last = _check_time("last_seen", d.last_seen)
        examples = merge_examples((), _check_examples(d.examples), limits) if d.examples else ()
        timeline = _timeline(d.timeline, d.count, base, arrival_bucket, oldest, newest)
        merged = Merged(d.template, severity, d.count, first, last, examples, timeline)
        _add(out, d.pattern_id, merged, limits)
    return out


def _timeline(
    pairs: Sequence[tuple[int, int]],
    count: int,
    base: int,
    arrival: int | None,
    oldest: int | None,
    newest: int | None,
) -> dict[int, int]:
    """A delta's ``(epoch_second, lines)`` pairs per finest bucket (those before ``oldest`` or
    after ``newest`` left out), the lines they leave out at ``arrival``; raises ``ValueError``
    when they are malformed or hold more than ``count``."""
    out: dict[int, int] = {}
    placed = 0
    floor = -(2**63) if oldest is None else oldest
    ceiling = 2**63 if newest is None else newest
    try:
        for second, lines in pairs:
            if second.__class__ is not int or lines.__class__ is not int or lines < 0:
                raise ValueError("timeline entries are (epoch second, lines >= 0) integers")
            placed += lines
            if lines and floor <= second <= ceiling:
                start = second // base * base
                out[start] = out.get(start, 0) + lines
    except (TypeError, AttributeError):
        raise ValueError("timeline must be a sequence of (epoch second, lines) pairs") from None
    if placed > count:
        raise ValueError(f"timeline holds {placed} lines, more than the delta's count {count}")
    if placed < count and arrival is not None:
        out[arrival] = out.get(arrival, 0) + count - placed
    return out


def merge_batches(
    batches: list[dict[str, Merged[datetime]]], limits: StoreLimits
) -> dict[str, Merged[datetime]]:
    """One dict of the merged deltas of several batches (the first batch's objects absorb the
    others': they are the store's own, made by :func:`coalesce`)."""
    merged = batches[0]
    for other in batches[1:]:
        for pid, m in other.items():
            _add(merged, pid, m, limits)
    return merged


def _add(into: dict[str, Merged[Time]], pid: str, m: Merged[Time], limits: StoreLimits) -> None:
    """Put ``m`` in ``into``, or absorb it into the deltas already there for ``pid``."""
    cur = into.get(pid)
    if cur is None:
        into[pid] = m
    else:
        cur.absorb(m, limits)


def more_general(new: str, stored: str) -> bool:
    """Whether a fold keeps template ``new`` over ``stored``: unless it has fewer ``<*>``
    (the rule of the store's upsert; templates only generalise)."""
    return new.count(WILDCARD) >= stored.count(WILDCARD)


def pending_templates(payloads: Sequence[str]) -> dict[str, tuple[str, str, int]]:
    """``pattern id -> (template, severity, count)`` of journal rows as a fold would leave
    them, without their times and examples (a reader that needs only templates)."""
    out: dict[str, tuple[str, str, int]] = {}
    rank = SEVERITY_RANK
    for payload in payloads:
        for pid, template, severity, count, *_ in orjson.loads(payload):
            seen = out.get(pid)
            if seen is not None:
                if not more_general(template, seen[0]):
                    template = seen[0]
                if rank[seen[1]] <= rank[severity]:
                    severity = seen[1]
                count += seen[2]
            out[pid] = (template, severity, count)
    return out


def encode(merged: dict[str, Merged[datetime]]) -> str:
    """The payload of one journal row for merged deltas (read back by :func:`fold`)."""
    return orjson.dumps(
        [
            (
                pid,
                d.template,
                d.severity,
                d.count,
                d.first_seen,
                d.last_seen,
                d.examples,
                [v for item in d.timeline.items() for v in item],
            )
            for pid, d in merged.items()
        ]
    ).decode()


def fold(
    payloads: Sequence[str],
    limits: StoreLimits,
    written: Sequence[datetime] | None = None,
) -> dict[str, Merged[datetime]]:
    """The merged deltas of journal rows (made by :func:`encode` of validated deltas).

    ``written`` (one per payload) is when each row was written: the lines of a row without a
    timeline (written before the history existed) count in its bucket.

    A fold reads many rows that mostly repeat the same patterns: they are merged with their
    times as text (see :data:`UTC_SUFFIX`), and only the merged results are parsed.
    """
    merged: dict[str, Merged[str]] = {}
    base = limits.history[0][0]
    for i, payload in enumerate(payloads):
        for entry in orjson.loads(payload):
            pid, template, severity, count, first, last, examples = entry[:7]
            first, last = _journal_time(first), _journal_time(last)
            _add(merged, pid, Merged(template, severity, count, first, last, examples), limits)
            # The timeline straight into the pattern's merged one (no dict per entry).
            timeline = merged[pid].timeline
            if len(entry) > 7:
                flat = entry[7]
                for k in range(0, len(flat), 2):
                    start = flat[k]
                    timeline[start] = timeline.get(start, 0) + flat[k + 1]
            elif written is not None and count:
                start = bucket_start(as_utc(written[i]).timestamp(), base)
                timeline[start] = timeline.get(start, 0) + count
    return {
        pid: Merged(
            m.template,
            m.severity,
            m.count,
            None if m.first_seen is None else datetime.fromisoformat(m.first_seen),
            None if m.last_seen is None else datetime.fromisoformat(m.last_seen),
            tuple(tuple(pos) for pos in m.examples),
            m.timeline,
        )
        for pid, m in merged.items()
    }


def _journal_time(value: Any) -> str | None:
    """A journal time in the one text form a fold compares (:data:`UTC_SUFFIX`): other ISO
    8601 spellings (``Z``, other offsets, naive taken as UTC) and integer microseconds since
    the epoch (rows of a development version) are rewritten into it."""
    if value is None or (value.__class__ is str and value[-6:] == UTC_SUFFIX):
        return value
    if isinstance(value, int):
        return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=value)).isoformat()
    return as_utc(datetime.fromisoformat(value)).isoformat()


def _check_examples(examples: Any) -> tuple[tuple[str, ...], ...]:
    try:
        out = tuple(tuple(v for v in pos) for pos in examples)
    except TypeError:
        raise ValueError("examples must be a sequence of sequences of strings") from None
    if not all(isinstance(v, str) for pos in out for v in pos):
        raise ValueError("example values must be strings")
    return out


def merge_examples(
    old: Sequence[Sequence[str]], new: Sequence[Sequence[str]], limits: StoreLimits
) -> tuple[tuple[str, ...], ...]:
    """Keep the old values, append unseen new ones; bounded per position and in positions."""
    positions = min(max(len(old), len(new)), limits.max_positions)
    out: list[tuple[str, ...]] = []
    for i in range(positions):
        kept = list(old[i][: limits.max_examples_per_position]) if i < len(old) else []
        for value in new[i] if i < len(new) else ():
            if len(kept) >= limits.max_examples_per_position:
                break
            value = value[: limits.max_example_chars]
            if value not in kept:
                kept.append(value)
        out.append(tuple(kept))
    return tuple(out)


def examples_from_json(value: Any) -> tuple[tuple[str, ...], ...]:
    """Stored examples (a JSON column's value) as tuples; anything malformed reads as none."""
    if not isinstance(value, list):
        return ()
    return tuple(tuple(str(v) for v in pos) if isinstance(pos, list) else () for pos in value)
