"""OpenAPI descriptions of the error responses shared by the routes."""

from __future__ import annotations

from typing import Any

from logsum.api.schemas import ErrorEnvelope

_RATE_HEADERS = {
    "X-RateLimit-Limit": {
        "description": "Requests allowed per window for the key's tier.",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Remaining": {
        "description": "Requests left in the current window.",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Reset": {
        "description": "When the current window ends, in Unix epoch seconds (UTC).",
        "schema": {"type": "integer"},
    },
    "X-Request-ID": {
        "description": "The request's id (an incoming sane X-Request-ID is kept).",
        "schema": {"type": "string"},
    },
}


def _err(description: str, **headers: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"model": ErrorEnvelope, "description": description}
    if headers:
        out["headers"] = headers
    return out


def v1_responses(*extra: int) -> dict[int | str, dict[str, Any]]:
    """The error responses every ``/v1`` route can give, plus the ``extra`` status codes."""
    table: dict[int, dict[str, Any]] = {
        400: _err("invalid_request: malformed JSON, wrong type, missing field, bad query value."),
        401: _err(
            "unauthorized: missing, unknown or revoked API key (counts against the client "
            "IP's LOGSUM_RATE_LIMIT_AUTH_FAILURES).",
            **{"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
        ),
        404: _err("not_found: no such pattern for this key, or unknown path."),
        413: _err(
            "payload_too_large: body over LOGSUM_MAX_BODY_BYTES or batch over "
            "LOGSUM_MAX_BATCH_LINES."
        ),
        429: _err(
            "rate_limited: the key used up its requests for this window (with the "
            "X-RateLimit-* headers), or its client IP already made LOGSUM_RATE_LIMIT_AUTH_FAILURES "
            "failed authentications (401) in this window: refused before the key is looked up, "
            "with Retry-After only; keys already verified are exempt.",
            **{"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
            **_RATE_HEADERS,
        ),
        500: _err("internal_error: an unexpected failure (details only in the server log)."),
        503: _err("unavailable: the store cannot be reached."),
    }
    wanted = {400, 401, 429, 500, 503, *extra}
    return {code: table[code] for code in sorted(wanted)}


SUCCESS_HEADERS = _RATE_HEADERS
"""Headers on every successful ``/v1`` response."""
