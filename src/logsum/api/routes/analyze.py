"""``POST /v1/analyze``."""

from __future__ import annotations

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request, Response

from logsum.api.deps import CurrentKey, ServicesDep
from logsum.api.routes.common import SUCCESS_HEADERS, v1_responses
from logsum.api.schemas import AnalyzeResponse

router = APIRouter(prefix="/v1", tags=["analysis"])

_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/AnalyzeRequest"}}
        },
    }
}


@router.post(
    "/analyze",
    summary="Analyse a batch of raw log lines",
    response_model=AnalyzeResponse,
    responses={200: {"headers": SUCCESS_HEADERS}, **v1_responses(413)},
    openapi_extra=_REQUEST_BODY,
)
async def analyze(request: Request, key: CurrentKey, services: ServicesDep) -> Response:
    """Mine the lines into patterns (with their count in this request), find anomalies and
    insights, and add the counts to the caller's stored patterns.

    The body is read and parsed after authentication, and all CPU work (JSON decoding,
    validation, the engine, the store) runs in a worker thread so the event loop stays free;
    at most ``LOGSUM_ANALYSIS_SLOTS`` analyses run at once, the others wait for a slot.
    """
    raw = await request.body()
    outcome = await anyio.to_thread.run_sync(
        services.analysis.analyze_raw, key.id, raw, limiter=_slots(request, services)
    )
    services.metrics.lines.inc(outcome.lines)
    return Response(content=outcome.to_json(), media_type="application/json")


def _slots(request: Request, services: ServicesDep) -> anyio.CapacityLimiter:
    """The process's analysis slots (``LOGSUM_ANALYSIS_SLOTS``), made on first use inside the
    event loop (a capacity limiter belongs to the loop that runs it)."""
    state = request.app.state
    limiter: anyio.CapacityLimiter | None = getattr(state, "analysis_slots", None)
    if limiter is None:
        limiter = anyio.CapacityLimiter(services.settings.analysis_slots)
        state.analysis_slots = limiter
    return limiter
