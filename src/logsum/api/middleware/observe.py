"""Metrics and the access log: what every request leaves behind."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from logsum.api.metrics import Metrics
from logsum.api.middleware.body import ClientGone

access_log = logging.getLogger("logsum.access")

CLIENT_CLOSED_REQUEST = 499
"""nginx's status for a client that left before sending its whole request: nobody is left to
answer, but the metrics and the access log still count the request."""


class Observe:
    """Records each HTTP request in the Prometheus metrics (method, route template, status,
    duration) and writes its access log line (:func:`log_request`). The status is the one the
    response started with; 500 when none started, :data:`CLIENT_CLOSED_REQUEST` when the client
    left while sending its body (:class:`~logsum.api.middleware.body.ClientGone`, which ends
    here)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        except ClientGone:
            status = CLIENT_CLOSED_REQUEST
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route_path = getattr(scope.get("route"), "path", None) or "<unmatched>"
        method = str(scope.get("method", ""))
        self.metrics.observe_request(method, route_path, status, seconds)
        if access_log.isEnabledFor(logging.INFO):
            state = scope.get("state", {})
            client = scope.get("client")
            log_request(
                state.get("request_id", ""),
                status,
                client[0] if client else None,
                method=method,
                path=scope.get("path", ""),
                route=route_path,
                duration_ms=round(seconds * 1000, 2),
                key_id=state.get("api_key_id"),
            )


def log_request(request_id: str, status: int, client: str | None, **fields: Any) -> None:
    """Write the access log line of one request: a JSON object with its ``time`` (UTC, ISO
    8601 with milliseconds), a ``level`` from the status (``error`` for 5xx, ``warning`` for
    4xx, else ``info``: read back by LogSum or another tool, a failed request is not info) and
    ``event`` ``request``. Written at ``info``, whatever its status."""
    if access_log.isEnabledFor(logging.INFO):
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        level = "error" if status >= 500 else "warning" if status >= 400 else "info"
        entry = {
            "time": now,
            "level": level,
            "event": "request",
            "request_id": request_id,
            "status": status,
        }
        access_log.info(orjson.dumps({**entry, **fields, "client": client}).decode())
