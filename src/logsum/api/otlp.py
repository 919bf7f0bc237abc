"""OTLP/HTTP logs: the bodies of ``POST /v1/logs`` read into the engine's lines, and the
answers OTLP clients expect (the OpenTelemetry protocol specification, "OTLP/HTTP").

Decoding uses the official protobuf definitions (the ``opentelemetry-proto`` package) for both
encodings: ``application/x-protobuf`` (binary) and ``application/json`` (protobuf's JSON
mapping, which reads the lowerCamelCase keys, integer enums and 64-bit integers as strings of
the OTLP/JSON encoding, and ignores unknown fields as the specification requires).

Each ``LogRecord`` becomes one line for the engine, the line an application would have written
(so the engine's fast paths apply as for ``POST /v1/analyze``):

- a string body with ``time_unix_nano`` or a severity: ``<time> <LEVEL> <body>
  service.name=<name>``: the time is ``time_unix_nano`` (else ``observed_time_unix_nano``) in
  ISO 8601 UTC, the level the word of ``severity_number``'s range (TRACE, DEBUG, INFO, WARN,
  ERROR, FATAL), else ``severity_text`` when it is a level word. The resource's
  ``service.name`` (unless it is the SDKs' default ``unknown_service...``) ends the line as a
  ``key=value`` field, so it is kept with the pattern: in its template while one service sends
  it, as a ``<*>`` whose examples are the services once two do (the same message from several
  services stays one pattern). Only the body's first non-blank line is analysed (a stack trace
  after it is not);
- a string body with neither time nor severity (a raw line a Collector read from a file without
  parsing it) is the line as it is: its own header says when and how severe;
- a map body (a structured log), or a one-word event name with attributes, is a JSON object
  line (:mod:`logsum.core.structured`): the map's fields, or ``message`` and the record's
  attributes (without the source-location ``code.*`` ones and ``exception.stacktrace``), with
  ``time``, ``level``, ``service.name`` and ``host`` (the resource's ``host.name``) added where
  absent: an event name gets its attributes as ``key=<*>`` fields in its template, as JSON logs
  do; ``service.name`` is read there as the line's component (the header, not the template);
- another body (number, boolean, bytes, array) is its JSON text as the message.

A record without a body (or with an empty one) is rejected: the answer is a partial success
that counts it (``rejected_log_records``) and says why (``error_message``).
"""

from __future__ import annotations

import re
import time as _time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import google.rpc.error_details_pb2 as error_details_pb2
import google.rpc.status_pb2 as status_pb2
import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsPartialSuccess,
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from logsum.api.bodies import media_type
from logsum.api.errors import ErrorCode, InvalidRequest, PayloadTooLarge
from logsum.core.header import LEVELS

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
PROTOBUF_TYPES = frozenset({PROTOBUF, "application/protobuf", "application/vnd.google.protobuf"})
"""Media types read as binary protobuf (the specification's name first)."""

_UNKNOWN_SERVICE = "unknown_service"

ERROR_DOMAIN = "logsum"
"""``google.rpc.ErrorInfo.domain`` of the errors' details."""

_LEVELS = ("trace", "debug", "info", "warn", "error", "fatal")
"""The word of each range of four ``SeverityNumber`` values (1-4 TRACE ... 21-24 FATAL)."""

_SKIPPED_ATTRIBUTE_PREFIXES = ("code.",)
_SKIPPED_ATTRIBUTES = frozenset({"exception.stacktrace"})

# google.rpc.Code values for the HTTP statuses the service answers (google/rpc/code.proto).
_GRPC_CODES = {400: 3, 401: 16, 404: 5, 405: 12, 408: 4, 413: 3, 429: 8, 500: 13, 503: 14}


@dataclass(frozen=True, slots=True)
class LogsBatch:
    """The engine's lines of one export request, and the records it rejected."""

    lines: list[str]
    rejected: int = 0
    error_message: str = ""


def is_protobuf(content_type: str | None) -> bool:
    """Whether a body (or the answer to it) is binary protobuf rather than JSON."""
    return media_type(content_type)[0] in PROTOBUF_TYPES


