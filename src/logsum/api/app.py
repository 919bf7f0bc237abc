"""The FastAPI application factory. It wires given services into an app; it builds none."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.middleware import Middleware

from logsum import __version__
from logsum.api import otlp
from logsum.api.deps import Services
from logsum.api.errors import install_error_handlers
from logsum.api.middleware import (
    BodyLimits,
    HeadAsGet,
    InFlightCap,
    Observe,
    RateLimitHeaders,
    RequestId,
    UnexpectedErrors,
)
from logsum.api.openapi import build_openapi, operation_id
from logsum.api.routes import analyze, baseline, history, logs, ops, patterns, watch, web
from logsum.api.schemas import AnalyzeRequest, WatchCreate
from logsum.watch.feature import WatchFeature

DESCRIPTION = """\
Raw log lines in; patterns, anomalies and insights out.

Every `/v1` request needs `Authorization: Bearer <key>` (create keys with `logsum keys create`).
Every `/v1` response of an authenticated key carries `X-RateLimit-Limit`, `X-RateLimit-Remaining`
and `X-RateLimit-Reset` (Unix epoch seconds). Every response carries `X-Request-ID`.
Every error is `{"error": {"code": ..., "message": ...}}` with one of the codes
`invalid_request` (400), `unauthorized` (401), `not_found` (404), `method_not_allowed` (405),
`payload_too_large` (413), `rate_limited` (429), `internal_error` (500), `unavailable` (503).
`POST /v1/logs` (OpenTelemetry OTLP/HTTP) answers as OTLP clients expect: a `google.rpc.Status`
in the request's encoding (binary, or JSON with the envelope beside it), same statuses.
"""


def create_app(
    services: Services,
    *,
    on_shutdown: Callable[[], None] | None = None,
    watch_feature: WatchFeature | None = None,
) -> FastAPI:
    """The service's ASGI app over ``services``. ``on_shutdown`` runs when the app stops
    (the composition root passes the store's ``close``). ``watch_feature`` (``/v1/watch``)
    runs its watches between start-up and shutdown."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if watch_feature is not None:
            watch_feature.start()
        yield
        if watch_feature is not None:
            watch_feature.stop()
        if on_shutdown is not None:
            on_shutdown()

    app = FastAPI(
        title="LogSum",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        middleware=middlewares(services),
        generate_unique_id_function=operation_id,
        openapi_tags=[
            {"name": "analysis", "description": "Analyse batches of raw log lines."},
            {"name": "patterns", "description": "The caller's stored patterns."},
            {"name": "watch", "description": "Follow log files, deliver to signed webhooks."},
            {"name": "operations", "description": "Health, readiness, metrics (no key)."},
        ],
    )
    app.state.services = services
    install_error_handlers(app)
    app.include_router(analyze.router)
    app.include_router(logs.router)
    app.state.error_bodies = {logs.PATH: otlp.error_body}
    app.include_router(patterns.router)
    app.include_router(baseline.router)
    app.include_router(history.router)
    if watch_feature is not None:
        app.state.watch = watch_feature
        app.include_router(watch.router)
    app.include_router(ops.router)
    app.include_router(web.router)

    body_models: list[type[BaseModel]] = [AnalyzeRequest]
    if watch_feature is not None:
        body_models.append(WatchCreate)

    def openapi() -> dict[str, Any]:
        return build_openapi(app, body_models)

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def middlewares(services: Services) -> list[Middleware]:
    """The service's middlewares, outermost first (why in this order:
    :mod:`logsum.api.middleware`)."""
    settings = services.settings
    return [
        Middleware(RateLimitHeaders),
        Middleware(RequestId),
        Middleware(Observe, metrics=services.metrics),
        Middleware(InFlightCap, max_in_flight=settings.max_in_flight),
        Middleware(UnexpectedErrors),
        Middleware(
            BodyLimits,
            max_body_bytes=settings.max_body_bytes,
            body_timeout_seconds=settings.body_timeout_seconds,
            max_uploads_per_client=settings.max_uploads_per_client,
        ),
        Middleware(HeadAsGet),
    ]
