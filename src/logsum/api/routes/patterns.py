"""``GET /v1/patterns`` and ``GET /v1/patterns/{id}``: the caller's stored patterns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from logsum.api.deps import CurrentKey, ServicesDep
from logsum.api.errors import NotFound
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
) -> PatternList:
    """Patterns accumulated over all the caller's requests, ordered by ``count`` descending then
    ``id`` ascending (a stable order, so limit/offset pages do not overlap while counts are
    unchanged). ``total`` counts all patterns matching the filter."""
    page, total = services.store.list_patterns(
        key.id, limit=limit, offset=offset, severity=severity
    )
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
