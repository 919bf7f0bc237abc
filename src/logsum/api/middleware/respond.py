"""What the middlewares share: reading a request header from the ASGI scope, and sending the
API's error envelope without FastAPI (they sit outside it)."""

from __future__ import annotations

from starlette.types import Scope, Send

from logsum.api.errors import ErrorCode, error_content


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of the request header ``name`` (lower-case bytes), or ``None``."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def send_error(
    scope: Scope,
    send: Send,
    status: int,
    code: ErrorCode,
    message: str,
    headers: dict[str, str] | None = None,
) -> None:
    """Send a whole error response: the JSON envelope with ``code`` and ``message`` (or the body
    the request's path registered: :func:`~logsum.api.errors.error_content`). A 408 or 413 also
    closes the connection (the rest of the body is not read)."""
    body, media_type = error_content(
        scope.get("app"),
        str(scope.get("path", "")),
        header(scope, b"content-type"),
        status,
        code,
        message,
    )
    extra = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media_type.encode("latin-1")),
                (b"content-length", str(len(body)).encode()),
                *([(b"connection", b"close")] if status in (408, 413) else []),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
