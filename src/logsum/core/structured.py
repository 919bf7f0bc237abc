"""Structured lines: a JSON object per line (the shape most logging libraries emit when asked
for JSON). The message, level, timestamp and the usual context fields are read from the keys
loggers commonly use; the rest of the object is not part of the template."""

from __future__ import annotations

import json
from typing import Any

from logsum.core.header import LEVELS
from logsum.core.model import Header
from logsum.core.timestamps import match_timestamp

_MESSAGE_KEYS = ("message", "msg", "log", "text", "event", "@message")
_LEVEL_KEYS = ("level", "severity", "lvl", "loglevel", "log.level", "levelname")
_TIME_KEYS = ("timestamp", "@timestamp", "time", "ts", "datetime", "date", "asctime")
_HOST_KEYS = ("host", "hostname", "host.name")
_COMPONENT_KEYS = ("logger", "logger_name", "component", "service", "name", "module", "caller")
_PID_KEYS = ("pid", "process", "thread", "thread_name")

MAX_JSON_CHARS = 64 * 1024
"""Longer lines are not parsed as JSON (they are taken as plain text)."""


def split_json(line: str, default_year: int) -> tuple[Header, str] | None:
    """``(header, message)`` of a JSON-object line, or ``None`` when the line is not one or
    has no message field."""
    text = line.strip()
    if not text.startswith("{") or not text.endswith("}") or len(text) > MAX_JSON_CHARS:
        return None
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict):
        return None
    message = _first(obj, _MESSAGE_KEYS)
    if message is None:
        return None
    level = _first(obj, _LEVEL_KEYS)
    canon = LEVELS.get(level.upper()) if level else None
    header = Header(
        timestamp=_timestamp(obj, default_year),
        level=canon or level,
        host=_first(obj, _HOST_KEYS),
        component=_first(obj, _COMPONENT_KEYS),
        pid=_first(obj, _PID_KEYS),
    )
    return header, " ".join(message.split())


def _first(obj: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = obj.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    return None


def _timestamp(obj: dict[str, Any], default_year: int) -> Any:
    for key in _TIME_KEYS:
        value = obj.get(key)
        if isinstance(value, str):
            found = match_timestamp(value, 0, default_year)
            if found is not None and found[0] is not None:
                return found[0]
        elif isinstance(value, int | float) and not isinstance(value, bool):
            found = match_timestamp(str(int(value)), 0, default_year)
            if found is not None and found[0] is not None:
                return found[0]
    return None
