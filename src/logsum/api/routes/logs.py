"""``POST /v1/logs``: OTLP/HTTP logs ingest (what OpenTelemetry SDKs and the Collector's
``otlphttp`` exporter send). The body is read by :mod:`logsum.api.otlp`; the records go through
the analysis of ``POST /v1/analyze`` (the tenant's warm engine, its stored patterns, anomalies).
Errors of this path, the middlewares' included, are ``google.rpc.Status`` messages in the
request's encoding (:func:`logsum.api.otlp.error_body`, registered by the app factory)."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request, Response

from logsum.api import otlp
from logsum.api.bodies import query_options
from logsum.api.deps import CurrentKey, Services, ServicesDep
from logsum.api.routes.analyze import analysis_slots
from logsum.api.routes.common import SUCCESS_HEADERS, v1_responses

router = APIRouter(prefix="/v1", tags=["analysis"])

PATH = "/v1/logs"

_STATUS = {
    "type": "object",
    "description": "google.rpc.Status in the request's encoding (JSON: with the error envelope "
    "beside it). Binary protobuf for application/x-protobuf requests.",
    "properties": {
        "code": {"type": "integer", "description": "gRPC status code."},
        "message": {"type": "string"},
        "error": {"$ref": "#/components/schemas/ErrorDetail"},
    },
}

_OPENAPI = {
    "requestBody": {
        "required": True,
        "description": "An OTLP ExportLogsServiceRequest (opentelemetry-proto, "
        "opentelemetry/proto/collector/logs/v1/logs_service.proto), binary or in OTLP's JSON "
        "encoding; Content-Encoding gzip or deflate accepted. Options of /v1/analyze may be "
        "given as query parameters.",
        "content": {
            otlp.PROTOBUF: {"schema": {"type": "string", "format": "binary"}},
            otlp.JSON: {
                "schema": {
                    "type": "object",
                    "description": "ExportLogsServiceRequest in OTLP/JSON: "
                    '{"resourceLogs": [{"resource": {...}, "scopeLogs": [{"logRecords": '
                    "[...]}]}]}",
                    "additionalProperties": True,
                }
            },
        },
    },
    "responses": {
        "200": {
            "description": "ExportLogsServiceResponse in the request's encoding; "
            "partialSuccess with rejectedLogRecords and errorMessage when records were "
            "rejected (do not retry).",
            "headers": SUCCESS_HEADERS,
            "content": {
                otlp.PROTOBUF: {"schema": {"type": "string", "format": "binary"}},
                otlp.JSON: {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "partialSuccess": {
                                "type": "object",
                                "properties": {
                                    "rejectedLogRecords": {"type": "string"},
                                    "errorMessage": {"type": "string"},
                                },
                            }
                        },
                    }
                },
            },
        },
        # The errors of v1_responses, with OTLP's bodies: google.rpc.Status in the request's
        # encoding (the descriptions and headers stay theirs).
        **{
            str(status): {
                "content": {
                    otlp.PROTOBUF: {"schema": {"type": "string", "format": "binary"}},
                    otlp.JSON: {"schema": _STATUS},
                },
            }
            for status in (400, 401, 413, 429, 500, 503)
        },
    },
    "parameters": [],
}


def _ingest(
    services: Services,
    tenant_id: str,
    raw: bytes,
    content_type: str | None,
    query: Sequence[tuple[str, str]],
) -> otlp.LogsBatch:
    options = query_options(query)
    if not raw and otlp.is_protobuf(content_type):
        return otlp.LogsBatch([])  # an empty message: an empty request, a success
    request = otlp.decode_request(raw, content_type)
    batch = otlp.request_lines(request, max_batch_lines=services.settings.max_batch_lines)
    if batch.lines:
        # The analysis of /v1/analyze; its pattern list is not sent back (OTLP answers none).
        services.analysis.analyze(
            tenant_id, batch.lines, options.model_copy(update={"detect_patterns": False})
        )
    return batch


@router.post(
    "/logs",
    operation_id="exportLogs",
    summary="Ingest OpenTelemetry logs (OTLP/HTTP)",
    responses=v1_responses(413),
    openapi_extra=_OPENAPI,
)
async def export_logs(request: Request, key: CurrentKey, services: ServicesDep) -> Response:
    """OTLP/HTTP logs export: an ``ExportLogsServiceRequest`` (binary protobuf or OTLP/JSON)
    whose records are analysed as ``POST /v1/analyze`` analyses lines, into the caller's
    stored patterns. The answer is an ``ExportLogsServiceResponse`` in the request's encoding;
    records without a body are rejected with a partial success. Errors are
    ``google.rpc.Status`` messages; 429 and 503 carry ``Retry-After``."""
    raw = await request.body()
    content_type = request.headers.get("content-type")
    batch = await anyio.to_thread.run_sync(
        _ingest,
        services,
        key.id,
        raw,
        content_type,
        request.query_params.multi_items(),
        limiter=analysis_slots(request, services),
    )
    services.metrics.lines.inc(len(batch.lines))
    body, media = otlp.export_response(batch, content_type)
    return Response(content=body, media_type=media)
