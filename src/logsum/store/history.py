"""Reading the pattern history and the stored anomalies (the fold writes them:
:mod:`logsum.store.patterns`).

The history keeps each pattern's lines per time bucket at a few resolutions
(:attr:`StoreLimits.history <logsum.store.models.StoreLimits.history>`, finest first). A query
for a range and a bucket size reads one resolution: the coarsest whose bucket divides the asked
size and whose retention reaches back to the range's start (the coarsest that divides it when
none does), and adds its buckets up. The range is widened to whole buckets, so the points always
add up to exactly the lines stored for the range they cover.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy import ColumnElement, Connection, Table, func, select

from logsum.core.model import LineResult
from logsum.store.models import HistoryPoints, StoredAnomaly
from logsum.store.tables import AnomalyRow, PatternHistoryRow

__all__ = [
    "MAX_POINTS",
    "Range",
    "anomalies_page",
    "count_range",
    "history_points",
    "plan_range",
    "range_counts",
    "timelines",
]

_h = cast(Table, PatternHistoryRow.__table__)
_a = cast(Table, AnomalyRow.__table__)

MAX_POINTS = 10_000
"""Most buckets one history answer holds (a larger range or a smaller bucket is refused)."""
AUTO_POINTS = 720
"""Without an asked bucket size, the smallest size giving at most this many points."""
_NICE = (60, 300, 900, 1_800, 3_600, 3 * 3_600, 6 * 3_600, 12 * 3_600, 86_400, 7 * 86_400)
"""Bucket sizes tried, in order, when none is asked for."""


@dataclass(frozen=True, slots=True)
class Range:
    """A query's range in epoch seconds, widened to whole buckets, and what it reads."""

    since: int
    until: int
    bucket: int
    resolution: int
    """The stored resolution read (it divides ``bucket``)."""


def timelines(
    results: Iterable[LineResult],
    ids: Mapping[str, str] | None,
    bucket_seconds: int,
    *,
    continuations: bool = False,
) -> dict[str, dict[int, int]]:
    """Lines per pattern per bucket of ``bucket_seconds`` (start in epoch seconds), by the
    lines' own timestamps: what :attr:`PatternDelta.timeline
    <logsum.store.models.PatternDelta.timeline>` holds. ``ids`` maps the results' pattern ids
    to the ids they count under (lines of ids it lacks are left out); ``None`` keeps them.
    Lines without a timestamp are left out (the store counts them when it receives them), and
    so are continuation lines unless ``continuations`` (when the caller counts them as lines
    of their record's pattern)."""
    # Lines mostly come in time order: a line usually falls in the previous line's bucket,
    # which two comparisons tell (cheaper than the line's epoch seconds).
    per: dict[int, dict[str, int]] = {}
    width = timedelta(seconds=bucket_seconds)
    low: datetime | None = None
    high = low
    counts: dict[str, int] = {}
    for r in results:
        ts = r.timestamp
        if ts is None or (r.continuation and not continuations):
            continue
        if low is None or not low <= ts < high:  # type: ignore[operator]
            start = int(ts.timestamp()) // bucket_seconds * bucket_seconds
            low = datetime.fromtimestamp(start, UTC)
            high = low + width
            counts = per.setdefault(start, {})
        raw = r.pattern_id
        counts[raw] = counts.get(raw, 0) + 1
    out: dict[str, dict[int, int]] = {}
    for start, by_id in per.items():
        for raw, n in by_id.items():
            pid = raw if ids is None else ids.get(raw)
            if pid is None:
                continue  # a pattern the batch no longer has (evicted since)
            into = out.get(pid)
            if into is None:
                out[pid] = {start: n}
            else:
                into[start] = into.get(start, 0) + n
    return out


