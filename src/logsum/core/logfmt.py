"""Lines of ``key=value`` pairs (logfmt): Go's logrus and slog text handlers, Heroku's router,
many command-line tools.

``time="2026-03-02T10:00:00Z" level=info msg="Starting up" version=1.2.3`` gives the header
(timestamp, level, component, pid, host from the usual keys) and the message: the ``msg``
value (``Starting up``), as the logger documents it; when it is one word (an event name such
as ``request``), the other pairs as they stand in the line are its context, mined after it
(template ``request method=<*> path=<*> status=<*>``) but not part of the message; with no
message the pairs are the text. Keys the parser does not know take a role by their name
(``short_message``, ``log_level``, ``event_time``) when their value fits it, and without a
time key a value that is a date-time as a whole gives the time. A ``msg`` value that holds
the record's epoch time (Linux audit: ``type=SYSCALL msg=audit(1772445600.123:2401):
arch=...``) gives the timestamp, the ``type`` the component, and the rest of the line is the
message.
"""

from __future__ import annotations

import re
from functools import lru_cache, partial

from logsum.core.header import LEVELS
from logsum.core.model import Header
from logsum.core.shapes import LOGFMT, Replay
from logsum.core.timestamps import match_timestamp

_PAIR = re.compile(r'([A-Za-z_@][\w.@/\-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)(?=\s|$)')
# One pair and the whitespace after it: a line is pairs back to back (``\s`` and
# ``str.isspace`` agree on what whitespace is).
_PAIR_AND_SPACE = re.compile(_PAIR.pattern + r"\s*")
_STARTS = re.compile(r"[A-Za-z_@][\w.@/\-]*=")
_MESSAGE_KEYS = frozenset({"msg", "message"})
_TIME_KEYS = frozenset({"time", "ts", "timestamp", "t", "date", "datetime"})
_LEVEL_KEYS = frozenset({"level", "lvl", "severity", "loglevel"})
_COMPONENT_KEYS = frozenset({"logger", "component", "module", "source", "caller"})
_PID_KEYS = frozenset({"pid"})
_HOST_KEYS = frozenset({"host", "hostname"})
_HEADER_KEYS = _TIME_KEYS | _LEVEL_KEYS | _COMPONENT_KEYS | _PID_KEYS | _HOST_KEYS
_NEEDED_KEYS = _MESSAGE_KEYS | _LEVEL_KEYS | _TIME_KEYS
"""A line is logfmt only with one of these among its keys."""

MAX_LOGFMT_CHARS = 16 * 1024
"""Longer lines are not read as logfmt (they are taken as plain text)."""


def looks_like_logfmt(line: str) -> bool:
    """Cheap test: the line opens with ``key=``."""
    return _STARTS.match(line) is not None


_ESCAPE = re.compile(r"\\(.)")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"':
        inner = value[1:-1]
        return _ESCAPE.sub(r"\1", inner) if "\\" in inner else inner
    return value


def split_logfmt(line: str, default_year: int) -> tuple[Header, str, str] | None:
    """``(header, message, context)`` of a logfmt line, or ``None`` when the line is not one:
    every token must be a pair, and a message, level or time key must be among them (a key
    named for one: ``short_message``, ``log_level``, ``event_time``, also counts when its
    value is one). ``context`` is the other pairs when the message is one word (an event
    name), else empty."""
    found = split_logfmt_placed(line, default_year)
    return None if found is None else (found[0], found[1], found[2])


LogfmtPlaces = tuple[int, slice | None, tuple[slice | str | None, ...], Replay]
"""Where a logfmt line's parts sit in it: the offset of its message (a verbatim slice of the
line), the slice of its one time value (``None``: no time key), its host, component and pid
(a slice of the line when the value has digits, else the value), and how lines equal to it up
to their digits are read back (what they must pass to be read alike)."""