def decode_request(raw: bytes, content_type: str | None) -> ExportLogsServiceRequest:
    """The ``ExportLogsServiceRequest`` of a body sent with ``content_type``.

    Raises :class:`InvalidRequest` (400) for another media type or a body that does not decode.
    """
    kind, _ = media_type(content_type)
    request = ExportLogsServiceRequest()
    if kind in PROTOBUF_TYPES:
        try:
            request.ParseFromString(raw)
        except DecodeError as exc:
            raise InvalidRequest(
                f"Body is not a protobuf ExportLogsServiceRequest: {exc}"
            ) from None
        return request
    if kind != JSON:
        shown = kind[:64] or "none"
        raise InvalidRequest(
            f"Unsupported Content-Type {shown!r}: send {PROTOBUF} or {JSON} "
            "(an OTLP ExportLogsServiceRequest)"
        )
    try:
        json_format.Parse(raw, request, ignore_unknown_fields=True)
    except (json_format.ParseError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidRequest(
            f"Body is not a JSON ExportLogsServiceRequest: {str(exc)[:300]}"
        ) from None
    return request


def request_lines(request: ExportLogsServiceRequest, *, max_batch_lines: int) -> LogsBatch:
    """The engine's lines of ``request``'s records (see the module docstring).

    Raises :class:`PayloadTooLarge` (413) for more than ``max_batch_lines`` records.
    """
    total = sum(len(sl.log_records) for rl in request.resource_logs for sl in rl.scope_logs)
    if total > max_batch_lines:
        raise PayloadTooLarge(
            f"Export of {total} log records exceeds the limit of {max_batch_lines} records"
        )
    lines: list[str] = []
    rejected = 0
    stamps: dict[int, str | None] = {}
    for rl in request.resource_logs:
        resource = _resource(rl.resource.attributes)
        for sl in rl.scope_logs:
            for record in sl.log_records:
                line = _record_line(record, resource, stamps)
                if line is None:
                    rejected += 1
                else:
                    lines.append(line)
    message = ""
    if rejected:
        message = (
            f"{rejected} of {total} log records had no body (or an empty one) and were not analysed"
        )
    return LogsBatch(lines, rejected, message)


@dataclass(frozen=True, slots=True)
class _Resource:
    """What a line takes from its records' resource."""

    service: str | None
    host: str | None
    suffix: str
    """`` service.name=<name>`` (whitespace made ``_``), or empty."""


def _resource(attributes: Iterable[KeyValue]) -> _Resource:
    service = host = None
    for kv in attributes:
        if kv.key == "service.name" and kv.value.HasField("string_value"):
            name = kv.value.string_value
            # The SDKs' default when none is configured says nothing about the record.
            service = None if not name or name.startswith(_UNKNOWN_SERVICE) else name
        elif kv.key == "host.name" and kv.value.HasField("string_value"):
            host = kv.value.string_value or None
    suffix = f" service.name={_SPACES.sub('_', service)}" if service else ""
    return _Resource(service, host, suffix)


_SPACES = re.compile(r"\s+")


def _record_line(
    record: LogRecord, resource: _Resource, stamps: dict[int, str | None]
) -> str | None:
    """The engine's line of one record, or ``None`` when it has nothing to analyse."""
    body = record.body
    text = body.string_value  # the usual case: no need to ask which value the body holds
    if not text:
        kind = body.WhichOneof("value")
        if kind is None or kind == "string_value":
            return None
        if kind == "kvlist_value":
            obj = _kvlist(body.kvlist_value.values, 0)
            return _json_line(obj, record, resource) if obj else None
        text = _text(_value(body, 0))
    if not text.isprintable():  # one scan: line breaks (and other controls) are rare
        text = _first_line(text)
    if not text or text.isspace():
        return None
    time = record.time_unix_nano
    number = record.severity_number
    level = _LEVEL_WORDS[number] if 0 < number <= 24 else _text_level(record.severity_text)
    if not time and level is None:
        return text  # a raw line: its own header says when and how severe
    if " " not in text and record.attributes:
        # An event name: its attributes are its variables (key=value in the template).
        return _json_line({"message": text}, record, resource)
    stamp = _stamp(time or record.observed_time_unix_nano, stamps)
    if stamp is None:
        return f"{level} {text}{resource.suffix}"
    if level is None:
        return f"{stamp} {text}{resource.suffix}"
    return f"{stamp} {level} {text}{resource.suffix}"


def _first_line(text: str) -> str:
    """The first non-blank line of ``text`` (all of it when it has no line break)."""
    if "\n" not in text and "\r" not in text:
        return text
    return next((part for part in text.splitlines() if part.strip()), "")


_LEVEL_WORDS = ("", *(word.upper() for word in _LEVELS for _ in range(4)))
"""``SeverityNumber`` 1..24 -> the level word of its range (index 0 unused)."""

_MAX_SECONDS = 253_402_300_800
"""The first second of the year 10000."""


def _stamp(unix_nano: int, stamps: dict[int, str | None]) -> str | None:
    """ISO 8601 in UTC with microseconds; ``None`` for 0 or a time from the year 10000 on.
    ``stamps`` keeps each second's text for the request (its records share a few seconds)."""
    if unix_nano <= 0:
        return None
    seconds, nanos = divmod(unix_nano, 1_000_000_000)
    head = stamps.get(seconds, "")
    if head == "":
        head = None
        if seconds < _MAX_SECONDS:
            head = _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(seconds))
        stamps[seconds] = head
    if head is None:
        return None
    return f"{head}.{nanos // 1000:06d}Z"


