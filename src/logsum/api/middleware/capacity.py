"""The process-wide cap on requests in progress."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from logsum.api.errors import ErrorCode
from logsum.api.middleware.respond import send_error

UNCAPPED = frozenset({"/healthz", "/readyz", "/metrics"})
"""Paths always served: a probe or a scrape must see a busy process as busy, not as down."""


class InFlightCap:
    """Answers 503 ``unavailable`` (``Retry-After: 1``) at once when the process already
    handles ``max_in_flight`` HTTP requests (paths in :data:`UNCAPPED` exempt and uncounted)."""

    def __init__(self, app: ASGIApp, *, max_in_flight: int) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        """Requests in progress (one event loop per process: no lock needed)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in UNCAPPED:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            await send_error(
                scope,
                send,
                503,
                ErrorCode.UNAVAILABLE,
                "Too many requests in progress; retry shortly",
                {"retry-after": "1"},
            )
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
