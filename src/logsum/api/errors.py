"""The one place that maps errors to HTTP.

Every error response, the framework's own included, has the contract's envelope::

    {"error": {"code": "<code>", "message": "<human-readable sentence>"}}

The exception tree raised by the API layer::

    ApiError                    base: carries status, code, message and extra headers
     ├── InvalidRequest         400 invalid_request
     ├── Unauthorized           401 unauthorized (with WWW-Authenticate: Bearer)
     ├── NotFound               404 not_found
     ├── PayloadTooLarge        413 payload_too_large
     ├── RateLimited            429 rate_limited (with Retry-After)
     └── ServiceUnavailable     503 unavailable (the store cannot be reached)

Framework errors are translated here too: request validation (malformed JSON, wrong types,
missing fields) becomes 400 ``invalid_request`` (never 422), unknown paths 404, wrong methods 405
``method_not_allowed``, the core's :class:`~logsum.core.errors.InvalidOption` 400, the store's
``StoreUnavailable`` 503, and anything unexpected 500 ``internal_error`` with no internals.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from logsum.core.errors import InvalidOption
from logsum.store.errors import StoreUnavailable

log = logging.getLogger("logsum.api")


class ErrorCode(StrEnum):
    """The ``error.code`` values a client can branch on."""

    INVALID_REQUEST = "invalid_request"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    RATE_LIMITED = "rate_limited"
    INTERNAL_ERROR = "internal_error"
    UNAVAILABLE = "unavailable"


class ApiError(Exception):
    """An error with its HTTP status, envelope code, message and extra response headers."""

    status: int = 500
    code: ErrorCode = ErrorCode.INTERNAL_ERROR

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})


class InvalidRequest(ApiError):
    """The request is malformed or a value is out of range."""

    status = 400
    code = ErrorCode.INVALID_REQUEST


class Unauthorized(ApiError):
    """No API key, or a key that is unknown or revoked."""

    status = 401
    code = ErrorCode.UNAUTHORIZED

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="logsum"'})


class NotFound(ApiError):
    """No such resource (or not the caller's)."""

    status = 404
    code = ErrorCode.NOT_FOUND


class PayloadTooLarge(ApiError):
    """The body or the batch exceeds a documented limit."""

    status = 413
    code = ErrorCode.PAYLOAD_TOO_LARGE


class RateLimited(ApiError):
    """The key used up its requests for the current window."""

    status = 429
    code = ErrorCode.RATE_LIMITED


class ServiceUnavailable(ApiError):
    """A dependency (the store) cannot be reached; retrying later may succeed."""

    status = 503
    code = ErrorCode.UNAVAILABLE


def error_body(code: ErrorCode | str, message: str) -> bytes:
    """The JSON bytes of the error envelope."""
    return orjson.dumps({"error": {"code": str(code), "message": message}})


ErrorBody = Callable[[int, ErrorCode, str, str | None], tuple[bytes, str]]
"""Writes the error body of a route that speaks another protocol than the envelope's JSON:
``(status, code, message, the request's Content-Type) -> (body, media type)``. The app
factory registers them by path in ``app.state.error_bodies`` (``POST /v1/logs`` answers
OTLP clients in their own encoding)."""


def error_content(
    app: Any, path: str, content_type: str | None, status: int, code: ErrorCode, message: str
) -> tuple[bytes, str]:
    """The body and media type of an error answered at ``path`` of ``app``: the envelope's
    JSON, unless the app registered an :data:`ErrorBody` for that path."""
    bodies: Mapping[str, ErrorBody] = getattr(getattr(app, "state", None), "error_bodies", {})
    render = bodies.get(path)
    if render is None:
        return error_body(code, message), "application/json"
    return render(status, code, message, content_type)


def error_response(
    status: int,
    code: ErrorCode,
    message: str,
    headers: Mapping[str, str] | None = None,
    *,
    request: Request | None = None,
) -> Response:
    """A complete error response with the envelope (or the body the request's path has
    registered, see :func:`error_content`)."""
    body, media_type = error_body(code, message), "application/json"
    if request is not None:
        body, media_type = error_content(
            request.app,
            request.url.path,
            request.headers.get("content-type"),
            status,
            code,
            message,
        )
    return Response(
        content=body, status_code=status, media_type=media_type, headers=dict(headers or {})
    )


MAX_NAME_CHARS = 64
"""Characters of a field name a message repeats (a client's unknown key may be huge)."""


def _field_path(loc: Sequence[Any]) -> str:
    """``("body", "options", "bucket_seconds")`` -> ``options.bucket_seconds``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(p if len(p) <= MAX_NAME_CHARS else p[:MAX_NAME_CHARS] + "..." for p in parts)


def validation_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """One sentence naming the first offending field, e.g. ``Missing required field: logs``."""
    if not errors:
        return "Invalid request"
    err = errors[0]
    kind = str(err.get("type", ""))
    loc = err.get("loc", ())
    if kind == "json_invalid":
        detail = (err.get("ctx") or {}).get("error", "invalid JSON")
        return f"Malformed JSON body: {detail}"
    field = _field_path(loc)
    if kind == "missing":
        if field:
            return f"Missing required field: {field}"
        return "Missing request body"
    msg = str(err.get("msg", "invalid value"))
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    if not field:
        return f"Invalid request body: {msg}{more}"
    return f"Invalid value for {field}: {msg}{more}"


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)  # registered for ApiError only
    return error_response(exc.status, exc.code, exc.message, exc.headers, request=request)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(
        400, ErrorCode.INVALID_REQUEST, validation_message(exc.errors()), request=request
    )


_HTTP_CODES = {
    400: ErrorCode.INVALID_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    429: ErrorCode.RATE_LIMITED,
}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, ErrorCode.INTERNAL_ERROR)
    if exc.status_code == 404:
        message = f"No such resource: {request.url.path}"
    elif exc.status_code == 405:
        allowed = _allowed_methods(request) or (exc.headers or {}).get("Allow", "")
        headers = {**(exc.headers or {}), "Allow": allowed}
        message = f"Method {request.method} is not allowed here" + (
            f"; allowed: {allowed}" if allowed else ""
        )
        return error_response(405, ErrorCode.METHOD_NOT_ALLOWED, message, headers, request=request)
    elif exc.status_code >= 500:
        message = "Internal server error"
    else:
        message = str(exc.detail) if exc.detail else HTTPStatus(exc.status_code).phrase
    return error_response(exc.status_code, code, message, exc.headers, request=request)


def _allowed_methods(request: Request) -> str:
    """Every method the service accepts at this path, from its OpenAPI document (Starlette's
    own ``Allow`` names only the first route whose path matched, when a path has one route per
    method)."""
    table: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(
        request.app.state, "allowed_methods", None
    )
    if table is None:
        table = []
        for path, item in request.app.openapi().get("paths", {}).items():
            regex = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$")
            declared = {m.upper() for m in item if m.lower() in _HTTP_METHODS}
            if "GET" in declared:
                declared.add("HEAD")
            table.append((regex, frozenset(declared)))
        request.app.state.allowed_methods = table
    found: set[str] = set()
    for regex, accepted in table:
        if regex.match(request.url.path):
            found |= accepted
    return ", ".join(sorted(found))


_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


async def _invalid_option(request: Request, exc: Exception) -> Response:
    return error_response(400, ErrorCode.INVALID_REQUEST, str(exc), request=request)


async def _store_unavailable(request: Request, exc: Exception) -> Response:
    log.warning("store unavailable: %s", exc)
    return error_response(
        503,
        ErrorCode.UNAVAILABLE,
        "The store is unavailable; retry later",
        {"Retry-After": "5"},
        request=request,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register every translation above on ``app``. Unexpected exceptions are turned into 500
    by :class:`logsum.api.middleware.UnexpectedErrors`, which also logs them."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(InvalidOption, _invalid_option)
    app.add_exception_handler(StoreUnavailable, _store_unavailable)
