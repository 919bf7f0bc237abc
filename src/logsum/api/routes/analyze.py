"""``POST /v1/analyze``."""

from __future__ import annotations

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request, Response

from logsum.api.bodies import query_parameters
from logsum.api.deps import CurrentKey, ServicesDep
from logsum.api.routes.common import SUCCESS_HEADERS, v1_responses
from logsum.api.schemas import AnalyzeResponse

router = APIRouter(prefix="/v1", tags=["analysis"])

ZONE_HEADER = {
    "X-LogSum-Timezone": {
        "description": "The zone in which the lines' timestamps that name no offset were read "
        "(options.timezone, UTC when none was given); times in the body are UTC.",
        "schema": {"type": "string"},
    }
}

_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "description": "The contract's JSON object (AnalyzeRequest). From log shippers also: "
        "under application/json, a non-empty JSON array whose items are log records (objects, "
        "read as their JSON text) or raw lines (strings), as Vector's json codec and Fluent "
        "Bit's 'Format json' send them; NDJSON; plain text. Those bodies take their options "
        "as query parameters (see docs/API.md, 'Bodies from log shippers'). Other content "
        "types are read as JSON.",
        "content": {
            # The contract's object only: a client generated from this document keeps one
            # request type. The array of records is described in the body's description.
            "application/json": {"schema": {"$ref": "#/components/schemas/AnalyzeRequest"}},
            "application/x-ndjson": {
                "schema": {
                    "type": "string",
                    "description": "One log record (a JSON object) or raw line (a JSON string) "
                    "per line; blank lines are skipped. Also accepted as application/ndjson, "
                    "application/jsonl, application/x-jsonlines and the like.",
                },
                "example": '{"timestamp":"2024-01-01T10:00:00Z","level":"error",'
                '"message":"Database connection failed"}\n',
            },
            "text/plain": {
                "schema": {
                    "type": "string",
                    "description": "Raw log lines separated by LF (CRLF accepted); a final line "
                    "break starts no extra line; the charset parameter is honoured (UTF-8 by "
                    "default, invalid bytes replaced).",
                },
                "example": "2024-01-01 10:00:00 ERROR Database connection failed\n",
            },
        },
    },
    "parameters": query_parameters(),
}


@router.post(
    "/analyze",
    operation_id="analyze",
    summary="Analyse a batch of raw log lines",
    response_model=AnalyzeResponse,
    responses={200: {"headers": {**SUCCESS_HEADERS, **ZONE_HEADER}}, **v1_responses(413)},
    openapi_extra=_REQUEST_BODY,
)
async def analyze(request: Request, key: CurrentKey, services: ServicesDep) -> Response:
    """Mine the lines into patterns (with their count in this request), find anomalies and
    insights, and add the counts to the caller's stored patterns.

    The body is the contract's JSON object, or log records from a shipper (a JSON array,
    NDJSON, plain text: the ``Content-Type`` says which) with the options as query parameters.
    It is read and parsed after authentication, and all CPU work (JSON decoding,
    validation, the engine, the store) runs in a worker thread so the event loop stays free;
    at most ``LOGSUM_ANALYSIS_SLOTS`` analyses run at once, the others wait for a slot.
    """
    raw = await request.body()
    outcome = await anyio.to_thread.run_sync(
        services.analysis.analyze_raw,
        key.id,
        raw,
        request.headers.get("content-type"),
        request.query_params.multi_items(),
        limiter=analysis_slots(request, services),
    )
    services.metrics.lines.inc(outcome.lines)
    return Response(
        content=outcome.to_json(),
        media_type="application/json",
        headers={"X-LogSum-Timezone": outcome.timezone},
    )


def analysis_slots(request: Request, services: ServicesDep) -> anyio.CapacityLimiter:
    """The process's analysis slots (``LOGSUM_ANALYSIS_SLOTS``), made on first use inside the
    event loop (a capacity limiter belongs to the loop that runs it)."""
    state = request.app.state
    limiter: anyio.CapacityLimiter | None = getattr(state, "analysis_slots", None)
    if limiter is None:
        limiter = anyio.CapacityLimiter(services.settings.analysis_slots)
        state.analysis_slots = limiter
    return limiter
