"""The service objects a request needs, and the typed dependencies that hand them to routes.

The composition root (:func:`logsum.app_factory.build_services`) builds one :class:`Services`
per process and the app factory puts it on ``app.state``; nothing here builds anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from logsum.api.errors import RateLimited, ServiceUnavailable, Unauthorized
from logsum.api.metrics import Metrics
from logsum.api.ratelimit import TierRateLimiter
from logsum.api.service import AnalysisService
from logsum.settings import Settings
from logsum.store import ApiKeyRecord, Store

log = logging.getLogger("logsum.api")


@dataclass(frozen=True, slots=True)
class Services:
    """Everything the routes use, built once per process by the composition root."""

    settings: Settings
    store: Store
    limiter: TierRateLimiter
    metrics: Metrics
    analysis: AnalysisService


def get_services(request: Request) -> Services:
    """The process's :class:`Services` (set on ``app.state.services`` by the app factory)."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from `logsum keys create`, sent as `Authorization: Bearer <key>`.",
)


def current_key(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKeyRecord:
    """Authenticate the caller and count the request against its tier's rate limit.

    Synchronous on purpose: FastAPI runs it in the thread pool, so the store lookup and a Redis
    round trip never block the event loop. Raises :class:`Unauthorized` (401) or
    :class:`RateLimited` (429); the rate-limit headers go on the response either way (the
    request-context middleware adds them from ``request.state.rate_limit``).
    """
    if credentials is None or not credentials.credentials:
        raise Unauthorized("Missing API key: send the header 'Authorization: Bearer <key>'")
    record = services.store.authenticate(credentials.credentials)
    if record is None:
        raise Unauthorized("Invalid or revoked API key")
    request.state.api_key_id = record.id
    try:
        decision = services.limiter.hit(record.id, str(record.tier))
    except Exception as exc:
        # Fail closed: without its counters the service can't enforce the contract's limits.
        log.warning("rate-limit storage unavailable: %s", exc)
        raise ServiceUnavailable(
            "The rate-limit storage is unavailable; retry later", headers={"Retry-After": "5"}
        ) from None
    request.state.rate_limit = decision
    if not decision.allowed:
        services.metrics.rate_limited.labels(str(record.tier)).inc()
        raise RateLimited(
            f"Rate limit of {decision.limit} requests per "
            f"{services.settings.rate_limit_window_seconds} seconds exceeded for this key; "
            f"retry in {decision.retry_after} seconds",
            headers=decision.headers(),
        )
    return record


CurrentKey = Annotated[ApiKeyRecord, Depends(current_key)]
"""The authenticated, rate-limited caller. Its ``id`` is the tenant id."""
