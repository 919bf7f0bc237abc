"""Structured lines: a JSON object per line (the shape most logging libraries emit when asked
for JSON: pino, bunyan, zap, logrus, slog, structlog, Serilog's compact format, ECS, Google Cloud,
MongoDB, Docker's json-file driver...).

What :func:`split_json` reads from the object:

- **Timestamp**: the first of ``timestamp``, ``@timestamp``, ``time``, ``ts``, ``t``, ``@t``,
  ``datetime``, ``date``, ``asctime``, ``timeMillis``, ``instant``, ``ISODATE``,
  ``__REALTIME_TIMESTAMP``, ``DATE`` that holds one: a date-time
  string (ISO 8601 and the other shapes of :mod:`logsum.core.timestamps`), epoch seconds,
  milliseconds, microseconds or nanoseconds (a number or a string of digits, told apart by
  size), ``{"$date": ...}`` (MongoDB extended JSON) or ``{"seconds"|"epochSecond": ..,
  "nanos"|"nanoOfSecond": ..}``.
- **Level**: the first of ``level``, ``severity``, ``lvl``, ``loglevel``, ``log.level``,
  ``levelname``, ``@l``, ``s``, ``PRIORITY``: a level word
  (:data:`logsum.core.header.LEVELS`), a single letter (``I``, ``W``, ``E``, ``F``, ``D`` with an
  optional digit), or a number: 10..60 in steps of 10 as pino and bunyan write them (30 info, 40
  warning, 50 error, 60 fatal), 0..7 as syslog severities. ``s`` counts only when it holds one of
  these.
- **Header fields**: host (``host``, ``hostname``, ``host.name``, ``HOST``, ``_HOSTNAME``),
  component (``logger``, ``logger_name``, ``loggerName``, ``log.logger``, ``component``, ``c``,
  ``name``, ``module``, ``service``, ``service.name``, ``SourceContext``, ``caller``,
  ``appname``, ``PROGRAM``, ``SYSLOG_IDENTIFIER``), process or thread (``pid``, ``process``,
  ``thread``, ``thread_name``, ``threadName``, ``tid``, ``ctx``, ``process.pid``, ``procid``,
  ``PID``, ``_PID``).
- **Message**: the first of ``message``, ``msg``, ``@m``, ``event``, ``log``, ``text``,
  ``@message``, ``MESSAGE`` that is a string (whitespace runs made one space). Serilog's ``@mt``
  message template, without ``@m``, is rendered with the properties it names. A ``log`` field
  is a raw line a shipper wrapped (Docker, Fluent Bit), and so is the ``message`` of an object
  with Vector's ``source_type``: its own header, or its own JSON, is read as any line's would
  be, and the wrapper only fills in what the inner line lacks.

The upper-case keys are those of journald's JSON export (``journalctl -o json``, Fluent Bit's
systemd input) and of syslog-ng's ``$(format-json --scope rfc5424 --key ISODATE)``; the
``appname`` / ``procid`` pair is Vector's syslog source's.

**Keys of its own.** Nested objects are also read as dotted keys (ECS's ``{"log": {"level":
..}}`` is ``log.level``, Cloud Logging's ``jsonPayload.message``). When no known key fills a
role, the role is found by the keys' names and values (:func:`_guess_message`,
:func:`_guess_level`, :func:`_guess_time`): the message from a key named for one
(``short_message``, ``textPayload``: a word of the key is message, msg, text, body or payload)
holding text, else the string value that reads most as free text (ids, paths, user agents,
enums do not), else the key that held free text in the source's earlier lines of the same keys
(:class:`KeyMemory`); the level from a key named for one (``sev``, ``log_level``, ``Priority``)
holding a level word or letter (a number only when the key is nothing but a level's name), or
a key of one or two letters holding a level word (zap's ``L``); the time from a key named for
one (``when``, ``created_at``, ``logged_ns``) holding a time, else any string value that is a
date-time as a whole. A bare number under any other key is data.

The message is the message key's value. When it is a sentence (it has a space), the other
fields stay out of the template. When it is an event name (one word: structlog's ``event``,
an access log's ``"msg": "request"``), it is the message, and the object's **other fields**
are its *context*, mined after it as ``key=value`` (not part of ``LineResult.message``); with
no message at all the fields are the text. The fields are written in the order of the keys in
the line (nested objects flattened to dotted keys,
``attr.remote=...``; at most ``MAX_FIELDS``), so that a constant event name (``"msg":
"request"``) with its variables in fields gives the template ``request method=<*> path=<*>
status=<*> ...`` once masked. Left out: the fields read above (timestamp, level, message,
header fields, the properties a Serilog template names), caller and source-location fields
(``caller``, ``source``, ``func``, ``funcName``, ``lineno``, ``pathname``, ``filename``,
``log.origin``) and format bookkeeping (``v``, ``@version``, ``ecs.version``, ``@i``, ``@r``,
``stream``, ``source_type``, ``FACILITY``). A string value is written as is, in double quotes
(JSON escaping) when it is empty or has whitespace, and only its first line when it has several
(a stack trace); ``true``, ``false``, ``null`` and numbers as in JSON; an array as compact JSON.
An object with neither a message nor other fields is not a structured line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson

from logsum.core.header import LEVELS
from logsum.core.layouts import HeaderDetector
from logsum.core.model import Header
from logsum.core.shapes import Field, Placed, Replay
from logsum.core.timestamps import match_timestamp

SplitText = Callable[[str], tuple[Header, str] | None]
"""Splits a text line into ``(header, message)``, or ``None`` when it has no header."""

MAX_JSON_CHARS = 64 * 1024
"""Longer lines are not parsed as JSON (they are taken as plain text)."""

MAX_FIELDS = 32
"""Fields written after the message, at most (a wide object would make a wide template)."""

MAX_DEPTH = 3
"""Nested objects deeper than this are written as compact JSON, not flattened further."""

_MESSAGE_KEYS = ("message", "msg", "@m", "event", "log", "text", "@message", "MESSAGE")
_RAW_LINE_KEY = "log"
_VECTOR_KEY = "source_type"
"""Vector puts it on every event; the event's ``message`` is then the raw line it read."""
_TEMPLATE_KEY = "@mt"
_LEVEL_KEYS = (
    "level",
    "severity",
    "lvl",
    "loglevel",
    "log.level",
    "levelname",
    "@l",
    "s",
    "PRIORITY",
)
_TIME_KEYS = (
    "timestamp",
    "@timestamp",
    "time",
    "ts",
    "t",
    "@t",
    "datetime",
    "date",
    "asctime",
    "timeMillis",
    "instant",
    "ISODATE",
    "__REALTIME_TIMESTAMP",
    "DATE",
)
_HOST_KEYS = ("host", "hostname", "host.name", "HOST", "_HOSTNAME")
_COMPONENT_KEYS = (
    "logger",
    "logger_name",
    "loggerName",
    "log.logger",
    "component",
    "c",
    "name",
    "module",
    "service",
    "service.name",
    "SourceContext",
    "caller",
    "appname",
    "PROGRAM",
    "SYSLOG_IDENTIFIER",
)
_PID_KEYS = (
    "pid",
    "process",
    "thread",
    "thread_name",
    "threadName",
    "tid",
    "ctx",
    "process.pid",
    "procid",
    "PID",
    "_PID",
)
_CALLER_KEYS = ("caller", "source", "func", "funcName", "lineno", "pathname", "filename")
_BOOKKEEPING_KEYS = (
    "v",
    "@version",
    "ecs.version",
    "@i",
    "@r",
    "stream",
    "log.origin",
    _VECTOR_KEY,
    "FACILITY",
)
_SHORT_KEYS = frozenset(("s", "t", "c"))
"""One-letter keys are header fields only when they hold one (else they are data)."""
_HEADER_KEYS = frozenset(
    (
        *_LEVEL_KEYS,
        *_TIME_KEYS,
        *_HOST_KEYS,
        *_COMPONENT_KEYS,
        *_PID_KEYS,
        *_CALLER_KEYS,
        *_BOOKKEEPING_KEYS,
        _TEMPLATE_KEY,
    )
).difference(_SHORT_KEYS)

