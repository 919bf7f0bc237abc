"""Middlewares that only touch the request line or the response headers."""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from logsum.api.middleware.respond import header

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
"""An incoming ``X-Request-ID`` kept as it is (anything else is replaced: it goes into logs)."""


class RequestId:
    """Gives each HTTP request an id, in ``scope["state"]["request_id"]``: the incoming
    ``X-Request-ID`` when it is sane, else a new one; and sends it back in ``X-Request-ID`` on
    every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        value = request_id.encode("latin-1")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (b"x-request-id", value)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)


class RateLimitHeaders:
    """Adds the ``X-RateLimit-*`` headers of the decision the rate-limit dependency left in
    ``scope["state"]["rate_limit"]`` (when it ran) to the response, unless the response
    already has them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_limits(message: Message) -> None:
            decision = scope.get("state", {}).get("rate_limit")
            if decision is not None and message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                names = {k.lower() for k, _ in headers}
                for name, value in decision.headers().items():
                    if name.lower().encode("latin-1") not in names:
                        headers.append((name.lower().encode("latin-1"), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_limits)


class HeadAsGet:
    """``HEAD`` is ``GET`` without the body: the app answers a ``GET`` and the server leaves
    the body out (its own scope still says ``HEAD``, and so do the access log and metrics).
    The route the router notes in the rewritten scope is copied back for them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        routed = {**scope, "method": "GET"}
        try:
            await self.app(routed, receive, send)
        finally:
            scope["route"] = routed.get("route")
