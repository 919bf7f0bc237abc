"""The last resort for exceptions nothing else handled."""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from logsum.api.errors import ErrorCode
from logsum.api.middleware.body import ClientGone
from logsum.api.middleware.respond import send_error

error_log = logging.getLogger("logsum.api")


class UnexpectedErrors:
    """Turns an unexpected exception into 500 ``internal_error``: logged with its traceback and
    the request id, never sent to the client (and nothing is sent when the response had already
    started). :class:`~logsum.api.middleware.body.ClientGone` is not an error: it passes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def send_tracked(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except ClientGone:
            raise
        except Exception:
            request_id = scope.get("state", {}).get("request_id")
            error_log.exception("unhandled error (request_id=%s)", request_id)
            if not response_started:
                await send_error(
                    scope, send, 500, ErrorCode.INTERNAL_ERROR, "Internal server error"
                )