def _json_line(obj: dict[str, Any], record: LogRecord, resource: _Resource) -> str:
    """A structured record (a map body, or an event name with attributes) as a JSON line,
    the record's time, level, resource and attributes added where the object lacks them."""
    time = record.time_unix_nano or record.observed_time_unix_nano
    if time:
        obj.setdefault("time", time)
    level = _level(record)
    if level is not None:
        obj.setdefault("level", level)
    if resource.service is not None:
        obj.setdefault("service.name", resource.service)
    if resource.host is not None:
        obj.setdefault("host", resource.host)
    for kv in record.attributes:
        key = kv.key
        if key in _SKIPPED_ATTRIBUTES or key.startswith(_SKIPPED_ATTRIBUTE_PREFIXES):
            continue
        obj.setdefault(key, _value(kv.value, 0))
    return orjson.dumps(obj).decode()


def _level(record: LogRecord) -> str | None:
    """The level word of ``severity_number``, else ``severity_text`` when it is a level word
    the engine knows (another text would be read as part of the message)."""
    number = record.severity_number
    if 1 <= number <= 24:
        return _LEVELS[(number - 1) // 4]
    return _text_level(record.severity_text)


def _text_level(text: str) -> str | None:
    return text if text and text.upper() in LEVELS else None


_MAX_DEPTH = 16
"""Nested values deeper than this are written as their text (bounds the work per value)."""


def _value(value: AnyValue, depth: int) -> Any:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return value.double_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "bytes_value":
        return value.bytes_value.hex()
    if depth >= _MAX_DEPTH:
        return None
    if kind == "array_value":
        return [_value(v, depth + 1) for v in value.array_value.values]
    if kind == "kvlist_value":
        return _kvlist(value.kvlist_value.values, depth + 1)
    return None


def _kvlist(values: Iterable[KeyValue], depth: int) -> dict[str, Any]:
    return {kv.key: _value(kv.value, depth) for kv in values}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return orjson.dumps(value).decode()


# -- answers ----------------------------------------------------------------------------------


def _encode(message: Message, content_type: str | None) -> tuple[bytes, str]:
    if is_protobuf(content_type):
        return message.SerializeToString(), PROTOBUF
    text = json_format.MessageToJson(message, indent=None)
    return text.encode(), JSON


def export_response(batch: LogsBatch, content_type: str | None) -> tuple[bytes, str]:
    """The ``ExportLogsServiceResponse`` (body, media type) in the request's encoding:
    ``partial_success`` set only when records were rejected."""
    response = ExportLogsServiceResponse()
    if batch.rejected:
        response.partial_success.CopyFrom(
            ExportLogsPartialSuccess(
                rejected_log_records=batch.rejected, error_message=batch.error_message
            )
        )
    return _encode(response, content_type)


def error_body(
    status: int, code: ErrorCode, message: str, content_type: str | None
) -> tuple[bytes, str]:
    """An error of ``POST /v1/logs``, as the specification asks: a ``google.rpc.Status`` in
    the request's encoding. Binary: ``code`` (the gRPC code of the HTTP status), ``message``,
    and in ``details`` a ``google.rpc.ErrorInfo`` whose ``reason`` is the envelope's code
    (plus a ``google.rpc.BadRequest`` on a 400). JSON: the Status's ``code`` and ``message``
    and the service's error envelope (``error``) in one object, so that both OTLP clients and
    clients of the rest of the API read it."""
    grpc_code = _GRPC_CODES.get(status, 2)
    if not is_protobuf(content_type):
        body = {
            "code": grpc_code,
            "message": message,
            "error": {"code": str(code), "message": message},
        }
        return orjson.dumps(body), JSON
    status_message = status_pb2.Status(code=grpc_code, message=message)
    status_message.details.add().Pack(
        error_details_pb2.ErrorInfo(reason=str(code), domain=ERROR_DOMAIN)
    )
    if status == 400:
        bad = error_details_pb2.BadRequest()
        bad.field_violations.add(field="body", description=message)
        status_message.details.add().Pack(bad)
    return status_message.SerializeToString(), PROTOBUF


def decode_error(body: bytes) -> Sequence[str]:
    """``(message, envelope code)`` of a binary error answer (for tests and clients)."""
    status_message = status_pb2.Status.FromString(body)
    reason = ""
    for detail in status_message.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            reason = info.reason
    return status_message.message, reason
