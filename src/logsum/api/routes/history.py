"""``GET /v1/patterns/{id}/history`` and ``GET /v1/anomalies``: what the caller's patterns did
over time, and the anomalies its analyses found."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Query, Response

from logsum.api.deps import CurrentKey, ServicesDep
from logsum.api.errors import InvalidRequest, NotFound
from logsum.api.routes.common import SUCCESS_HEADERS, v1_responses
from logsum.api.schemas import AnomalyList, PatternHistory, SeverityName
from logsum.api.service import WIRE_JSON
from logsum.store.history import MAX_POINTS
from logsum.timeutil import iso

router = APIRouter(prefix="/v1", tags=["patterns"])

DEFAULT_ANOMALIES = 50
"""Anomalies per page when ``limit`` is not given."""
MAX_ANOMALIES = 500
"""Largest ``limit`` of ``GET /v1/anomalies``."""
MAX_BUCKET = 366 * 86_400
"""Largest ``bucket`` accepted (a year)."""

Since = Annotated[
    datetime | None,
    Query(description="Start of the range (inclusive), ISO 8601; no offset means UTC."),
]
Until = Annotated[
    datetime | None,
    Query(description="End of the range (exclusive), ISO 8601; default: now."),
]


def impossible_id(pattern_id: str, max_chars: int) -> bool:
    """Ids the store can't hold (too long, control characters) are certainly unknown."""
    return len(pattern_id) > max_chars or any(ord(c) < 32 for c in pattern_id)


@router.get(
    "/patterns/{pattern_id}/history",
    summary="Lines of one stored pattern per time bucket",
    operation_id="getPatternHistory",
    response_model=PatternHistory,
    responses={200: {"headers": SUCCESS_HEADERS}, **v1_responses(404)},
)
def pattern_history(
    key: CurrentKey,
    services: ServicesDep,
    pattern_id: Annotated[str, Path(description="A pattern id.")],
    since: Since = None,
    until: Until = None,
    bucket: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_BUCKET,
            description="Bucket size in seconds, a multiple of a stored resolution "
            "(LOGSUM_HISTORY: 60 and 3600 by default); default: the smallest of 1 min, 5 min, "
            "15 min, 30 min, 1 h, 3 h, 6 h, 12 h, 1 d, 7 d giving at most 720 points.",
        ),
    ] = None,
) -> Response:
    """The pattern's lines per bucket, by the lines' own timestamps (arrival time for lines
    without one), every bucket from ``since`` (default: a day before ``until``) to ``until``
    (default: now), empty ones included; the range is widened to whole buckets. ``total`` is
    the sum of the points: the lines of the pattern stored for that range. Ranges beyond the
    finest resolution's retention are read from a coarser one; lines older than every
    retention are in no bucket."""
    store = services.store
    found = None
    if not impossible_id(pattern_id, store.limits.max_pattern_id_chars):
        try:
            found = store.pattern_history(
                key.id, pattern_id, since=since, until=until, bucket_seconds=bucket
            )
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
    if found is None:
        raise NotFound(f"No pattern with id {pattern_id!r}")
    # Written straight to JSON (up to MAX_POINTS objects): the shape is PatternHistory's.
    body = {
        "pattern_id": found.pattern_id,
        "bucket_seconds": found.bucket_seconds,
        "points": [{"start": s, "count": n} for s, n in found.points],
        "total": found.total,
    }
    return Response(orjson.dumps(body, option=WIRE_JSON), media_type="application/json")


@router.get(
    "/anomalies",
    summary="Anomalies found for the caller",
    operation_id="listAnomalies",
    response_model=AnomalyList,
    responses={200: {"headers": SUCCESS_HEADERS}, **v1_responses()},
)
def list_anomalies(
    key: CurrentKey,
    services: ServicesDep,
    since: Annotated[
        datetime | None, Query(description="Found at or after this time, ISO 8601.")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="Found before this time, ISO 8601.")
    ] = None,
    type: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            pattern=r"^[a-z_]+$",
            description="Only anomalies of this type (new_pattern, volume_spike, ...).",
        ),
    ] = None,
    severity: Annotated[
        SeverityName | None, Query(description="Only anomalies of this severity.")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_ANOMALIES, description=f"Page size, 1..{MAX_ANOMALIES}.")
    ] = DEFAULT_ANOMALIES,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Anomalies to skip.")] = 0,
) -> Response:
    """The anomalies the caller's analyze requests and watches found, newest first, each with
    the fields ``POST /v1/analyze`` returns plus ``found_at`` (when the analysis was stored)
    and ``source`` (``analyze`` or ``watch:<id>``); ``total`` counts all that match. At most
    LOGSUM_MAX_ANOMALIES_PER_KEY are kept per key (the oldest go first). An anomaly's
    ``lines`` are line numbers within the request (or watch window) that found it."""
    if since is not None and until is not None and since >= until:
        raise InvalidRequest("since must be before until")
    page, total = services.store.list_anomalies(
        key.id,
        limit=limit,
        offset=offset,
        since=since,
        until=until,
        type_=type,
        severity=severity,
    )
    # Written straight to JSON, in AnomalyList's shape: each anomaly exactly as the analysis
    # reported it (the typed evidence model would add its absent fields as nulls).
    body = {
        "anomalies": [{**a.anomaly, "found_at": iso(a.found_at), "source": a.source} for a in page],
        "total": total,
        "limit": limit,
        "offset": offset,
    }
    return Response(orjson.dumps(body, option=WIRE_JSON), media_type="application/json")


__all__ = ["MAX_POINTS", "router"]
