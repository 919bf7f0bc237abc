"""Lines of ``key=value`` pairs (logfmt): Go's logrus and slog text handlers, Heroku's router,
many command-line tools.

``time="2026-03-02T10:00:00Z" level=info msg="Starting up" version=1.2.3`` gives the header
(timestamp, level, component, pid, host from the usual keys) and the message: the ``msg``
value when it is a sentence (``Starting up``), as the logger documents it; when it is one word
(an event name such as ``request``) or missing, that word followed by the other pairs as they
stand in the line (``request method=GET path=/x status=200``), so that an event's context
stays in its template instead of being dropped.
"""

from __future__ import annotations

import re

from logsum.core.header import LEVELS
from logsum.core.model import Header
from logsum.core.timestamps import match_timestamp

_PAIR = re.compile(r'([A-Za-z_@][\w.@/\-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)(?=\s|$)')
_STARTS = re.compile(r"[A-Za-z_@][\w.@/\-]*=")
_MESSAGE_KEYS = frozenset({"msg", "message"})
_TIME_KEYS = frozenset({"time", "ts", "timestamp", "t", "date", "datetime"})
_LEVEL_KEYS = frozenset({"level", "lvl", "severity", "loglevel"})
_COMPONENT_KEYS = frozenset({"logger", "component", "module", "source", "caller"})
_PID_KEYS = frozenset({"pid"})
_HOST_KEYS = frozenset({"host", "hostname"})
_HEADER_KEYS = _TIME_KEYS | _LEVEL_KEYS | _COMPONENT_KEYS | _PID_KEYS | _HOST_KEYS

MAX_LOGFMT_CHARS = 16 * 1024
"""Longer lines are not read as logfmt (they are taken as plain text)."""


def looks_like_logfmt(line: str) -> bool:
    """Cheap test: the line opens with ``key=``."""
    return _STARTS.match(line) is not None


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def split_logfmt(line: str, default_year: int) -> tuple[Header, str] | None:
    """``(header, message)`` of a logfmt line, or ``None`` when the line is not one: every
    token must be a pair, and a message, level or time key must be among them."""
    text = line.strip()
    if len(text) > MAX_LOGFMT_CHARS:
        return None
    pairs: list[tuple[str, str, str]] = []  # key, value, the pair as written
    pos = 0
    while pos < len(text):
        m = _PAIR.match(text, pos)
        if m is None:
            return None
        pairs.append((m.group(1).lower(), m.group(2), m.group(0)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    keys = {k for k, _, _ in pairs}
    if len(pairs) < 2 or not keys & (_MESSAGE_KEYS | _LEVEL_KEYS | _TIME_KEYS):
        return None
    timestamp = level = component = pid = host = None
    message: list[str] = []
    rest: list[str] = []
    for key, raw, written in pairs:
        value = _unquote(raw)
        if key in _MESSAGE_KEYS and not message:
            message.append(" ".join(value.split()))
        elif key in _TIME_KEYS and timestamp is None:
            found = match_timestamp(value, 0, default_year)
            timestamp = found[0] if found else None
        elif key in _LEVEL_KEYS and level is None:
            level = LEVELS.get(value.upper(), value or None)
        elif key in _COMPONENT_KEYS and component is None:
            component = value or None
        elif key in _PID_KEYS and pid is None:
            pid = value or None
        elif key in _HOST_KEYS and host is None:
            host = value or None
        elif key not in _HEADER_KEYS:
            rest.append(written)
    header = Header(timestamp=timestamp, level=level, host=host, component=component, pid=pid)
    if message and " " in message[0]:
        return header, message[0]  # a sentence: the documented message body
    return header, " ".join(message + rest)