def _epoch(value: datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def plan_range(
    history: Sequence[tuple[int, int]],
    now: datetime,
    since: datetime | None,
    until: datetime | None,
    bucket: int | None,
    *,
    default_span: int = 86_400,
) -> Range:
    """The range and resolution a history query reads; raises ``ValueError`` for a range that
    is empty or too long for ``bucket``, or a ``bucket`` no resolution divides."""
    end = _epoch(until) if until is not None else _epoch(now)
    start = _epoch(since) if since is not None else end - default_span
    if start >= end:
        raise ValueError("since must be before until")
    reach = _epoch(now) - start

    def resolution_for(size: int) -> int | None:
        dividing = [(b, keep) for b, keep in history if size % b == 0]
        if not dividing:
            return None
        covering = [b for b, keep in dividing if keep >= reach]
        return max(covering) if covering else max(b for b, _k in dividing)

    if bucket is None:
        finest, coarsest = history[0][0], history[-1][0]
        tried = [b for b in _NICE if b % finest == 0]
        span = end - start
        fallback = (int(span // (AUTO_POINTS - 1)) // coarsest + 1) * coarsest
        for size in [*tried, fallback]:
            res = resolution_for(size)
            points = -int(-end // size) - int(start // size)
            if res is not None and points <= AUTO_POINTS:
                bucket = size
                break
        else:
            bucket = fallback
    if isinstance(bucket, bool) or not isinstance(bucket, int) or bucket < 1:
        raise ValueError("bucket must be a positive number of seconds")
    res = resolution_for(bucket)
    if res is None:
        sizes = ", ".join(str(b) for b, _k in history)
        raise ValueError(f"bucket must be a multiple of a stored bucket size ({sizes} seconds)")
    lo = int(start // bucket) * bucket
    hi = -int(-end // bucket) * bucket
    if (hi - lo) // bucket > MAX_POINTS:
        raise ValueError(
            f"the range holds {(hi - lo) // bucket} buckets of {bucket} s; at most {MAX_POINTS}"
        )
    return Range(lo, hi, bucket, res)


def count_range(
    history: Sequence[tuple[int, int]],
    now: datetime,
    since: datetime | None,
    until: datetime | None,
) -> Range:
    """The range of a count over all patterns (``until`` defaults to now, ``since`` to the
    oldest bucket kept), in buckets of the finest resolution whose retention reaches back to
    ``since`` (the coarsest when none does): the smallest widening of the range."""
    end = _epoch(until) if until is not None else _epoch(now)
    start = _epoch(since) if since is not None else _epoch(now) - history[-1][1]
    if start >= end:
        raise ValueError("since must be before until")
    reach = _epoch(now) - start
    res = next((b for b, keep in history if keep >= reach), history[-1][0])
    return Range(int(start // res) * res, -int(-end // res) * res, res, res)


def history_points(conn: Connection, tenant_id: str, pattern_id: str, r: Range) -> HistoryPoints:
    """The pattern's lines per bucket of ``r`` (every bucket, empty ones included)."""
    rows = conn.execute(
        select(_h.c.start, _h.c.count).where(
            _h.c.tenant_id == tenant_id,
            _h.c.pattern_id == pattern_id,
            _h.c.bucket_seconds == r.resolution,
            _h.c.start >= r.since,
            _h.c.start < r.until,
        )
    ).all()
    sums = [0] * ((r.until - r.since) // r.bucket)
    for start, count in rows:
        sums[(int(start) - r.since) // r.bucket] += int(count)
    points = tuple((_at(r.since + i * r.bucket), n) for i, n in enumerate(sums))
    return HistoryPoints(pattern_id, r.bucket, _at(r.since), _at(r.until), points)


def range_counts(tenant_id: str, r: Range) -> Any:
    """A subquery of ``(pattern_id, n)``: the tenant's lines per pattern within ``r``."""
    return (
        select(_h.c.pattern_id, func.sum(_h.c.count).label("n"))
        .where(
            _h.c.tenant_id == tenant_id,
            _h.c.bucket_seconds == r.resolution,
            _h.c.start >= r.since,
            _h.c.start < r.until,
        )
        .group_by(_h.c.pattern_id)
        .subquery()
    )


def anomalies_page(
    conn: Connection,
    tenant_id: str,
    *,
    since: datetime | None,
    until: datetime | None,
    type_: str | None,
    severity: str | None,
    limit: int,
    offset: int,
) -> tuple[list[StoredAnomaly], int]:
    """One page of the tenant's stored anomalies, newest first, and how many match."""
    conds: list[ColumnElement[bool]] = [_a.c.tenant_id == tenant_id]
    if since is not None:
        conds.append(_a.c.found_at >= since)
    if until is not None:
        conds.append(_a.c.found_at < until)
    if type_ is not None:
        conds.append(_a.c.type == type_)
    if severity is not None:
        conds.append(_a.c.severity == severity)
    rows = conn.execute(
        select(_a.c.found_at, _a.c.source, _a.c.payload)
        .where(*conds)
        .order_by(_a.c.found_at.desc(), _a.c.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    total = conn.execute(select(func.count()).select_from(_a).where(*conds)).scalar_one()
    page = [StoredAnomaly(r[0], r[1], orjson.loads(r[2])) for r in rows]
    return page, int(total)
