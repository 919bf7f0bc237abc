"""Header detection: split a raw line into its header fields and its message.

No configuration: the scanner walks the start of the line field by field, the way a person
reads it, and stops at the first thing that is not header-like. It knows the conventions that
most loggers share, not any one system:

* a timestamp in one of many shapes (see :mod:`logsum.core.timestamps`), possibly in brackets,
  possibly preceded by one short tag;
* a level keyword (``INFO``, ``[error]``, ``<warn>``, ``W``...);
* a process id (a bare number, ``[123]``), a host after a syslog timestamp, upper-case facility
  words just before a level;
* a component: ``name:``, ``name[pid]:``, ``name(detail)[pid]:``, a dotted logger name after the
  level, a bracketed thread or logger ``[main]``;
* separators: ``|``, `` - ``, ``,``.

A header is only accepted when it holds a timestamp or a level; otherwise the whole line is the
message. A user may instead give a Loghub-style format (``<Date> <Time> <Level> <Content>``), see
:class:`LogFormat`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from logsum.core.model import Header
from logsum.core.timestamps import (
    PlanCache,
    match_timestamp,
    match_timestamp_shape,
    plan_for,
    shape_regex,
)

LEVELS: dict[str, str] = {
    # keyword (upper case) -> canonical level name
    "TRACE": "TRACE",
    "FINEST": "TRACE",
    "FINER": "DEBUG",
    "FINE": "DEBUG",
    "DEBUG": "DEBUG",
    "DBG": "DEBUG",
    "VERBOSE": "DEBUG",
    "CONFIG": "INFO",
    "INFO": "INFO",
    "INF": "INFO",
    "INFORMATION": "INFO",
    "NOTICE": "NOTICE",
    "WARN": "WARNING",
    "WARNING": "WARNING",
    "WRN": "WARNING",
    "ERR": "ERROR",
    "ERROR": "ERROR",
    "ERRO": "ERROR",
    "SEVERE": "ERROR",
    "CRIT": "CRITICAL",
    "CRITICAL": "CRITICAL",
    "ALERT": "CRITICAL",
    "EMERG": "CRITICAL",
    "EMERGENCY": "CRITICAL",
    "FATAL": "CRITICAL",
    "PANIC": "CRITICAL",
}
_SINGLE_LETTER_LEVELS = {"V": "DEBUG", "D": "DEBUG", "I": "INFO", "W": "WARNING", "E": "ERROR"}
_SINGLE_LETTER_LEVELS["F"] = "CRITICAL"

_WS = re.compile(r"\s*")
_LEVEL_WORD = re.compile(r"[<\[(]?([A-Za-z]{1,11})[>\])]?(?=[\s:|,\]-]|$)")
_BRACKET = re.compile(r"\[[^\[\]]*(?:\[[^\[\]]*\][^\[\]]*)*\]")
_COMPONENT_COLON = re.compile(
    r"(?P<comp>[A-Za-z_][\w.$@/\-]*(?:\([\w.:\-/ ]*\))?)"
    r"(?:\[(?P<pid>\w[\w.\-]*)\])?(?:\s\([^()]*\))?:(?=\s|$)"
    # a program name with one space before its [pid] (macOS "Microsoft Word[123]:")
    r"|(?P<comp2>[A-Za-z_][\w.\-]* [\w.\-]+)\[(?P<pid2>\d+)\](?:\s\([^()]*\))?:(?=\s|$)"
)
_PROGRAM_DASH = re.compile(r"(?P<comp>[^\s\[\]]+(?: [^\s\[\]-]+)?)\s+-\s")
_DOTTED_LOGGER = re.compile(r"[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)+(?=\s)")
_PID = re.compile(r"\d{1,10}(?=\s)")
_HOSTLIKE = re.compile(r"[\w][\w.:\-]*(?=\s)")
_HEADERISH = re.compile(r"(?:[A-Z][A-Z0-9_]{1,15}|\d{1,10}|[\w.:\-]*\d[\w.:\-]*)(?=\s)")
_TAG = re.compile(r"\S{1,64}(?=\s)")
_SLASHED_HOST = re.compile(r"[\w][\w.\-]*/[\w.\-]+(?=\s)")
# A name padded to a column width after the level (Windows CBS: "Info   CBS    Loaded ...").
_COLUMN = re.compile(r"([A-Za-z][\w.\-]{0,31})(?=  +\S)")
_PIPE_FIELD = re.compile(r"\|([^\s|]*)(?=\|)")

_MAX_FIELDS = 12


def _level_at(line: str, pos: int) -> tuple[str, int] | None:
    """A level keyword at ``pos`` (bare upper/Capitalised, or any case in brackets)."""
    m = _LEVEL_WORD.match(line, pos)
    if m is None:
        return None
    word = m.group(1)
    bracketed = m.group(0) != word
    upper = word.upper()
    level = LEVELS.get(upper)
    if level is None:
        return None
    if not bracketed and word not in (upper, upper.capitalize()):
        return None
    end = m.end()
    if end < len(line) and line[end] == ":":
        end += 1
    return level, end


_LETTER_LEVEL = re.compile(r"([VDIWEF])(?= +[^\s:]+: )")


def _letter_level_at(line: str, pos: int) -> tuple[str, int] | None:
    """A one-letter level as logcat writes it after the process and thread ids
    (``1702  2395 D WindowManager: ...``)."""
    m = _LETTER_LEVEL.match(line, pos)
    return (_SINGLE_LETTER_LEVELS[m.group(1)], m.end()) if m else None


def _level_soon(line: str, pos: int, within: int = 3) -> bool:
    """True when a level keyword starts one of the next ``within`` whitespace-separated tokens."""
    for _ in range(within):
        pos = _WS.match(line, pos).end()  # type: ignore[union-attr]
        if _level_at(line, pos) is not None:
            return True
        nxt = line.find(" ", pos)
        if nxt < 0:
            return False
        pos = nxt
    return False


@dataclass(slots=True)
class _Scan:
    line: str
    default_year: int
    pos: int = 0
    timestamp_end: int = -1
    syslog_host_due: bool = False
    timestamp: object = None
    has_timestamp: bool = False
    level: str | None = None
    host: str | None = None
    component: str | None = None
    pid: str | None = None
    spans: list[tuple[int, int, str]] = field(default_factory=list)

    def mark(self, start: int, end: int, kind: str) -> None:
        self.spans.append((start, end, kind))


def _scan(line: str, default_year: int) -> tuple[tuple[Header, str], _Scan] | None:
    s = _Scan(line, default_year)
    _leading_timestamps(s)
    for _ in range(_MAX_FIELDS):
        if not _next_field(s):
            break
    if not s.has_timestamp and s.level is None:
        return None
    message = line[s.pos :].strip()
    header = Header(
        timestamp=s.timestamp,  # type: ignore[arg-type]
        level=s.level,
        host=s.host,
        component=s.component,
        pid=s.pid,
    )
    return (header, message), s


def _try_timestamp(s: _Scan, pos: int) -> bool:
    line = s.line
    bracket = pos < len(line) and line[pos] == "["
    start = pos + 1 if bracket else pos
    found = match_timestamp_shape(line, start, s.default_year)
    if found is None:
        return False
    value, end, shape = found
    if bracket:
        if end < len(line) and line[end] == "]":
            end += 1
        else:
            return False
    if (value is not None and (s.timestamp is None)) or (
        value is not None and s.timestamp is not None and _is_time_only_fix(s, value)
    ):
        s.timestamp = value
    s.has_timestamp = True
    if line[start].isalpha() and not bracket:
        s.syslog_host_due = True  # syslog convention: the host follows "Mon dd hh:mm:ss"
    s.mark(pos, end, f"[ts{shape}" if bracket else f"ts{shape}")
    s.pos = end
    s.timestamp_end = end
    return True


def _is_time_only_fix(s: _Scan, value: object) -> bool:
    return (
        isinstance(s.timestamp, datetime)
        and isinstance(value, datetime)
        and (_date_only_fix(s.timestamp, value))
    )


def _date_only_fix(old: datetime, value: datetime) -> bool:
    # A later timestamp with a time of day replaces an earlier date-only one.
    return old.hour == 0 and old.minute == 0 and bool(value.hour or value.minute)


def _leading_timestamps(s: _Scan) -> None:
    line = s.line
    pos = _WS.match(line, 0).end()  # type: ignore[union-attr]
    if _try_timestamp(s, pos):
        return
    # One short tag before the timestamp (a label, a severity letter, a sequence number).
    tag = _TAG.match(line, pos)
    if tag is not None:
        after = _WS.match(line, tag.end()).end()  # type: ignore[union-attr]
        if _try_timestamp(s, after):
            s.spans.insert(0, (tag.start(), tag.end(), "tag"))
            return
    s.pos = pos


def _next_field(s: _Scan) -> bool:
    """Consume one header field at ``s.pos``; False when the message starts here."""
    line = s.line
    pos = _WS.match(line, s.pos).end()  # type: ignore[union-attr]
    if pos >= len(line):
        s.pos = pos
        return False
    ch = line[pos]
    # Separators between header fields.
    if ch in "|,":
        pipe = _PIPE_FIELD.match(line, pos) if ch == "|" else None
        if pipe is not None and (s.has_timestamp or s.level):
            _set_component_or_pid(s, pipe.group(1))
            s.mark(pos, pipe.end(), "pipe")
            s.pos = pipe.end()
            return True
        if s.has_timestamp or s.level:
            s.pos = pos + 1
            # The last "|" of a pipe-separated header: the message follows.
            return ch == ","
        return False
    if ch == "-" and line.startswith("- ", pos):
        # " - " continues the header only when a level or timestamp follows.
        after = _WS.match(line, pos + 1).end()  # type: ignore[union-attr]
        if _level_at(line, after) is not None or _try_timestamp(s, after):
            s.pos = after
            return True
        if s.has_timestamp or s.level:
            s.pos = after
        return False
    more_time = s.timestamp_end == pos or (
        s.has_timestamp and s.level is None and s.component is None
    )
    if more_time and _try_timestamp(s, pos):
        return True
    lvl = _level_at(line, pos)
    if lvl is None and s.pid is not None and s.level is None:
        lvl = _letter_level_at(line, pos)
    if lvl is not None and s.level is None and (s.has_timestamp or pos == 0):
        s.level, s.pos = lvl
        s.mark(pos, s.pos, "level")
        if line[s.pos - 1] == ":":
            return False
        return _after_level(s)
    if not (s.has_timestamp or s.level):
        return False
    if s.syslog_host_due and s.level is None:
        s.syslog_host_due = False
        host = _HOSTLIKE.match(line, pos) or _SLASHED_HOST.match(line, pos)
        comp = _COMPONENT_COLON.match(line, pos)
        if host is not None and (comp is None or comp.group("comp2")):
            s.host = s.host or host.group(0)
            s.mark(pos, host.end(), "host")
            s.pos = host.end()
            return True
    comp = _COMPONENT_COLON.match(line, pos)
    if comp is not None and not _level_soon(line, pos, 1):
        _take_component(s, comp)
        return False
    if ch == "[":
        br = _BRACKET.match(line, pos)
        if br is not None and s.level is None:
            inner = br.group(0)[1:-1]
            _set_component_or_pid(s, inner)
            s.mark(pos, br.end(), "bracket")
            s.pos = br.end()
            return True
    if s.level is None:
        dash = _PROGRAM_DASH.match(line, pos)
        if dash is not None and _level_at(line, dash.end()) is None:
            s.component = dash.group("comp")
            s.mark(pos, dash.end(), "dash")
            s.pos = dash.end()
            return False
        pid = _PID.match(line, pos)
        if pid is not None:
            s.pid = s.pid or pid.group(0)
            s.mark(pos, pid.end(), "pid")
            s.pos = pid.end()
            return True
        if _anchor_ahead(line, pos):
            tok = _HEADERISH.match(line, pos)
            if tok is not None:
                word = tok.group(0)
                if word.isupper() and word.isalpha():
                    s.component = word  # facility words before a level (KERNEL INFO)
                elif s.host is None:
                    s.host = word
                s.mark(pos, tok.end(), "headerish")
                s.pos = tok.end()
                return True
    s.pos = pos
    return False


def _after_level(s: _Scan) -> bool:
    """After the level: bracketed groups, then a component (``name:`` or a dotted logger)."""
    line = s.line
    # A bracket after the level ([main], [thread-1]) names a thread until a logger follows.
    tentative = False
    after_logger = False  # a bracket right after a logger holds context ([req-1 user -])
    for _ in range(4):
        pos = _WS.match(line, s.pos).end()  # type: ignore[union-attr]
        if pos >= len(line):
            s.pos = pos
            return False
        ch = line[pos]
        if ch == "[":
            br = _BRACKET.match(line, pos)
            if br is None:
                break
            spaced = any(c.isspace() for c in br.group(0))
            if spaced and not after_logger and not line.startswith((" - ", ": ", " | "), br.end()):
                break
            tentative = tentative or s.component is None
            _set_component_or_pid(s, br.group(0)[1:-1])
            s.mark(pos, br.end(), "bracket")
            s.pos = br.end()
            continue
        if ch in "-|" and line.startswith(("- ", "| "), pos):
            s.pos = pos + 2
            return False
        comp = _COMPONENT_COLON.match(line, pos)
        if comp is not None and (s.component is None or tentative):
            _take_component(s, comp)
            return False
        column = _COLUMN.match(line, pos)
        if column is not None and s.component is None and not after_logger:
            s.component = column.group(1)
            s.mark(pos, pos + len(column.group(1)), "column")
            s.pos = pos + len(column.group(1))
            continue
        logger = _DOTTED_LOGGER.match(line, pos)
        if logger is not None and (s.component is None or tentative):
            tentative = False
            after_logger = True
            s.component = logger.group(0)
            s.mark(pos, logger.end(), "logger")
            s.pos = logger.end()
            continue
        break
    s.pos = _WS.match(line, s.pos).end()  # type: ignore[union-attr]
    return False


def _take_component(s: _Scan, comp: re.Match[str]) -> None:
    s.component = comp.group("comp") or comp.group("comp2")
    s.pid = comp.group("pid") or comp.group("pid2") or s.pid
    s.mark(comp.start(), comp.end(), "comp")
    s.pos = comp.end()


def _anchor_ahead(line: str, pos: int, within: int = 5) -> bool:
    """True when, within the next ``within`` tokens, all header-like, a level or a timestamp
    starts: the tokens before it (hosts, node names, facility words) belong to the header."""
    for _ in range(within):
        nxt = line.find(" ", pos)
        if nxt < 0 or _HEADERISH.match(line, pos) is None:
            return False
        pos = _WS.match(line, nxt).end()  # type: ignore[union-attr]
        if _level_at(line, pos) is not None or match_timestamp(line, pos, 2000) is not None:
            return True
    return False


def _set_component_or_pid(s: _Scan, text: str) -> None:
    if text.isdigit():
        s.pid = s.pid or text
    elif s.component is None and text:
        s.component = text


def _unnamed(pattern: re.Pattern[str]) -> str:
    return re.sub(r"\(\?P<\w+>", "(?:", pattern.pattern)


_LEVEL_ALTERNATIVES = "|".join(
    sorted({v for k in LEVELS for v in (k, k.capitalize(), k.lower())}, key=len, reverse=True)
)
# The text each kind of header field may take, used to replay a learned layout.
_KIND_REGEX = {
    "tag": r"\S{1,64}",
    "level": rf"[<\[(]?(?:{_LEVEL_ALTERNATIVES})[>\])]?:?",
    "pipe": r"\|[^\s|]*(?=\|)",
    "comp": _unnamed(_COMPONENT_COLON),
    "bracket": _BRACKET.pattern,
    "dash": _unnamed(_PROGRAM_DASH),
    "pid": _PID.pattern,
    "host": f"(?:{_HOSTLIKE.pattern}|{_SLASHED_HOST.pattern})",
    "headerish": _HEADERISH.pattern,
    "logger": _DOTTED_LOGGER.pattern,
    "column": r"[A-Za-z][\w.\-]{0,31}(?=  +\S)",
}


def _gap(text: str, final: bool) -> str:
    out = []
    for part in re.split(r"(\s+)", text):
        if not part:
            continue
        out.append((r"\s*" if final else r"\s+") if part.isspace() else re.escape(part))
    return "".join(out)


class _Layout:
    """A header layout learned from one scanned line: replayed as one regular expression on
    the next lines of the same source, which is much cheaper than scanning them."""

    __slots__ = ("kinds", "last_stamps", "regex")

    def __init__(self, s: _Scan) -> None:
        parts = ["^"]
        prev = 0
        self.last_stamps: list[tuple[int, int, int]] = []
        self.kinds: list[tuple[str, int]] = []  # (kind, timestamp shape or -1)
        for start, end, kind in s.spans:
            parts.append(_gap(s.line[prev:start], final=False))
            shape = -1
            if kind.startswith("[ts"):
                shape = int(kind[3:])
                rx = r"\[" + shape_regex(shape) + r"\]"
            elif kind.startswith("ts"):
                shape = int(kind[2:])
                rx = shape_regex(shape)
            else:
                rx = _KIND_REGEX[kind]
            # Only the field itself captures: every inner group is made non-capturing.
            parts.append("(" + re.sub(r"\((?!\?)", "(?:", rx) + ")")
            self.kinds.append((kind, shape))
            prev = end
        parts.append(_gap(s.line[prev : s.pos], final=True))
        self.regex = re.compile("".join(parts))

    def split(
        self,
        line: str,
        default_year: int,
        stamps: dict[str, datetime | None],
        plans: PlanCache,
    ) -> tuple[Header, str] | None:
        m = self.regex.match(line)
        if m is None:
            return None
        timestamp: datetime | None = None
        level = host = component = pid = None
        self.last_stamps = [
            (m.start(i + 1), m.end(i + 1), shape)
            for i, (_, shape) in enumerate(self.kinds)
            if shape >= 0
        ]
        for (kind, shape), text in zip(self.kinds, m.groups(), strict=True):
            if shape >= 0:
                if text in stamps:
                    value = stamps[text]
                else:
                    bracket = kind[0] == "["
                    inner = text[1:-1] if bracket else text
                    plan = plan_for(inner, 0, shape, default_year, plans)
                    value = plan.read(inner) if plan is not None else None
                    if len(stamps) > 4096:
                        stamps.clear()
                    stamps[text] = value
                if value is not None and (timestamp is None or _date_only_fix(timestamp, value)):
                    timestamp = value
            elif kind == "level":
                lvl = _level_at(text, 0)
                level = lvl[0] if lvl else level
            elif kind == "comp":
                comp = _COMPONENT_COLON.match(text)
                if comp is not None:
                    component = comp.group("comp") or comp.group("comp2")
                    pid = comp.group("pid") or comp.group("pid2") or pid
            elif kind == "pipe" or kind == "bracket":
                inner = text[1:] if kind == "pipe" else text[1:-1]
                if inner.isdigit():
                    pid = pid or inner
                elif component is None and inner:
                    component = inner
            elif kind == "dash":
                component = text.rsplit("-", 1)[0].strip()
            elif kind == "pid":
                pid = pid or text
            elif kind == "host":
                host = host or text
            elif kind == "headerish":
                if text.isupper() and text.isalpha():
                    component = text
                elif host is None:
                    host = text
            elif kind == "logger" or kind == "column":
                component = component or text
        return Header(timestamp, level, host, component, pid), line[m.end() :].strip()


class HeaderDetector:
    """Header detection with memory: every header found by scanning teaches a layout, and
    later lines try the known layouts (most recently useful first) before scanning."""

    def __init__(self, default_year: int, max_layouts: int = 16) -> None:
        self.default_year = default_year
        self.max_layouts = max_layouts
        self._layouts: list[_Layout] = []
        self._by_lead: dict[str, list[_Layout]] = {}
        self._stamps: dict[str, datetime | None] = {}
        self._plans: PlanCache = {}
        self.last_stamps: list[tuple[int, int, int]] = []
        """Where the timestamps of the last line split were: ``(start, end, shape)``; a
        bracketed timestamp's span includes its brackets."""

    def split(self, line: str) -> tuple[Header, str] | None:
        """``(header, message)`` of ``line``, or ``None`` when it has no header."""
        # Layouts that matched lines starting like this one are tried first (a stream that
        # mixes sources does not pay for every source's layout on every line).
        first = line[:1]
        lead = "0" if first.isdigit() else "a" if first.isalpha() else first
        preferred = self._by_lead.setdefault(lead, [])
        for group in (preferred, self._layouts):
            for i, layout in enumerate(group):
                found = layout.split(line, self.default_year, self._stamps, self._plans)
                if found is not None:
                    if i:
                        group[i - 1], group[i] = group[i], group[i - 1]
                    if group is not preferred:
                        preferred.insert(0, layout)
                        del preferred[self.max_layouts :]
                    self.last_stamps = layout.last_stamps
                    return found
        self.last_stamps = []
        scanned = _scan(line, self.default_year)
        if scanned is None:
            return None
        result, s = scanned
        self.last_stamps = [
            (start, end, int(kind[3:] if kind[0] == "[" else kind[2:]))
            for start, end, kind in s.spans
            if kind.startswith(("ts", "[ts"))
        ]
        if s.spans:
            try:
                layout = _Layout(s)
            except (re.error, ValueError, KeyError):
                return result
            for group in (self._layouts, preferred):
                group.insert(0, layout)
                del group[self.max_layouts :]
        return result