def split_logfmt_placed(
    line: str, default_year: int
) -> tuple[Header, str, str, LogfmtPlaces | None] | None:
    """:func:`split_logfmt` with where the parts sit in ``line``, when every part that a line
    equal to this one up to its digits could read differently is a slice of the line: the
    message is the ``msg`` value as written (a sentence, no escapes), there is at most one
    time key and its value has no escapes (its timestamp is read from that text, whatever its
    digits), the level has no digit and the host, component and pid values with digits carry
    no escapes. A record whose time is in its ``msg`` value (Linux audit) is placed on the same
    terms, its message being the rest of the line; a line equal to it up to its digits is read
    alike only when its ``msg`` value still holds a time (``Replay.valid``). Otherwise the places
    are ``None``.

    The pairs of two lines equal up to their digits split alike (digits are word characters
    in keys and values alike), so such a line reads the same message, level and fields from
    the same places."""
    text = line.strip()
    if len(text) > MAX_LOGFMT_CHARS:
        return None
    pairs: list[tuple[str, str, str, int]] = []  # key, value, the pair as written, value at
    pos = 0
    match = _PAIR_AND_SPACE.match
    while pos < len(text):
        m = match(text, pos)
        if m is None:
            return None
        key, raw = m.group(1, 2)
        pairs.append((key.lower(), raw, text[pos : m.end(2)], m.start(2)))
        pos = m.end()
    keys = {k for k, _, _, _ in pairs}
    if len(pairs) < 2:
        return None
    guessed = keys.isdisjoint(_NEEDED_KEYS)
    if guessed:
        named = _named_roles(pairs, default_year)
        if named is None:
            return None
        pairs = named
    timestamp = level = component = pid = host = None
    message: list[str] = []
    rest: list[str] = []
    # Places, in ``text``: the message's; the timestamp's; host, component, pid.
    lead = len(line) - len(line.lstrip())
    placeable = True
    message_at = -1
    message_end = 0
    message_pair = -1  # which pair holds the message
    stamp_at: slice | None = None
    times = 0
    places: list[slice | str | None] = [None, None, None]
    day = clock = None  # a date and a time of day in keys of their own
    for index, (key, raw, written, at) in enumerate(pairs):
        if key in _TIME_KEYS:
            times += 1  # with two, which one gives the time depends on digits
        value = _unquote(raw)
        if key == "date":
            day = value
        elif key == "time":
            clock = value
        # Where ``value`` sits in the line, when it is written there as it is.
        value_at = -1 if "\\" in raw else lead + at + (raw[:1] == '"')
        if key in _MESSAGE_KEYS and not message:
            message_end = at + len(raw)
            message_pair = index
            message.append(" ".join(value.split()))
            message_at = value_at if message[0] == value else -1
        elif key in _TIME_KEYS and timestamp is None:
            found = match_timestamp(value, 0, default_year)
            timestamp = found[0] if found else None
            stamp_at = None if value_at < 0 else slice(value_at, value_at + len(value))
        elif key in _LEVEL_KEYS and level is None:
            level = LEVELS.get(value.upper(), value or None)
            placeable = placeable and not _DIGIT.search(value)
        elif key in _COMPONENT_KEYS and component is None:
            component = value or None
            places[1] = _place(component, value_at)
        elif key in _PID_KEYS and pid is None:
            pid = value or None
            places[2] = _place(pid, value_at)
        elif key in _HOST_KEYS and host is None:
            host = value or None
            places[0] = _place(host, value_at)
        elif key not in _HEADER_KEYS:
            rest.append(written)
    if day is not None and clock is not None and ":" in clock and ":" not in day:
        # FortiGate: "date=2026-03-02 time=10:00:00": the two read together
        found = match_timestamp(f"{day.strip()} {clock.strip()}", 0, default_year)
        if found is not None and found[0] is not None:
            timestamp, stamp_at = found[0], None
    if message and timestamp is None:
        stamped = _STAMPED.fullmatch(message[0])
        found = match_timestamp(stamped.group(1), 0, default_year) if stamped else None
        if found is not None:
            # The record's time in its msg value (Linux audit: "type=SYSCALL
            # msg=audit(1772445600.123:2401): arch=..."): the text after it is the message,
            # the record type names it.
            kinds = [w for w in rest if w.lower().startswith("type=")]
            kind = _unquote(kinds[0][5:]) if kinds else None
            header = Header(
                timestamp=found[0],
                level=level,
                host=host,
                component=component or kind,
                pid=pid,
            )
            body = text[message_end:]
            body_at = lead + message_end + len(body) - len(body.lstrip())
            placed = (
                placeable
                and message_at >= 0
                and not times
                and not guessed
                and all(p != "" for p in places)
                and (component is not None or kind is None or not _DIGIT.search(kind))
            )
            assert stamped is not None
            stamp = slice(message_at + stamped.start(1), message_at + stamped.end(1))
            if component is None:
                places[1] = kind  # the record type names it (placed only without digits)
            replay = Replay(valid=partial(_stamped_pair, message_pair, default_year))
            return (
                header,
                body.strip(),
                "",
                (body_at, stamp, tuple(places), replay) if placed else None,
            )
    header = Header(timestamp=timestamp, level=level, host=host, component=component, pid=pid)
    if message and " " in message[0]:
        # A sentence: the documented message body.
        placed = (
            placeable
            and message_at >= 0
            and times <= 1
            and (stamp_at is not None or not times)
            and all(p != "" for p in places)
            and not guessed
        )
        places_at = (message_at, stamp_at, tuple(places), LOGFMT)
        return header, message[0], "", places_at if placed else None
    if message and message[0]:
        # An event name: the message; the other pairs are its context.
        return header, message[0], " ".join(rest), None
    return header, " ".join(rest), "", None


