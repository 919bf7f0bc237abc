"""The outermost layer of the service (pure ASGI, so it sees every response, errors included).

Per HTTP request it:

- answers ``HEAD`` as ``GET`` without the body;
- gives the request an id (a sane incoming ``X-Request-ID`` is kept, else a new one) and sends
  it back in ``X-Request-ID`` on every response;
- answers 503 at once when the process already handles ``LOGSUM_MAX_IN_FLIGHT`` requests
  (health, readiness and metrics exempt), and 429 when the client's address is already
  sending ``LOGSUM_MAX_UPLOADS_PER_CLIENT`` bodies;
- refuses a body over ``LOGSUM_MAX_BODY_BYTES`` with 413, from ``Content-Length`` when
  announced and otherwise while reading (it stops reading at the limit, so memory stays bounded),
  and a body not received within ``LOGSUM_BODY_TIMEOUT_SECONDS`` with 408;
- inflates a body sent with ``Content-Encoding: gzip`` or ``deflate`` (as log shippers send
  them), within the same limit on the inflated size;
- adds the ``X-RateLimit-*`` headers the rate-limit dependency left in the request state;
- turns an unexpected exception into 500 ``internal_error`` (logged with its traceback, never
  sent to the client);
- records Prometheus metrics and writes one structured (JSON) access log line.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
import zlib
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import anyio
import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from logsum.api.errors import ErrorCode, error_body
from logsum.api.metrics import Metrics

access_log = logging.getLogger("logsum.access")
error_log = logging.getLogger("logsum.api")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_UNCAPPED = frozenset({"/healthz", "/readyz", "/metrics"})


class _BodyTooLarge(Exception):
    pass


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    """See the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        body_timeout_seconds: float,
        max_in_flight: int,
        max_uploads_per_client: int,
        metrics: Metrics,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_seconds = body_timeout_seconds
        self.max_in_flight = max_in_flight
        self.max_uploads_per_client = max_uploads_per_client
        self.metrics = metrics
        # One event loop per process: no lock needed for these.
        self.in_flight = 0
        self.uploading: Counter[str] = Counter()
        """Bodies being received, by client address."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                decision = state.get("rate_limit")
                if decision is not None:
                    names = {k.lower() for k, _ in headers}
                    for name, value in decision.headers().items():
                        if name.lower().encode("latin-1") not in names:
                            headers.append((name.lower().encode("latin-1"), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        capped = scope.get("path") not in _UNCAPPED
        if capped and self.in_flight >= self.max_in_flight:
            await _send_error(
                send_wrapper,
                503,
                ErrorCode.UNAVAILABLE,
                "Too many requests in progress; retry shortly",
                {"retry-after": "1"},
            )
            self._record(scope, state, request_id, status, time.perf_counter() - started)
            return
        if capped:
            self.in_flight += 1
        # HEAD is GET without the body: the app answers a GET, and the server leaves the body
        # out (its own scope still says HEAD). The router notes the route in the scope it gets.
        routed = {**scope, "method": "GET"} if scope["method"] == "HEAD" else scope
        try:
            if scope["method"] in _BODY_METHODS:
                receive = await self._receive_from(scope, receive)
            await self.app(routed, receive, send_wrapper)
        except _ClientGone:
            status = 499  # nginx's "client closed request": nobody is left to answer
        except _BodyTooLarge:
            await _send_error(
                send_wrapper,
                413,
                ErrorCode.PAYLOAD_TOO_LARGE,
                f"Request body exceeds the limit of {self.max_body_bytes} bytes",
            )
        except _BodyTimeout:
            await _send_error(
                send_wrapper,
                408,
                ErrorCode.INVALID_REQUEST,
                f"Request body not received within {self.body_timeout_seconds:g} seconds",
            )
        except _BadContentLength:
            await _send_error(
                send_wrapper, 400, ErrorCode.INVALID_REQUEST, "Invalid Content-Length header"
            )
        except _TooManyUploads:
            await _send_error(
                send_wrapper,
                429,
                ErrorCode.RATE_LIMITED,
                f"More than {self.max_uploads_per_client} request bodies in progress from this "
                "address; retry shortly",
                {"retry-after": "1"},
            )
        except Exception:
            error_log.exception("unhandled error (request_id=%s)", request_id)
            if not response_started:
                await _send_error(
                    send_wrapper, 500, ErrorCode.INTERNAL_ERROR, "Internal server error"
                )
        finally:
            if capped:
                self.in_flight -= 1
            scope["route"] = routed.get("route")
            self._record(scope, state, request_id, status, time.perf_counter() - started)

    async def _receive_from(self, scope: Scope, receive: Receive) -> Receive:
        """:meth:`_bounded_receive`, counted against the client's
        ``max_uploads_per_client``; :class:`_TooManyUploads` when it has that many already."""
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
        it. Raises :class:`_BodyTooLarge` as soon as the limit is passed, and
        :class:`_BodyTimeout` when the body has not arrived within ``body_timeout_seconds``."""
        limit = self.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                raise _BadContentLength from None
            if size < 0:
                raise _BadContentLength
            if size > limit:
                raise _BodyTooLarge
        chunks: list[bytes] = []
        total = 0
        try:
            with anyio.fail_after(self.body_timeout_seconds):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        raise _ClientGone  # disconnected before sending its whole body
                    chunk = message.get("body", b"")
                    total += len(chunk)
                    if total > limit:
                        raise _BodyTooLarge
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            raise _BodyTimeout from None
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed, body
            if not replayed:
                replayed = True
                # Decoded only once the app reads the body (after the key is checked, for the
                # analysis), and off the event loop: a small body can inflate to the limit.
                if body and _header(scope, b"content-encoding"):
                    body = await anyio.to_thread.run_sync(_decode_for_app, scope, body, limit)
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    def _record(
        self, scope: Scope, state: dict[str, Any], request_id: str, status: int, seconds: float
    ) -> None:
        route = scope.get("route")
        route_path = getattr(route, "path", None) or "<unmatched>"
        method = str(scope.get("method", ""))
        self.metrics.observe_request(method, route_path, status, seconds)
        if access_log.isEnabledFor(logging.INFO):
            client = scope.get("client")
            log_request(
                request_id,
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
    8601 with milliseconds) and ``event`` ``request``."""
    if access_log.isEnabledFor(logging.INFO):
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        entry = {"time": now, "event": "request", "request_id": request_id, "status": status}
        access_log.info(orjson.dumps({**entry, **fields, "client": client}).decode())


class _BadContentLength(Exception):
    pass


class _BadEncoding(Exception):
    pass


class _TooManyUploads(Exception):
    pass


_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
"""zlib's ``wbits`` for each request ``Content-Encoding`` the service inflates."""


