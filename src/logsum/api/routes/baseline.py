"""``GET /v1/baseline`` and ``DELETE /v1/baseline``: what the caller's key learned from its
``learn_only`` analyses, and forgetting it (see docs/API.md, "Baselines")."""

from __future__ import annotations

from fastapi import APIRouter, Response

from logsum.api.deps import CurrentKey, ServicesDep
from logsum.api.errors import NotFound
from logsum.api.routes.common import SUCCESS_HEADERS, v1_responses
from logsum.api.schemas import BaselineOut
from logsum.timeutil import iso

router = APIRouter(prefix="/v1", tags=["baseline"])


@router.get(
    "/baseline",
    summary="What the caller's key learned from known-good logs",
    response_model=BaselineOut,
    responses={200: {"headers": SUCCESS_HEADERS}, **v1_responses(404)},
)
def get_baseline(key: CurrentKey, services: ServicesDep) -> BaselineOut:
    """The key's baseline: sessions and lines learned, count rules, size. 404 when the key has
    sent no ``learn_only`` analysis (or reset it)."""
    stored = services.analysis.baselines.summary(key.id)
    learned = services.analysis.baselines.get(key.id)
    if stored is None or learned is None:
        raise NotFound("This key has no baseline: send known-good logs with learn_only")
    profile = learned.sessions
    return BaselineOut.model_validate(
        {
            "sessions": stored.sessions,
            "lines": stored.lines,
            "session_key": profile.session_key if profile else None,
            "session_rules": len(profile.rules) if profile else 0,
            "size_bytes": stored.size_bytes,
            "updated_at": iso(stored.updated_at),
        }
    )


@router.delete(
    "/baseline",
    status_code=204,
    summary="Forget what the caller's key learned",
    responses={204: {"headers": SUCCESS_HEADERS}, **v1_responses()},
)
def delete_baseline(key: CurrentKey, services: ServicesDep) -> Response:
    """Later analyses judge sessions against each batch alone again, until the key learns
    anew. The key's stored patterns are kept. Idempotent (204 when there was none)."""
    services.analysis.baselines.reset(key.id)
    return Response(status_code=204)
