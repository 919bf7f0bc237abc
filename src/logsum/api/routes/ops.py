"""Operations endpoints: liveness, readiness, Prometheus metrics (no API key needed)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from logsum.api.deps import ServicesDep
from logsum.api.errors import ServiceUnavailable
from logsum.api.schemas import ErrorEnvelope, Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="getHealth", summary="Liveness", response_model=Health)
async def healthz() -> Health:
    """200 while the process serves requests."""
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="getReadiness",
    summary="Readiness",
    response_model=Health,
    responses={503: {"model": ErrorEnvelope, "description": "unavailable: store or Redis down."}},
)
async def readyz(services: ServicesDep) -> Health:
    """200 when the store answers (and Redis, when rate limits live there); 503 otherwise."""
    try:
        await run_in_threadpool(services.store.ping)
    except Exception as exc:
        raise ServiceUnavailable(f"The store is unavailable: {type(exc).__name__}") from None
    if services.limiter.backend == "redis" and not await run_in_threadpool(services.limiter.ping):
        raise ServiceUnavailable("The rate-limit storage (Redis) is unavailable")
    return Health(status="ok")


@router.get(
    "/metrics",
    operation_id="getMetrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Text exposition format."}},
)
async def metrics(services: ServicesDep) -> Response:
    """Request counts and latencies by route and status, lines analysed, 429s by tier."""
    return Response(services.metrics.render(), media_type=services.metrics.content_type)
