"""The HTTP protocol the service runs: uvicorn's (httptools), with its one hard-coded answer
replaced.

A request so malformed that the HTTP parser gives up on it (an unknown method, a control
character in a header, a bad ``Content-Length`` or chunk framing...) never reaches the app:
uvicorn answers it with a plain-text 400 of its own. Here that answer is the API's error
envelope, with a request id that the access log line for it carries too, like every other
error (the connection is still closed: after a parse error the stream can't be trusted).
"""

from __future__ import annotations

import uuid

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from logsum.api.errors import ErrorCode, error_body
from logsum.api.middleware.observe import log_request


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
