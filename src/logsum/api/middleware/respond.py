"""What the middlewares share: reading a request header from the ASGI scope, and sending the
API's error envelope without FastAPI (they sit outside it)."""

from __future__ import annotations

from starlette.types import Scope, Send

from logsum.api.errors import ErrorCode, error_body


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of the request header ``name`` (lower-case bytes), or ``None``."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def send_error(
    send: Send, status: int, code: ErrorCode, message: str, headers: dict[str, str] | None = None
) -> None:
    """Send a whole error response: the JSON envelope with ``code`` and ``message``. A 408 or
    413 also closes the connection (the rest of the body is not read)."""
    body = error_body(code, message)
    extra = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *([(b"connection", b"close")] if status in (408, 413) else []),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