_NUMERIC_LEVELS = {
    # pino / bunyan
    10: "TRACE",
    20: "DEBUG",
    30: "INFO",
    40: "WARNING",
    50: "ERROR",
    60: "CRITICAL",
    # syslog severities
    0: "CRITICAL",
    1: "CRITICAL",
    2: "CRITICAL",
    3: "ERROR",
    4: "WARNING",
    5: "NOTICE",
    6: "INFO",
    7: "DEBUG",
}
_LETTER_LEVELS = {"V": "DEBUG", "D": "DEBUG", "I": "INFO", "W": "WARNING", "E": "ERROR"}
_LETTER_LEVELS["F"] = "CRITICAL"
_LEVEL_SUFFIX = re.compile(r"(?:[_.-](?:level|severity|LEVEL|SEVERITY)|[a-z](?:Level|Severity))$")
"""A key that names a level with a qualifier before it: ``log_level``, ``error_severity``."""
_DEBUG_LETTER = re.compile(r"D\d")  # MongoDB's debug levels D1..D5

_EPOCH_SCALES = ((1e11, 1.0), (1e14, 1e3), (1e17, 1e6), (1e20, 1e9))
"""(below this, divide by this): seconds, milliseconds, microseconds, nanoseconds."""
_EPOCH_RANGE = (1e8, 4.2e9)
"""Epoch seconds taken as a time (1973..2103); other numbers are not timestamps."""

