"""``GET /v1/patterns`` and ``GET /v1/patterns/{id}``: the caller's stored patterns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from logsum.api.deps import CurrentKey, ServicesDep
from logsum.api.errors import InvalidRequest, NotFound
from logsum.api.routes.common import SUCCESS_HEADERS, v1_responses
from logsum.api.schemas import PatternList, PatternOut, SeverityName
from logsum.api.service import stored_pattern_wire

router = APIRouter(prefix="/v1", tags=["patterns"])

DEFAULT_LIMIT = 50
"""Patterns per page when ``limit`` is not given."""
MAX_LIMIT = 500
"""Largest ``limit`` accepted (400 above): bounds the work and size of one response."""
MAX_OFFSET = 10_000_000
"""Largest ``offset`` accepted; larger values are certainly mistakes."""


@router.get(
    "/patterns",
    operation_id="listPatterns",
    summary="List the caller's stored patterns",
    response_model=PatternList,
    responses={200: {"headers": SUCCESS_HEADERS}, **v1_responses()},
)
def list_patterns(
    key: CurrentKey,
    services: ServicesDep,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1..{MAX_LIMIT}.")
    ] = DEFAULT_LIMIT,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="Patterns to skip (for paging).")
    ] = 0,
    severity: Annotated[
        SeverityName | None, Query(description="Only patterns of this severity.")
    ] = None,
    since: Annotated[
        datetime | None,
        Query(description="Count only lines from this time on (ISO 8601; by the history)."),
    ] = None,
    until: Annotated[
        datetime | None,
        Query(description="Count only lines before this time (ISO 8601; by the history)."),
    ] = None,
    order: Annotated[
        Literal["count", "last_seen"],
        Query(description="count: most lines first (default); last_seen: latest first."),
    ] = "count",
) -> PatternList:
    """Patterns accumulated over all the caller's requests, ordered by ``count`` descending
    (or ``last_seen`` descending with ``order=last_seen``) then ``id`` ascending (a stable
    order, so limit/offset pages do not overlap while counts are unchanged). ``total`` counts
    all patterns matching the filter. With ``since`` and/or ``until``, ``count`` is the
    pattern's lines in that range (from the pattern history, the range widened to whole buckets
    of the finest resolution that still holds ``since``; see ``GET
    /v1/patterns/{id}/history``) and only patterns with lines in it are listed."""
    try:
        page, total = services.store.list_patterns(
            key.id,
            limit=limit,
            offset=offset,
            severity=severity,
            since=since,
            until=until,
            order=order,
        )
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    return PatternList.model_validate(
        {
            "patterns": [stored_pattern_wire(p) for p in page],
            "total": total,
            "limit": limit,
            "offset": offset,
        }
    )


@router.get(
    "/patterns/{pattern_id}",
    operation_id="getPattern",
    summary="One of the caller's stored patterns",
    response_model=PatternOut,
    responses={200: {"headers": SUCCESS_HEADERS}, **v1_responses(404)},
)
def get_pattern(
    key: CurrentKey,
    services: ServicesDep,
    pattern_id: Annotated[str, Path(description="A pattern id.")],
) -> PatternOut:
    """The pattern with this id, if the caller has it (another key's pattern is 404 too)."""
    # Ids the store can't hold (too long, control characters: PostgreSQL refuses NUL) are
    # certainly unknown.
    impossible = len(pattern_id) > services.store.limits.max_pattern_id_chars or any(
        ord(c) < 32 for c in pattern_id
    )
    stored = None if impossible else services.store.get_pattern(key.id, pattern_id)
    if stored is None:
        raise NotFound(f"No pattern with id {pattern_id!r}")
    return PatternOut.model_validate(stored_pattern_wire(stored))
