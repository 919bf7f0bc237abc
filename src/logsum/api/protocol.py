"""The HTTP protocol the service runs: uvicorn's (httptools), with its one hard-coded answer
replaced.

A request so malformed that the HTTP parser gives up on it (an unknown method, a control
character in a header, a bad ``Content-Length`` or chunk framing...) never reaches the app:
uvicorn answers it with a plain-text 400 of its own. Here that answer is the API's error
envelope, with a request id that the access log line for it carries too, like every other
error (the connection is still closed: after a parse error the stream can't be trusted).

Why a subclass of an internal class: uvicorn (checked in :data:`VERIFIED_UVICORN`) has no
public seam for that answer. Its public part here is ``uvicorn.run(http=<protocol class>)``;
the 400 is written by ``HttpToolsProtocol.send_400_response``, an undocumented method that
``data_received`` calls on ``httptools.HttpParserError``. So the override is this module alone,
and ``tests/api/test_protocol.py`` pins it: it fails when the installed uvicorn is not
:data:`VERIFIED_UVICORN` (re-read ``uvicorn/protocols/http/httptools_impl.py``, then update the
constant), checks that the hook still exists and is still called, and runs the protocol on a
fake transport. Without the subclass the service still works; only that 400 is plain text.

The same class gives request headers a deadline (``LOGSUM_HEADER_TIMEOUT_SECONDS``): uvicorn
times out idle kept-alive connections, but not a request whose headers stop arriving, so a
client could hold a connection (and its file descriptor) open for ever with half a request.
The deadline is armed when a connection opens and when a request's first byte arrives, and
disarmed when its headers are complete; when it fires the client gets a 408 envelope and the
connection is closed.
"""

from __future__ import annotations

import asyncio
import os
import uuid

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from logsum.api.errors import ErrorCode, error_body
from logsum.api.middleware.observe import log_request

VERIFIED_UVICORN = "0.54.0"
"""The uvicorn version whose ``HttpToolsProtocol`` this override was checked against (the one
``pyproject.toml`` pins)."""


DEFAULT_HEADER_TIMEOUT_S = 10.0
"""Default of ``LOGSUM_HEADER_TIMEOUT_SECONDS`` (validated with the other settings when
``logsum serve`` starts; worker processes read the variable here)."""


def _header_timeout() -> float:
    try:
        value = float(os.environ.get("LOGSUM_HEADER_TIMEOUT_SECONDS", DEFAULT_HEADER_TIMEOUT_S))
    except ValueError:
        return DEFAULT_HEADER_TIMEOUT_S
    return value if value > 0 else DEFAULT_HEADER_TIMEOUT_S


class EnvelopeHttpToolsProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` whose parse-error 400 is the JSON error envelope, and whose
    request headers must arrive within ``header_timeout`` seconds."""

    header_timeout: float = _header_timeout()
    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_deadline()

    def on_headers_complete(self) -> None:
        self._disarm_header_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self._send_envelope(
                b"408 Request Timeout",
                "Request headers did not arrive in time; the connection is closed",
                "request headers timed out",
                408,
            )

    def send_400_response(self, msg: str) -> None:
        del msg  # uvicorn's "Invalid HTTP request received."
        self._send_envelope(
            b"400 Bad Request",
            "Malformed HTTP request; the connection is closed",
            "malformed HTTP request",
            400,
        )

    def _send_envelope(self, status_line: bytes, message: str, log_error: str, code: int) -> None:
        """Answer with the error envelope (``invalid_request``) and close the connection."""
        request_id = uuid.uuid4().hex
        client = self.client[0] if self.client else None
        log_request(request_id, code, client, error=log_error)
        body = error_body(ErrorCode.INVALID_REQUEST, message)
        head = [b"HTTP/1.1 " + status_line + b"\r\n"]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head.append(
            b"content-type: application/json\r\n"
            b"x-request-id: " + request_id.encode("ascii") + b"\r\n"
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n"
            b"connection: close\r\n\r\n"
        )
        self.transport.write(b"".join(head) + body)
        self.transport.close()