_PLACEHOLDER = re.compile(r"\{([@$]?)([A-Za-z_]\w*)(?:[,:][^{}]*)?\}")
"""A property in a message template: ``{Name}``, ``{@Name}``, ``{Name:000}``, ``{Name,-10}``."""


def _json_object(line: str) -> dict[str, Any] | None:
    """The JSON object a whole line is, or ``None`` (not an object, not JSON, too long)."""
    text = line.strip()
    if not text.startswith("{") or not text.endswith("}") or len(text) > MAX_JSON_CHARS:
        return None
    try:
        obj = orjson.loads(text)
    except (orjson.JSONDecodeError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def split_json(
    line: str,
    default_year: int,
    split_text: SplitText | None = None,
    memory: KeyMemory | None = None,
) -> tuple[Header, str, str] | None:
    """``(header, message)`` of a JSON-object line, or ``None`` when the line is not one (or
    is an object with nothing to say). See the module docstring for what is read where.

    ``split_text`` splits the header off a raw line wrapped in a ``log`` field; the engine's
    :meth:`HeaderDetector.split <logsum.core.layouts.HeaderDetector.split>` (with the layouts it
    learned) is the one to pass. Without it each wrapped line is scanned afresh (slower: about
    three times the cost of a JSON line without one)."""
    obj = _json_object(line)
    if obj is None:
        return None
    found = _split_object(obj, default_year, split_text, memory)
    return None if found is None else found[:3]


def split_json_body(
    text: str,
    default_year: int,
    split_text: SplitText | None = None,
    memory: KeyMemory | None = None,
) -> tuple[Header, str, str, Placed | None] | None:
    """:func:`split_json_placed` of a JSON object that follows a header in a text line (a
    syslog or container runtime line carrying an application's JSON log record), only when
    the object has a message (a known or guessed message key): ``(header, message, context,
    places in text)``."""
    return _split_placed(text, default_year, split_text, memory, need_message=True)


def body_parses(start: int, line: str) -> bool:
    """Whether ``line`` from ``start`` on is JSON (a replayed line's body, see
    :func:`split_json_body`)."""
    return _parses(line[start:])


def split_json_placed(
    line: str,
    default_year: int,
    split_text: SplitText | None = None,
    memory: KeyMemory | None = None,
) -> tuple[Header, str, str, Placed | None] | None:
    """:func:`split_json` with where the parts sit in ``line``, for the shape cache, when every
    part that a line equal to this one up to its digits could read differently is a slice of
    the line: the line has no escapes (no backslash); the message is a sentence, the string
    value of its key as written (no template, no wrapped raw line), found once in the line;
    a level key's value with digits is found once (replayed lines must carry the same text
    there); at most one time key is present and its value (a string or a number, or one
    in MongoDB's ``{"$date": ...}``) is found once in the line; host, component and pid values
    with digits are strings or non-negative integers, found once. Otherwise the places are
    ``None``.

    Such lines, when they parse, read the same keys and header choices from the same places
    (digits are neither quotes nor JSON punctuation); a replayed line is first checked to
    parse (``10`` can become ``01``, which is not JSON)."""
    return _split_placed(line, default_year, split_text, memory, need_message=False)


def _split_placed(
    line: str,
    default_year: int,
    split_text: SplitText | None,
    memory: KeyMemory | None,
    need_message: bool,
) -> tuple[Header, str, str, Placed | None] | None:
    """The work of :func:`split_json_placed` and :func:`split_json_body`; ``need_message``:
    only an object with a (known or guessed) message key counts."""
    obj = _json_object(line)
    if obj is None:
        return None
    found = _split_object(obj, default_year, split_text, memory)
    if found is None or (need_message and not found[4]):
        return None
    header, message, context, key, _ = found
    if context or key is None:
        return header, message, context, None
    return header, message, context, _places(line, obj, header, message, key, default_year)


def _places(
    line: str,
    obj: dict[str, Any],
    header: Header,
    message: str,
    message_key: str,
    default_year: int,
) -> Placed | None:
    """Where :func:`split_json_placed` finds the parts of ``line`` (see there), or ``None``.
    ``message_key`` is the key the message was read from."""
    if "\\" in line or " " not in message or isinstance(obj.get(_TEMPLATE_KEY), str):
        return None
    if (
        message_key not in obj
        or message_key == _RAW_LINE_KEY
        or (message_key == "message" and _VECTOR_KEY in obj)
        or obj[message_key] != message
    ):
        return None
    message_at = _only(line, f'"{message}"')
    if message_at < 0:
        return None
    checks: list[tuple[slice, str]] = []
    for key in _LEVEL_KEYS:
        value = obj.get(key)
        if isinstance(value, str | int | float) and _DIGIT.search(str(value)):
            # A level read from digits (pino's 30, "5"): replayed lines must carry the same.
            where = _value_at(line, key, value)
            if where is None:
                return None
            checks.append((where, line[where]))
        elif value is not None and not isinstance(value, str | bool):
            return None
    times = [k for k in _TIME_KEYS if obj.get(k) is not None]
    stamp_at: slice | None = None
    replay = JSON_TEXT_TIME
    if len(times) > 1:
        return None  # which one gives the time may depend on digits
    if times:
        key, value = times[0], obj[times[0]]
        if isinstance(value, dict) and len(value) == 1 and "$date" in value:
            key, value = "$date", value["$date"]  # MongoDB extended JSON: the time inside
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return None
        stamp_at = _value_at(line, key, value)
        if stamp_at is None:
            return None
        if not isinstance(value, str):
            replay = JSON_NUMBER_TIME
        if replay.read_time(line[stamp_at], default_year) != header.timestamp:
            return None  # not read back as parsing read it
    fields: list[Field] = []
    for named, held in _header_choice(obj):
        shown = None if named is None else header_value(held)
        if named is None or shown is None or not _DIGIT.search(shown):
            fields.append(shown)
            continue
        where = _value_at(line, named, held)
        if where is None or line[where] != shown or not (isinstance(held, str) or shown.isdigit()):
            return None  # not a slice of the line; or a number whose text str() may change
        fields.append(where)
    return message_at + 1, stamp_at, tuple(fields), replay, tuple(checks)


def _only(line: str, text: str) -> int:
    """Where ``text`` occurs in ``line`` when it occurs exactly once, else -1."""
    at = line.find(text)
    if at < 0 or line.find(text, at + 1) >= 0:
        return -1
    return at


_NUMBER_TEXT = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def _value_at(line: str, key: str, value: object) -> slice | None:
    """Where the value of top-level ``key`` (a string or a number) is written in ``line``:
    inside the quotes of a string, the whole of a number. ``None`` when the key's text occurs
    more than once or the value is not written there as it is."""
    at = _only(line, f'"{key}"')
    if at < 0:
        return None
    pos = at + len(key) + 2
    while pos < len(line) and line[pos] in " \t\r\n:":
        pos += 1
    if isinstance(value, str):
        if line[pos : pos + 1] != '"' or line[pos + 1 : pos + 1 + len(value) + 1] != value + '"':
            return None
        return slice(pos + 1, pos + 1 + len(value))
    m = _NUMBER_TEXT.match(line, pos)
    return None if m is None else slice(m.start(), m.end())


def _string_time(text: str, year: int) -> datetime | None:
    return _time_of(text, year)


def _number_time(text: str, year: int) -> datetime | None:
    if len(text) > 17 and text.isdigit():  # epoch nanoseconds: exact as an integer
        return _epoch_int(int(text))
    return _epoch(float(text))


def _parses(line: str) -> bool:
    """Whether a line equal to a placed one up to its digits is JSON (its numbers may not be:
    ``01``, an integer past 64 bits)."""
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def not_json(line: str) -> bool:
    """Whether a line that starts like a JSON object is not one: a text shape learned from
    such a line is replayed only on lines that are not JSON either (``{"a":01}`` is text,
    ``{"a":10}``, equal up to its digits, is JSON)."""
    return not _parses(line)


JSON_TEXT_TIME = Replay(_string_time, _parses)
"""JSON lines whose time is a string (or absent)."""
JSON_NUMBER_TIME = Replay(_number_time, _parses)
"""JSON lines whose time is a number (epoch seconds, milliseconds...)."""
_DIGIT = re.compile(r"\d")


def _split_object(
    obj: dict[str, Any],
    default_year: int,
    split_text: SplitText | None,
    memory: KeyMemory | None = None,
) -> tuple[Header, str, str, str | None, bool] | None:
    """``(header, message, context, message key, has message)``: ``context`` is the other
    fields as
    ``key=value`` when the message is one word (an event name), else empty. The key is
    ``None`` when the message was not read from one top-level string field (a rendered
    template, none) or a header value was read where a line equal up to its digits might not
    read it alike (a nested key, a guessed time key, a guessed level key holding digits).
    Without a message (``has message`` false) the message is the fields as ``key=value``."""
    skip = set(_HEADER_KEYS)
    recalled = False  # the message key came from memory, or the time may move with digits
    message_key = next((k for k in _MESSAGE_KEYS if isinstance(obj.get(k), str)), None)
    message = ""
    inner: Header | None = None
    template = obj.get(_TEMPLATE_KEY)
    level, level_key = _level(obj)
    timestamp, time_key = _timestamp(obj, default_year)
    view = obj
    if (message_key is None or level_key is None or time_key is None) and any(
        isinstance(v, dict) for v in obj.values()
    ):
        # Nested objects (ECS's {"log": {"level": ...}}): their keys are read dotted.
        view = _flat(obj)
        if level_key is None:
            level, level_key = _level(view)
        if time_key is None:
            timestamp, time_key = _timestamp(view, default_year)
    if isinstance(template, str):
        names = [m.group(2) for m in _PLACEHOLDER.finditer(template)]
        skip.update(names)
        if message_key != "@m":
            message, message_key = _render(template, obj), None
    elif message_key is None:
        message_key = next((k for k in _MESSAGE_KEYS if isinstance(view.get(k), str)), None)
        if message_key is None:
            message_key = _guess_message(view, memory, (level_key, time_key))
            recalled = message_key is not None and not (
                _name_words(message_key) & _MESSAGE_WORDS or _prose(view[message_key])
            )
    if level_key is None:
        level, level_key = _guess_level(view)
    if time_key is None and not any(k in view for k in _TIME_KEYS):
        # (a known time key that holds no time is placed as such: see _places)
        timestamp, time_key, doubtful = _guess_time(view, default_year, message_key)
        recalled = recalled or doubtful
    if message_key is not None:
        skip.add(message_key)
        message = view[message_key]
        if message_key == _RAW_LINE_KEY or (message_key == "message" and _VECTOR_KEY in obj):
            inner, message = _split_raw(message, default_year, split_text)
    message = " ".join(message.split())
    found = _header_fields(view)
    skip.update(k for k in (level_key, time_key, found[3]) if k in _SHORT_KEYS)
    for key in (level_key, time_key):
        if key is not None and key not in _HEADER_KEYS:
            skip.add(key)
    fields: list[str] = []
    _fields(obj, "", skip, fields, 0)
    if not message and not fields:
        return None
    header = Header(timestamp, level, found[0], found[1], found[2])
    if inner is not None:  # the wrapped line's own header first, the wrapper's for the rest
        header = header._replace(**{k: v for k, v in inner._asdict().items() if v is not None})
    if not message:
        return header, " ".join(fields), "", None, False  # no message: the fields are the text
    if recalled or view is not obj or (time_key is not None and time_key not in _TIME_KEYS):
        message_key = None  # read from places a line equal up to digits may not read alike
    elif (
        level_key is not None
        and level_key not in _LEVEL_KEYS
        and _DIGIT.search(str(view[level_key]))
    ):
        message_key = None
    return header, message, "" if " " in message else " ".join(fields), message_key, True


class KeyMemory:
    """What a source's JSON lines taught about their keys: for a set of top-level keys, the
    key whose values were free text (the message). A line of the same keys whose value there
    is one word still takes it from that key. Bounded: forgets all past ``MAX_KEY_SETS``."""

    MAX_KEY_SETS = 256

    def __init__(self) -> None:
        self.message_keys: dict[tuple[str, ...], str] = {}

    def remember(self, keys: tuple[str, ...], key: str) -> None:
        if len(self.message_keys) >= self.MAX_KEY_SETS:
            self.message_keys.clear()
        self.message_keys[keys] = key

    def export(self) -> list[list[Any]]:
        """What was learned, as JSON values: ``[[key, ...], message key]`` per key set, oldest
        first (see :meth:`load`)."""
        return [[list(keys), key] for keys, key in self.message_keys.items()]

    def load(self, data: Any) -> None:
        """Take back what :meth:`export` gave (validated; ``ValueError`` when malformed)."""
        if not isinstance(data, list):
            raise ValueError("JSON key memory must be a list")
        learned: dict[tuple[str, ...], str] = {}
        for item in data[-self.MAX_KEY_SETS :]:
            if (
                not isinstance(item, list)
                or len(item) != 2
                or not isinstance(item[0], list)
                or not all(isinstance(k, str) for k in item[0])
                or not isinstance(item[1], str)
            ):
                raise ValueError("each JSON key memory entry must be [[keys], key]")
            learned[tuple(item[0])] = item[1]
        self.message_keys = learned


MAX_FLAT_KEYS = 256
"""Nested keys read dotted, at most (a huge object is not walked whole)."""


def _flat(obj: dict[str, Any]) -> dict[str, Any]:
    """The object with the keys of its nested objects added, dotted (``log.level``), down to
    ``MAX_DEPTH``; a top-level key of the same name wins."""
    out = dict(obj)
    todo: list[tuple[str, dict[str, Any], int]] = [
        (k, v, 1) for k, v in obj.items() if isinstance(v, dict)
    ]
    while todo and len(out) < MAX_FLAT_KEYS:
        prefix, inner, depth = todo.pop(0)
        for key, value in inner.items():
            name = f"{prefix}.{key}"
            out.setdefault(name, value)
            if isinstance(value, dict) and depth < MAX_DEPTH:
                todo.append((name, value, depth + 1))
            if len(out) >= MAX_FLAT_KEYS:
                break
    return out


_NAME_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_MESSAGE_WORDS = frozenset(("message", "msg", "text", "body", "payload"))
_LEVEL_WORDS = frozenset(("level", "severity", "lvl", "loglevel", "priority", "prio", "sev"))
_TIME_WORDS = frozenset(("time", "timestamp", "ts", "date", "datetime", "stamp", "epoch"))
_TIME_WORDS |= {"at", "when", "timestamps", "created", "logged"}


def _name_words(key: str) -> frozenset[str]:
    """The words of a key's last part: ``short_message`` -> {short, message},
    ``textPayload`` -> {text, payload}, ``@t`` -> {t} (remembered for short keys)."""
    return _short_name_words(key) if len(key) <= 64 else _words_of(key)


@lru_cache(maxsize=4096)
def _short_name_words(key: str) -> frozenset[str]:
    return _words_of(key)


def _words_of(key: str) -> frozenset[str]:
    """The words of a key's last part: ``short_message`` -> {short, message},
    ``textPayload`` -> {text, payload}, ``@t`` -> {t}."""
    last = key.rsplit(".", 1)[-1]
    return frozenset(w.lower() for w in _NAME_WORD.findall(last))


_WORD = re.compile(r"[A-Za-z][a-z]*(?:'[a-z]+)?[.,:;!?]?")


def _prose(value: str) -> int:
    """How much a string value reads as free text: its count of plain words when they are at
    least two and half its tokens (``Cache warmed with 1200 entries`` 4; an id, a path, a
    user agent ``Mozilla/5.0 (X11) ...`` 0)."""
    tokens = value.split()
    if len(tokens) < 2:
        return 0
    words = sum(1 for t in tokens if _WORD.fullmatch(t))
    return words if words >= 2 and 2 * words >= len(tokens) else 0


_ID_LIKE = re.compile(r"[\w.:/\-@]*\d[\w.:/\-@]*|[\w\-]*[/\\.:@][\w.:/\\\-@]*")
"""One token that is an id, a number, a path, an address or a dotted name, not a word."""


def _guess_message(
    view: dict[str, Any], memory: KeyMemory | None, taken: tuple[str | None, ...]
) -> str | None:
    """The key of an object's message when no known message key holds a string: a key named
    for one (``short_message``, ``textPayload``) holding text, first in the line, free text
    first; else the string value that reads most as free text; else what the source's earlier
    lines of the same keys chose (``memory``). Ids, paths, enums and times are not messages;
    a message template with ``{Name}`` placeholders yields to a rendered message."""
    named: list[tuple[int, int, str]] = []
    best: tuple[int, str] | None = None
    for order, (key, value) in enumerate(view.items()):
        if not isinstance(value, str) or key in taken or key in _HEADER_KEYS:
            continue
        text = value.strip()
        if not text:
            continue
        prose = _prose(text.split("\n", 1)[0])
        if _name_words(key) & _MESSAGE_WORDS:
            rank = 0 if prose else (1 if "\n" not in text else 2)
            if rank == 0 and _PLACEHOLDER.search(text):
                rank = 1  # a message template ("User {User} logged in"): the rendered one first
            named.append((rank, order, key))
        elif prose and (best is None or prose > best[0]):
            best = (prose, key)
    keys = tuple(view)
    if named:
        rank, _, key = min(named)
        if rank == 0 and memory is not None:
            memory.remember(keys, key)
        if rank < 2 or best is None:
            return key
    if best is not None:
        if memory is not None:
            memory.remember(keys, best[1])
        return best[1]
    if memory is not None:
        known = memory.message_keys.get(keys)
        if known is not None and isinstance(view.get(known), str):
            return known
    return None


def _guess_level(view: dict[str, Any]) -> tuple[str | None, str | None]:
    """``(level, key)`` when no known level key holds one: a key named for a level
    (``log_level``, ``syslog.priority``, ``Severity``) holding a level word, letter or
    number, else a short key (``L``) holding a level word."""
    short: tuple[str, str] | None = None
    for key, value in view.items():
        if value is None or isinstance(value, bool | dict | list):
            continue
        words = _name_words(key)
        if words & _LEVEL_WORDS:
            # a number only under a key that is nothing but a level's name (a battery_level
            # of 30 is data)
            canon = _level_value(value, words <= _LEVEL_WORDS)
            if canon is not None:
                return canon, key
        elif short is None and len(key) <= 2 and isinstance(value, str):
            canon = LEVELS.get(value.strip().upper())
            if canon is not None and len(value.strip()) >= 4:
                short = (canon, key)
    return short if short is not None else (None, None)


def _level_value(value: object, numbers: bool) -> str | None:
    """The canonical level a field value names (a level word, a level letter, a pino/bunyan
    or syslog number when ``numbers``), or ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        if not numbers or not float(value).is_integer():
            return None
        return _NUMERIC_LEVELS.get(int(value))
    if isinstance(value, str):
        word = value.strip().upper()
        canon = LEVELS.get(word) or _LETTER_LEVELS.get(word)
        if canon is None and _DEBUG_LETTER.fullmatch(word):
            canon = "DEBUG"
        return canon
    return None


def _guess_time(
    view: dict[str, Any], default_year: int, message_key: str | None
) -> tuple[datetime | None, str | None, bool]:
    """``(time, key, doubtful)`` when no known time key holds one: a key named for a time
    holding one (a date-time string, epoch seconds to nanoseconds in the plausible range, with
    or without a fraction), else any string value that is a date-time as a whole, first in the
    line. ``doubtful``: no time was found, but a line equal to this one up to its digits might
    find one (a time-named key's value with digits, a value shaped like a date-time that names
    no valid instant)."""
    loose: tuple[datetime, str] | None = None
    doubtful = False
    for key, value in view.items():
        if key == message_key or value is None or isinstance(value, bool | list):
            continue
        if _name_words(key) & _TIME_WORDS:
            found = _time_of(value, default_year)
            if found is not None:
                return found, key, False
            doubtful = doubtful or bool(_DIGIT.search(str(value)))
        elif loose is None and isinstance(value, str) and 8 <= len(value) <= 40:
            text = value.strip()
            if text[:1].isdigit() or text[:3].isalpha():
                stamp = match_timestamp(text, 0, default_year)
                if stamp is not None and stamp[1] == len(text):
                    if stamp[0] is not None:
                        loose = (stamp[0], key)
                    else:
                        doubtful = True
    if loose is not None:
        return loose[0], loose[1], False
    return None, None, doubtful


def _split_raw(
    raw: str, default_year: int, split_text: SplitText | None
) -> tuple[Header | None, str]:
    """The header and message of a raw line carried in a field."""
    raw = raw.strip()
    if raw.startswith("{"):
        found = split_json(raw, default_year, split_text)
        if found is not None:
            return found[0], found[1]
    split = split_text if split_text is not None else HeaderDetector(default_year).split
    header_and_message = split(raw)
    return header_and_message if header_and_message is not None else (None, raw)


def _render(template: str, obj: dict[str, Any]) -> str:
    """A message template with the properties it names in place (unknown ones left as they
    are)."""

    def value(m: re.Match[str]) -> str:
        v = obj.get(m.group(2))
        if v is None and m.group(2) not in obj:
            return m.group(0)
        return v if isinstance(v, str) else orjson.dumps(v).decode()

    return _PLACEHOLDER.sub(value, template.replace("{{", "{").replace("}}", "}"))


def _fields(obj: dict[str, Any], prefix: str, skip: set[str], out: list[str], depth: int) -> None:
    for key, value in obj.items():
        if len(out) >= MAX_FIELDS:
            return
        name = prefix + key
        if name in skip:
            continue
        if isinstance(value, dict) and value and depth < MAX_DEPTH:
            _fields(value, name + ".", skip, out, depth + 1)
        elif isinstance(value, str):
            if "\n" in value:
                value = value.split("\n", 1)[0].rstrip()
            if len(value.split(None, 1)) != 1:  # empty, or with whitespace
                value = orjson.dumps(value).decode()
            out.append(f"{name}={value}")
        else:
            out.append(f"{name}={orjson.dumps(value).decode()}")


_ROLES = {
    key: (role, rank)
    for role, keys in enumerate((_HOST_KEYS, _COMPONENT_KEYS, _PID_KEYS))
    for rank, key in enumerate(keys)
}
"""Key -> (0 host / 1 component / 2 pid, preference: lower first)."""


def _header_fields(obj: dict[str, Any]) -> tuple[str | None, str | None, str | None, str | None]:
    """``(host, component, pid, component key)``: for each, the most preferred key present
    with a string or number value (see :func:`_header_choice`)."""
    (_, host), (component_key, component), (_, pid) = (
        (key, None if key is None else header_value(obj[key])) for key, _ in _header_choice(obj)
    )
    return host, component, pid, component_key


def header_value(value: object) -> str | None:
    """The text of a header field's value: a non-empty string, or a number (not a bool)."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _header_choice(obj: dict[str, Any]) -> list[tuple[str | None, object]]:
    """The keys of host, component and pid, with their values: for each, the most preferred
    key present with a value :func:`header_value` reads (one pass over the object, most have
    few keys); ``(None, None)`` for a role no key fills."""
    chosen: list[tuple[str | None, object]] = [(None, None), (None, None), (None, None)]
    ranks = [99, 99, 99]
    for key, value in obj.items():
        found = _ROLES.get(key)
        if found is None or found[1] >= ranks[found[0]] or header_value(value) is None:
            continue
        chosen[found[0]], ranks[found[0]] = (key, value), found[1]
    return chosen


def _level(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    """``(level, key)``: the canonical level name, or the raw value when it is no known
    level."""
    raw: tuple[str | None, str | None] = (None, None)
    for key in _LEVEL_KEYS:
        value = obj.get(key)
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
            canon = _NUMERIC_LEVELS.get(int(value)) if float(value).is_integer() else None
        elif isinstance(value, str):
            word = value.strip().upper()
            canon = LEVELS.get(word) or _LETTER_LEVELS.get(word)
            if canon is None and _DEBUG_LETTER.fullmatch(word):
                canon = "DEBUG"
            if canon is None and key not in _SHORT_KEYS and raw[0] is None and word:
                raw = (value, key)
        else:
            continue
        if canon is not None:
            return canon, key
    if raw[0] is None:
        for key, value in obj.items():
            # A key named for a level with a qualifier ("error_severity", "logLevel"): only a
            # level word counts (a "battery_level" of 30 is data).
            if isinstance(value, str) and _LEVEL_SUFFIX.search(key):
                canon = LEVELS.get(value.strip().upper())
                if canon is not None:
                    return canon, key
    return raw


def _timestamp(obj: dict[str, Any], default_year: int) -> tuple[datetime | None, str | None]:
    """``(time, key)`` of the first time field that holds one."""
    for key in _TIME_KEYS:
        value = obj.get(key)
        if value is not None:
            found = _time_of(value, default_year)
            if found is not None:
                return found, key
    return None, None


def _time_of(value: Any, default_year: int) -> datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _epoch_int(value)
    if isinstance(value, float):
        return _epoch(value)
    if isinstance(value, str):
        if value.isdigit() and value.isascii():
            return _epoch_int(int(value))
        found = match_timestamp(value.strip(), 0, default_year)
        return found[0] if found is not None else None
    if isinstance(value, dict):
        if "$date" in value:  # MongoDB extended JSON
            return _time_of(value["$date"], default_year)
        if "$numberLong" in value:
            return _time_of(value["$numberLong"], default_year)
        seconds = value.get("seconds", value.get("epochSecond"))
        if isinstance(seconds, int | float | str) and str(seconds).isdigit():
            nanos = value.get("nanos", value.get("nanoOfSecond", 0))
            frac = nanos / 1e9 if isinstance(nanos, int) else 0.0
            return _epoch(float(seconds) + frac)
    return None


def _epoch(number: float) -> datetime | None:
    for below, scale in _EPOCH_SCALES:
        if abs(number) < below:
            seconds = number / scale
            break
    else:
        return None
    if not _EPOCH_RANGE[0] <= seconds <= _EPOCH_RANGE[1]:
        return None
    return datetime.fromtimestamp(seconds, UTC)


def _epoch_int(number: int) -> datetime | None:
    """:func:`_epoch` of an integer, exact to the microsecond: a float holds epoch seconds,
    milliseconds and microseconds exactly, not nanoseconds, which are divided as integers."""
    if -1e17 < number < 1e17:
        return _epoch(float(number))
    if not 0 < number < 1e20:
        return None
    whole, part = divmod(number, 1_000_000_000)
    if not _EPOCH_RANGE[0] <= whole <= _EPOCH_RANGE[1]:
        return None
    return datetime.fromtimestamp(whole, UTC) + timedelta(microseconds=part // 1000)