def _decode_for_app(scope: Scope, body: bytes, limit: int) -> bytes:
    """``body`` decoded as its ``Content-Encoding`` says, with refusals as HTTP errors (the app
    reads the body, and FastAPI passes only those on as they are): 413 once inflated past
    ``limit``, 400 for bad data or an encoding the service does not inflate."""
    header = _header(scope, b"content-encoding") or ""
    codings = [c.strip().lower() for c in header.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return body
    wbits = _WBITS.get(codings[0]) if len(codings) == 1 else None
    if wbits is None:
        raise HTTPException(
            400,
            f"Content-Encoding {header[:40]!r} is not supported; send gzip, deflate or an "
            "unencoded body",
        )
    try:
        return _inflate(body, wbits, limit)
    except _BodyTooLarge:
        raise HTTPException(
            413, f"Request body exceeds the limit of {limit} bytes once inflated"
        ) from None
    except _BadEncoding as exc:
        raise HTTPException(400, str(exc)) from None


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    """``data`` decompressed, at most ``limit`` bytes of it: :class:`_BodyTooLarge` beyond
    (memory stays bounded whatever the ratio), :class:`_BadEncoding` when the data is not what
    the header says. gzip: one member or several, zero padding after them ignored (as Python's
    gzip module does); deflate: a zlib stream, or a raw one as some clients send."""
    try:
        return _inflate_stream(data, wbits, limit)
    except _BadEncoding as first:
        if wbits != zlib.MAX_WBITS:
            raise
        try:
            return _inflate_stream(data, -zlib.MAX_WBITS, limit)
        except _BadEncoding:
            raise first from None


MAX_GZIP_MEMBERS = 16
"""gzip members one body may hold (each one copies what follows it: a cap keeps the work
linear; writers use one, or one per flush)."""


def _inflate_stream(data: bytes, wbits: int, limit: int) -> bytes:
    out = bytearray()
    gzip = wbits > zlib.MAX_WBITS
    members = 0
    try:
        while data:
            members += 1
            if members > MAX_GZIP_MEMBERS:
                raise _BadEncoding(
                    f"The request body holds more than {MAX_GZIP_MEMBERS} gzip members"
                )
            inflater = zlib.decompressobj(wbits)
            out += inflater.decompress(data, limit + 1 - len(out))  # len(out) <= limit: >= 1
            if len(out) > limit or inflater.unconsumed_tail:
                raise _BodyTooLarge
            if not inflater.eof:
                raise _BadEncoding("The request body ends inside its compressed data")
            data = inflater.unused_data
            if gzip and data.count(0) == len(data):  # zero padding
                break
            if data and not gzip:
                raise _BadEncoding("The request body goes on after its compressed data")
    except zlib.error as exc:
        raise _BadEncoding(f"The request body is not valid compressed data ({exc})") from None
    return bytes(out)


class _ClientGone(Exception):
    pass


class _BodyTimeout(Exception):
    pass


async def _send_error(
    send: Send, status: int, code: ErrorCode, message: str, headers: dict[str, str] | None = None
) -> None:
    body = error_body(code, message)
    extra = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is not read: close the connection.
                *([(b"connection", b"close")] if status in (408, 413) else []),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