class LogFormat:
    """A user-given header layout in the Loghub style: ``<Field>`` markers separated by literal
    text (regex syntax allowed between markers; spaces match any run of whitespace). The field
    named ``Content`` is the message. Fields named like a timestamp, level, host, component or
    pid fill the :class:`Header`."""

    _FIELD = re.compile(r"<(\w+)>")

    def __init__(self, fmt: str, default_year: int) -> None:
        if "<Content>" not in fmt:
            raise ValueError("a log format needs a <Content> field")
        parts = self._FIELD.split(fmt)
        regex = ""
        self.fields: list[str] = []
        for i, part in enumerate(parts):
            if i % 2 == 0:
                regex += re.sub(r" +", r"\\s+", part)
            else:
                self.fields.append(part)
                regex += f"(?P<{part}>.*)" if part == "Content" else f"(?P<{part}>.*?)"
        try:
            self.regex = re.compile("^" + regex + "$")
        except re.error as exc:
            raise ValueError(f"invalid log format: {exc}") from exc
        self.default_year = default_year

    def split(self, line: str) -> tuple[Header, str] | None:
        """Header and message of ``line``, or ``None`` when the line does not fit the format."""
        m = self.regex.match(line)
        if m is None:
            return None
        g = m.groupdict()
        stamp_text = " ".join(
            g[f] for f in self.fields if f.lower() in _TIME_FIELDS and g.get(f) is not None
        )
        timestamp = None
        if stamp_text:
            found = match_timestamp(stamp_text, 0, self.default_year)
            timestamp = found[0] if found else None
        level = _first(g, ("level", "severity", "type"))
        canon = LEVELS.get(level.upper()) if level else None
        header = Header(
            timestamp=timestamp,
            level=canon or level,
            host=_first(g, ("host", "node", "hostname", "user")),
            component=_first(g, ("component", "program", "logger", "source")),
            pid=_first(g, ("pid", "process", "thread")),
        )
        return header, g["Content"].strip()


_TIME_FIELDS = {"date", "time", "timestamp", "datetime", "month", "day", "year"}


def _first(groups: dict[str, str | None], names: tuple[str, ...]) -> str | None:
    for key, value in groups.items():
        if key.lower() in names and value:
            return value
    return None
