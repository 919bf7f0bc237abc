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
"""

from __future__ import annotations

import uuid

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from logsum.api.errors import ErrorCode, error_body
from logsum.api.middleware.observe import log_request

VERIFIED_UVICORN = "0.54.0"
"""The uvicorn version whose ``HttpToolsProtocol`` this override was checked against (the one
``pyproject.toml`` pins)."""


class EnvelopeHttpToolsProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` whose parse-error 400 is the JSON error envelope."""

    def send_400_response(self, msg: str) -> None:
        del msg  # uvicorn's "Invalid HTTP request received."
        request_id = uuid.uuid4().hex
        client = self.client[0] if self.client else None
        log_request(request_id, 400, client, error="malformed HTTP request")
        body = error_body(
            ErrorCode.INVALID_REQUEST, "Malformed HTTP request; the connection is closed"
        )
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
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
