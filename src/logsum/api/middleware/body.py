"""Request bodies: read whole, within limits, before the app sees them."""

from __future__ import annotations

from collections import Counter

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from logsum.api.errors import ErrorCode
from logsum.api.middleware.inflate import BodyTooLarge, decode_for_app
from logsum.api.middleware.respond import header, send_error

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""Methods whose body is read here (others are passed on untouched)."""


class ClientGone(Exception):
    """The client disconnected before sending its whole body: there is nobody to answer."""


class BodyLimits:
    """Reads the body of a ``POST``/``PUT``/``PATCH``/``DELETE`` request before the app runs,
    and hands the app a receive that replays it. It answers, without calling the app:

    - 429 ``rate_limited`` (``Retry-After: 1``) when the client's address is already sending
      ``max_uploads_per_client`` bodies;
    - 413 ``payload_too_large`` for a body over ``max_body_bytes``, from ``Content-Length``
      when announced and otherwise while reading (it stops at the limit: memory stays bounded);
    - 408 ``invalid_request`` when the body has not arrived within ``body_timeout_seconds``;
    - 400 ``invalid_request`` for a ``Content-Length`` that is not a size.

    A body sent with ``Content-Encoding: gzip`` or ``deflate`` (as log shippers send them) is
    inflated, within the same limit, when the app reads it (:func:`.inflate.decode_for_app`).
    A client that disconnects mid-body raises :class:`ClientGone`.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        body_timeout_seconds: float,
        max_uploads_per_client: int,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_seconds = body_timeout_seconds
        self.max_uploads_per_client = max_uploads_per_client
        self.uploading: Counter[str] = Counter()
        """Bodies being received, by client address (one event loop per process: no lock)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        try:
            receive = await self._receive_from(scope, receive)
        except BodyTooLarge:
            message = f"Request body exceeds the limit of {self.max_body_bytes} bytes"
            await send_error(scope, send, 413, ErrorCode.PAYLOAD_TOO_LARGE, message)
            return
        except _BodyTimeout:
            message = f"Request body not received within {self.body_timeout_seconds:g} seconds"
            await send_error(scope, send, 408, ErrorCode.INVALID_REQUEST, message)
            return
        except _BadContentLength:
            await send_error(
                scope, send, 400, ErrorCode.INVALID_REQUEST, "Invalid Content-Length header"
            )
            return
        except _TooManyUploads:
            message = (
                f"More than {self.max_uploads_per_client} request bodies in progress from this "
                "address; retry shortly"
            )
            await send_error(
                scope, send, 429, ErrorCode.RATE_LIMITED, message, {"retry-after": "1"}
            )
            return
        await self.app(scope, receive, send)

    async def _receive_from(self, scope: Scope, receive: Receive) -> Receive:
        """:meth:`_bounded_receive`, counted against the client's ``max_uploads_per_client``;
        :class:`_TooManyUploads` when it has that many already."""
        client = scope.get("client")
        address = str(client[0]) if client else ""
        if self.uploading[address] >= self.max_uploads_per_client:
            raise _TooManyUploads
        self.uploading[address] += 1
        try:
            return await self._bounded_receive(scope, receive)
        finally:
            self.uploading[address] -= 1
            if not self.uploading[address]:
                del self.uploading[address]

    async def _bounded_receive(self, scope: Scope, receive: Receive) -> Receive:
        """Read the whole body (at most ``max_body_bytes``) and return a receive that replays
        it. Raises :class:`BodyTooLarge` as soon as the limit is passed, and
        :class:`_BodyTimeout` when the body has not arrived within ``body_timeout_seconds``."""
        limit = self.max_body_bytes
        _check_content_length(scope, limit)
        try:
            with anyio.fail_after(self.body_timeout_seconds):
                body = await _read_body(receive, limit)
        except TimeoutError:
            raise _BodyTimeout from None
        replayed = False

        async def replay() -> Message:
            nonlocal replayed, body
            if not replayed:
                replayed = True
                # Decoded only once the app reads the body (after the key is checked, for the
                # analysis), and off the event loop: a small body can inflate to the limit.
                if body and header(scope, b"content-encoding"):
                    body = await anyio.to_thread.run_sync(decode_for_app, scope, body, limit)
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay


def _check_content_length(scope: Scope, limit: int) -> None:
    """:class:`_BadContentLength` or :class:`BodyTooLarge` for an announced size that is not
    one or is over ``limit``; nothing when no size is announced."""
    declared = header(scope, b"content-length")
    if declared is None:
        return
    try:
        size = int(declared)
    except ValueError:
        raise _BadContentLength from None
    if size < 0:
        raise _BadContentLength
    if size > limit:
        raise BodyTooLarge


async def _read_body(receive: Receive, limit: int) -> bytes:
    """Every chunk of the body joined; :class:`BodyTooLarge` once past ``limit`` bytes,
    :class:`ClientGone` when the client disconnects first."""
    chunks: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientGone
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class _BadContentLength(Exception):
    pass


class _TooManyUploads(Exception):
    pass


class _BodyTimeout(Exception):
    pass
