"""``/v1/watch``: follow a log file on the server and deliver to a signed webhook.

Validation (source inside ``LOGSUM_WATCH_ROOTS``, webhook URL allowed, severities known) is the
watch feature's; its :class:`~logsum.watch.errors.WatchValidationError` becomes a 400 here.
Every route authenticates and counts against the key's rate limit (``CurrentKey``). Another
key's watch is a 404, like a missing one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from logsum.api.deps import CurrentKey
from logsum.api.errors import InvalidRequest, NotFound, validation_message
from logsum.api.routes.common import SUCCESS_HEADERS, v1_responses
from logsum.api.schemas import (
    WatchCreate,
    WatchCreated,
    WatchList,
    WatchOut,
)
from logsum.core.timestamps import DEFAULT_ZONE
from logsum.timeutil import iso
from logsum.watch.errors import WatchValidationError
from logsum.watch.feature import WatchFeature
from logsum.watch.model import WatchRecord

router = APIRouter(prefix="/v1", tags=["watch"])

MAX_ID_CHARS = 40
"""Longer ids are certainly unknown (404 without a query)."""


async def get_watch_feature(request: Request) -> WatchFeature:
    """The process's watch feature (set on ``app.state.watch`` by the app factory); a
    coroutine to stay off the thread pool, like :func:`~logsum.api.deps.get_services`."""
    feature: WatchFeature | None = getattr(request.app.state, "watch", None)
    if feature is None:  # pragma: no cover - the factory always installs it with the router
        raise NotFound("Watching files is not enabled on this server")
    return feature


WatchDep = Annotated[WatchFeature, Depends(get_watch_feature)]


def _wire(w: WatchRecord) -> dict[str, Any]:
    return {
        "id": w.id,
        "source": w.source,
        "filters": w.filters.to_json(),
        "webhook_url": w.webhook_url,
        "status": str(w.status),
        "from_beginning": w.from_beginning,
        "timezone": w.timezone,
        "created_at": iso(w.created_at),
        "updated_at": iso(w.updated_at),
        "lines_read": w.lines_read,
        "offset": w.offset,
        "events_count": w.events_count,
        "anomalies_count": w.anomalies_count,
        "delivered_count": w.delivered_count,
        "failed_count": w.failed_count,
        "pending_count": w.pending_count,
        "last_delivery_at": iso(w.last_delivery_at),
        "last_error": w.last_error,
        "last_error_at": iso(w.last_error_at),
    }


# -- routes -----------------------------------------------------------------------------------


_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WatchCreate"}}},
    }
}


def parse_watch_create(raw: bytes) -> WatchCreate:
    """Decode and validate the body of ``POST /v1/watch`` (400 naming the field)."""
    if not raw.strip():
        raise InvalidRequest(
            "Missing request body: expected a JSON object with 'source' and 'webhook_url'"
        )
    try:
        return WatchCreate.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidRequest(validation_message(exc.errors())) from None


def _create(feature: WatchFeature, tenant_id: str, body: WatchCreate) -> WatchCreated:
    try:
        created = feature.create(
            tenant_id,
            source=body.source,
            severities=body.filters.severity,
            webhook_url=body.webhook_url,
            from_beginning=body.from_beginning,
            timezone=body.timezone or DEFAULT_ZONE,
        )
    except WatchValidationError as exc:
        raise InvalidRequest(str(exc)) from None
    return WatchCreated.model_validate({**_wire(created.watch), "secret": created.secret})


@router.post(
    "/watch",
    operation_id="createWatch",
    status_code=201,
    summary="Start following a log file and delivering to a webhook",
    response_model=WatchCreated,
    responses={201: {"headers": SUCCESS_HEADERS}, **v1_responses()},
    openapi_extra=_REQUEST_BODY,
)
async def create_watch(request: Request, key: CurrentKey, feature: WatchDep) -> Response:
    """Create a watch. New complete lines of ``source`` go through the caller's patterns and
    the anomaly detectors; records passing ``filters`` are delivered in signed batches (Standard
    Webhooks headers ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``).

    The body is read after authentication (a bad key is a 401 whatever the body), and the
    validation (path resolution, DNS) runs in a worker thread."""
    raw = await request.body()
    body = parse_watch_create(raw)
    created = await run_in_threadpool(_create, feature, key.id, body)
    return Response(
        content=created.model_dump_json(), status_code=201, media_type="application/json"
    )


@router.get(
    "/watch",
    operation_id="listWatches",
    summary="List the caller's watches",
    response_model=WatchList,
    responses={200: {"headers": SUCCESS_HEADERS}, **v1_responses()},
)
def list_watches(key: CurrentKey, feature: WatchDep) -> WatchList:
    """The caller's watches, oldest first."""
    watches = feature.list(key.id)
    return WatchList.model_validate({"watches": [_wire(w) for w in watches], "total": len(watches)})


WatchId = Annotated[str, Path(description="A watch id (wat_...).")]


@router.get(
    "/watch/{watch_id}",
    operation_id="getWatch",
    summary="One of the caller's watches, with its progress and delivery counts",
    response_model=WatchOut,
    responses={200: {"headers": SUCCESS_HEADERS}, **v1_responses(404)},
)
def get_watch(watch_id: WatchId, key: CurrentKey, feature: WatchDep) -> WatchOut:
    """Status, lines read, offset, last delivery, last error, delivered/failed counts."""
    w = None if len(watch_id) > MAX_ID_CHARS else feature.get(key.id, watch_id)
    if w is None:
        raise NotFound(f"No watch with id {watch_id!r}")
    return WatchOut.model_validate(_wire(w))


@router.delete(
    "/watch/{watch_id}",
    operation_id="deleteWatch",
    status_code=204,
    summary="Stop and delete one of the caller's watches",
    responses={204: {"headers": SUCCESS_HEADERS}, **v1_responses(404)},
)
def delete_watch(watch_id: WatchId, key: CurrentKey, feature: WatchDep) -> Response:
    """Stops following the file and drops undelivered batches."""
    gone = len(watch_id) <= MAX_ID_CHARS and feature.delete(key.id, watch_id)
    if not gone:
        raise NotFound(f"No watch with id {watch_id!r}")
    return Response(status_code=204)
