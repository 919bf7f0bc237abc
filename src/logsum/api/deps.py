"""The service objects a request needs, and the typed dependencies that hand them to routes.

The composition root (:func:`logsum.app_factory.build_services`) builds one :class:`Services`
per process and the app factory puts it on ``app.state``; nothing here builds anything.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from logsum.api.errors import RateLimited, ServiceUnavailable, Unauthorized
from logsum.api.metrics import Metrics
from logsum.api.ratelimit import TierRateLimiter, client_bucket
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


async def get_services(request: Request) -> Services:
    """The process's :class:`Services` (set on ``app.state.services`` by the app factory).
    A coroutine only so that FastAPI calls it in the event loop: it does no I/O, and a plain
    function would cost a round trip through the thread pool on every request."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from `logsum keys create`, sent as `Authorization: Bearer <key>`.",
)


UNAUTHENTICATED = "unauthenticated"
"""The ``tier`` label of ``logsum_rate_limited_total`` for refusals by the per-client limit on
failed authentications (no key, so no tier)."""


def current_key(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKeyRecord:
    """Authenticate the caller and count the request against its tier's rate limit.

    In this order: a client (IP) over its limit of failed authentications
    (``LOGSUM_RATE_LIMIT_AUTH_FAILURES``) is refused with 429 before its key is looked up, so
    that bad keys cost no store lookups beyond the limit, unless the key is one already verified
    (see :class:`~logsum.api.ratelimit.AuthFailureLimiter`); then the key is authenticated, and a
    failure counts against the client and answers 401; then the request counts against the
    key's tier. Valid requests never count against the client.

    Synchronous on purpose: FastAPI runs it in the thread pool, so the store lookup and the
    Redis round trips never block the event loop. Raises :class:`Unauthorized` (401),
    :class:`RateLimited` (429) or :class:`ServiceUnavailable` (503, the counters can't be
    reached); the rate-limit headers of the key go on the response either way (the
    :class:`~logsum.api.middleware.RateLimitHeaders` adds them from ``request.state.rate_limit``).
    """
    presented = credentials.credentials if credentials is not None else ""
    client = client_bucket(request.client.host if request.client else None)
    failures = services.limiter.auth_failures
    with _counters():
        refusal = failures.refusal(client, presented)
    if refusal is not None:
        services.metrics.rate_limited.labels(UNAUTHENTICATED).inc()
        raise RateLimited(
            f"Too many failed authentications from this client (limit {refusal.limit} per "
            f"{services.settings.rate_limit_window_seconds} seconds); retry in "
            f"{refusal.retry_after} seconds",
            headers={"Retry-After": str(refusal.retry_after)},
        )
    record = services.store.authenticate(presented) if presented else None
    if record is None:
        with _counters():
            failures.failed(client, presented)
        if not presented:
            raise Unauthorized("Missing API key: send the header 'Authorization: Bearer <key>'")
        raise Unauthorized("Invalid or revoked API key")
    request.state.api_key_id = record.id
    with _counters():
        failures.succeeded(presented)
        decision = services.limiter.hit(record.id, str(record.tier))
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


@contextmanager
def _counters() -> Iterator[None]:
    """Fail closed when the rate-limit storage (Redis) fails: without its counters the service
    can enforce neither the contract's limits nor the limit on failed authentications, so it
    answers 503 rather than serving (or looking keys up) unlimited."""
    try:
        yield
    except Exception as exc:
        log.warning("rate-limit storage unavailable: %s", exc)
        raise ServiceUnavailable(
            "The rate-limit storage is unavailable; retry later", headers={"Retry-After": "5"}
        ) from None


CurrentKey = Annotated[ApiKeyRecord, Depends(current_key)]
"""The authenticated, rate-limited caller. Its ``id`` is the tenant id."""
