"""The bodies ``POST /v1/analyze`` accepts, by ``Content-Type``, turned into one batch of lines.

============================  ===============================================================
``application/json`` (and     the contract's object ``{"logs": [...], "options": {...}}``; or
any other or no type, as      an array of log records (objects) and raw lines (strings), as
before this module)           Vector's ``json`` codec and Fluent Bit's ``Format json`` send
``application/x-ndjson``      one log record (object) or raw line (string) per line: Vector
(and the other names in       with ``framing.method = "newline_delimited"``, Fluent Bit's
:data:`NDJSON_TYPES`)         ``json_lines``, a syslog-ng ``http()`` body template
``text/plain``                raw lines, split as ``logsum parse`` splits a file
============================  ===============================================================

Each record becomes one line for the engine, **its JSON text**: the engine reads JSON-object
lines (:mod:`logsum.core.structured`) with the fields of the common loggers and shippers, so a
record sent here and the same record sent as a string in ``logs`` give the same pattern, time
and level. A shipper's wrapper (Fluent Bit's ``log``, a Vector event's ``message``) is read
there too: the raw line's own header first, the wrapper's fields for what it lacks.

The options of the contract's object come from its ``options`` field; for the other bodies,
from query parameters of the same names and rules (:func:`query_options`). Limits and errors
are the JSON body's: an empty body, invalid JSON (naming the NDJSON line), an array item or
NDJSON line that is neither an object nor a string, or a bad option is a 400; more than
``max_batch_lines`` records a 413.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson
from pydantic import ValidationError

from logsum.api.errors import InvalidRequest, PayloadTooLarge, validation_message
from logsum.api.schemas import AnalyzeOptions, AnalyzeRequest

NDJSON_TYPES = frozenset(
    {
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/x-jsonl",
        "application/jsonlines",
        "application/x-jsonlines",
        "application/json-lines",
    }
)
"""Media types read as newline-delimited JSON (the names the ndjson and JSON Lines specs and the
shippers use)."""

TEXT_TYPES = frozenset({"text/plain"})
"""Media types read as raw lines."""


class BodyFormat(StrEnum):
    """How a body of ``POST /v1/analyze`` is read."""

    JSON = "json"
    NDJSON = "ndjson"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class Batch:
    """The lines of one analysis and its options."""

    lines: list[str]
    options: AnalyzeOptions


def media_type(content_type: str | None) -> tuple[str, str | None]:
    """``(type, charset)`` of a ``Content-Type`` header, lower-cased (``("", None)`` when
    absent)."""
    if not content_type:
        return "", None
    kind, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower() or None
    return kind.strip().lower(), charset


def body_format(content_type: str | None) -> BodyFormat:
    """How a body sent with this ``Content-Type`` is read. Types other than the NDJSON and
    text ones are read as JSON, as every body was before they were accepted (``curl -d``
    sends ``application/x-www-form-urlencoded``)."""
    kind, _ = media_type(content_type)
    if kind in NDJSON_TYPES:
        return BodyFormat.NDJSON
    if kind in TEXT_TYPES:
        return BodyFormat.TEXT
    return BodyFormat.JSON


def parse_batch(
    raw: bytes,
    content_type: str | None,
    query: Sequence[tuple[str, str]] = (),
    *,
    max_batch_lines: int,
) -> Batch:
    """The batch a body of ``POST /v1/analyze`` carries (see the module docstring).

    Raises :class:`InvalidRequest` (400: empty body, malformed JSON, a record of another type,
    a bad or misplaced option) or :class:`PayloadTooLarge` (413: more than ``max_batch_lines``
    records or lines).
    """
    fmt = body_format(content_type)
    if fmt is BodyFormat.TEXT and _is_contract_object(raw):
        # Node's fetch() and other clients label a JSON string body text/plain: such a body
        # was analysed as JSON before text was accepted, and still is.
        fmt = BodyFormat.JSON
    if fmt is BodyFormat.JSON:
        return _json_batch(raw, query, max_batch_lines)
    if not raw.strip():
        raise InvalidRequest(
            "Empty request body: expected log records, one JSON object per line"
            if fmt is BodyFormat.NDJSON
            else "Empty request body: expected log lines"
        )
    options = query_options(query)
    if fmt is BodyFormat.NDJSON:
        return Batch(_ndjson_lines(raw, max_batch_lines), options)
    return Batch(_text_lines(raw, media_type(content_type)[1], max_batch_lines), options)


def parse_analyze_request(raw: bytes, *, max_batch_lines: int) -> AnalyzeRequest:
    """Decode and validate the contract's JSON object body of ``POST /v1/analyze``.

    Raises :class:`InvalidRequest` (malformed JSON, wrong types, missing ``logs``; the message
    names the field) or :class:`PayloadTooLarge` (more than ``max_batch_lines`` lines; checked
    before the lines are validated one by one).
    """
    if not raw.strip():
        raise InvalidRequest("Missing request body: expected a JSON object with a 'logs' array")
    data = _loads(raw)
    return _contract_request(data, max_batch_lines)


def _loads(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"Malformed JSON body: {exc}") from None


def _contract_request(data: Any, max_batch_lines: int) -> AnalyzeRequest:
    if isinstance(data, dict):
        logs = data.get("logs")
        if isinstance(logs, list) and len(logs) > max_batch_lines:
            raise _too_many(len(logs), max_batch_lines)
    try:
        return AnalyzeRequest.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest(validation_message(exc.errors())) from None


def _json_batch(raw: bytes, query: Sequence[tuple[str, str]], max_batch_lines: int) -> Batch:
    if not raw.strip():
        raise InvalidRequest("Missing request body: expected a JSON object with a 'logs' array")
    data = _loads(raw)
    if isinstance(data, list):
        if not data:
            raise InvalidRequest(
                "Invalid request body: an empty array holds no log records; send a JSON "
                "object with a 'logs' array, or an array of log records"
            )
        if len(data) > max_batch_lines:
            raise _too_many(len(data), max_batch_lines)
        options = query_options(query)
        return Batch(
            [_record_line(item, f"Array item {i}") for i, item in enumerate(data)], options
        )
    request = _contract_request(data, max_batch_lines)
    misplaced = sorted({name for name, _ in query if name in AnalyzeOptions.model_fields})
    if misplaced:
        raise InvalidRequest(
            f"Query parameter {misplaced[0]} is for NDJSON, text and JSON-array bodies; "
            f"a JSON object body carries its options in its 'options' field"
        )
    return Batch(request.logs, request.options)


def _ndjson_lines(raw: bytes, max_batch_lines: int) -> list[str]:
    rows = raw.split(b"\n")
    count = sum(1 for row in rows if row.strip())
    if count > max_batch_lines:
        raise _too_many(count, max_batch_lines)
    lines: list[str] = []
    for number, row in enumerate(rows, start=1):
        if not row.strip():
            continue
        try:
            item = orjson.loads(row)
        except orjson.JSONDecodeError as exc:
            raise InvalidRequest(f"Malformed JSON on line {number} of the body: {exc}") from None
        if isinstance(item, dict):
            # The line as sent: orjson has just checked it is a JSON object in UTF-8.
            lines.append(row.strip().decode())
        else:
            lines.append(_record_line(item, f"Line {number} of the body"))
    return lines


def _record_line(item: Any, where: str) -> str:
    """The engine's line for one record: an object's JSON text, a string as it is."""
    if isinstance(item, dict):
        return orjson.dumps(item).decode()
    if isinstance(item, str):
        return item
    kind = "null" if item is None else _JSON_KINDS.get(type(item), "value")
    raise InvalidRequest(
        f"{where} is a JSON {kind}; expected a log record (an object) or a raw line (a string)"
    )


_JSON_KINDS = {bool: "boolean", int: "number", float: "number", list: "array"}


def _text_lines(raw: bytes, charset: str | None, max_batch_lines: int) -> list[str]:
    """Split on ``\\n`` only, one trailing ``\\r`` removed, a final line break starting no
    extra line; invalid bytes become U+FFFD (as ``logsum parse`` reads a file)."""
    encoding = charset or "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InvalidRequest(f"Unknown charset {encoding[:40]!r} in Content-Type") from None
    text = raw.decode(encoding, "replace")
    if text.endswith("\n"):
        text = text[:-1]
    lines = text.split("\n")
    if len(lines) > max_batch_lines:
        raise _too_many(len(lines), max_batch_lines)
    if "\r" in text:
        lines = [s[:-1] if s.endswith("\r") else s for s in lines]
    return lines


def _is_contract_object(raw: bytes) -> bool:
    """Whether ``raw`` is a JSON object with a ``logs`` field (the contract's body)."""
    head = raw.lstrip()[:1]
    if head != b"{":
        return False
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    return isinstance(data, dict) and "logs" in data


def _too_many(count: int, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"Batch of {count} lines exceeds the limit of {limit} lines")


_FLAGS = frozenset(n for n, f in AnalyzeOptions.model_fields.items() if f.annotation is bool)
_INTEGERS = frozenset(
    n for n, f in AnalyzeOptions.model_fields.items() if f.annotation == int | None
)


def query_options(query: Sequence[tuple[str, str]]) -> AnalyzeOptions:
    """The options given as query parameters (``?timezone=Europe/Berlin&find_anomalies=false``):
    the names and rules of the JSON body's ``options``, booleans written ``true`` or
    ``false``, numbers in decimal digits. An unknown or repeated name, or a bad value, is an
    :class:`InvalidRequest` naming it."""
    values: dict[str, Any] = {}
    for name, value in query:
        if name not in AnalyzeOptions.model_fields:
            known = ", ".join(AnalyzeOptions.model_fields)
            raise InvalidRequest(f"Unknown query parameter {name[:64]!r}; options: {known}")
        if name in values:
            raise InvalidRequest(f"Query parameter {name} is given more than once")
        if name in _FLAGS:
            if value not in ("true", "false"):
                raise InvalidRequest(f"Invalid value for {name}: expected true or false")
            values[name] = value == "true"
        elif name in _INTEGERS:
            if not (value.isascii() and value.isdigit()) or len(value) > 18:
                raise InvalidRequest(f"Invalid value for {name}: expected an integer")
            values[name] = int(value)
        else:
            values[name] = value
    try:
        return AnalyzeOptions.model_validate(values)
    except ValidationError as exc:
        raise InvalidRequest(validation_message(exc.errors())) from None


def query_parameters() -> list[dict[str, Any]]:
    """The OpenAPI description of the option query parameters (from :class:`AnalyzeOptions`)."""
    params = []
    for name, f in AnalyzeOptions.model_fields.items():
        schema: dict[str, Any] = {"type": "string"}
        if name in _FLAGS:
            schema = {"type": "boolean"}
        elif name in _INTEGERS:
            schema = {"type": "integer"}
        for bound in f.metadata:
            for attr, key in (("ge", "minimum"), ("le", "maximum")):
                if getattr(bound, attr, None) is not None:
                    schema[key] = getattr(bound, attr)
            for attr, key in (("min_length", "minLength"), ("max_length", "maxLength")):
                if getattr(bound, attr, None) is not None:
                    schema[key] = getattr(bound, attr)
        params.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": schema,
                "description": f"{f.description} Only with an NDJSON, text or JSON-array body "
                "(a JSON object body carries it in 'options'; here it is a 400).",
            }
        )
    return params