_DIGIT = re.compile(r"\d")
# A msg value that is a name with the record's epoch time and serial: audit(1772445600.123:24):
_STAMPED = re.compile(r"[A-Za-z_][\w\-]*\((\d{9,13}(?:\.\d{1,9})?)(?::\d{1,20})?\):?")


def _stamped_pair(index: int, default_year: int, line: str) -> bool:
    """Whether pair ``index`` of a logfmt line (the message pair of a record placed with its
    time in its ``msg`` value) still holds a record's time that reads: a line equal up to its
    digits has the same pairs, but its numbers may be too long or no timestamp."""
    text = line.strip()
    pos = 0
    m = None
    for _ in range(index + 1):
        m = _PAIR_AND_SPACE.match(text, pos)
        if m is None:
            return False
        pos = m.end()
    if m is None:
        return False
    stamped = _STAMPED.fullmatch(_unquote(m.group(2)))
    return stamped is not None and _reads_as_time(stamped.group(1), default_year)


@lru_cache(maxsize=4096)
def _reads_as_time(text: str, default_year: int) -> bool:
    return match_timestamp(text, 0, default_year) is not None


def _place(value: str | None, at: int) -> slice | str | None:
    """Where a header value sits: a slice when it has digits (``""`` when it cannot be
    placed), else the value itself."""
    if value is None or not _DIGIT.search(value):
        return value
    return "" if at < 0 else slice(at, at + len(value))


_NAME_WORD = re.compile(r"[a-z]+")
_ROLE_WORDS = (
    ("msg", frozenset(("message", "msg", "text", "body", "payload"))),
    ("level", frozenset(("level", "severity", "lvl", "loglevel", "priority", "sev"))),
    ("time", frozenset(("time", "timestamp", "ts", "date", "datetime", "stamp", "epoch"))),
)


def _named_roles(
    pairs: list[tuple[str, str, str, int]], default_year: int
) -> list[tuple[str, str, str, int]] | None:
    """A line none of whose keys is a known message, level or time key: the first key named
    for each role (``short_message``, ``log_level``, ``event_time``) whose value is one (a
    level word; a timestamp as a whole; any text) takes the role's known key, and without a
    time key so named, the first value that is a date-time as a whole gives the time;
    ``None`` when no key takes a role (not a log line of pairs)."""
    out = list(pairs)
    taken: set[str] = set()
    for i, (key, raw, written, at) in enumerate(pairs):
        words = set(_NAME_WORD.findall(key))
        for role, names in _ROLE_WORDS:
            if role in taken or words.isdisjoint(names):
                continue
            value = _unquote(raw)
            if role == "level":
                ok = value.upper() in LEVELS
            elif role == "time":
                found = match_timestamp(value, 0, default_year)
                ok = found is not None and found[0] is not None and found[1] == len(value)
            else:
                ok = bool(value.strip())
            if ok:
                taken.add(role)
                out[i] = (role, raw, written, at)
                break
    if "time" not in taken:
        # no key named for a time: any value that is a date-time as a whole
        for i, (key, raw, written, at) in enumerate(out):
            value = _unquote(raw)
            if key in _ROLE_KEYS or not 8 <= len(value) <= 40 or not value[:1].isdigit():
                continue
            found = match_timestamp(value, 0, default_year)
            if found is not None and found[0] is not None and found[1] == len(value):
                out[i] = ("time", raw, written, at)
                taken.add("time")
                break
    return out if taken else None


_ROLE_KEYS = frozenset(("msg", "level", "time"))
