"""Lines of comma- or tab-separated values: a server's CSV log (``2026-03-02 10:00:00.123
UTC,"app","shop",4821,...,ERROR,42P01,"relation ""x"" does not exist",,,...``), a spreadsheet
or event-viewer export of log records (``Information,3/2/2026 10:00:00 AM,Service Control
Manager,7036,None,The Windows Update service entered the running state.``), with or without
a header row.

A line is read this way when it has at least :data:`MIN_FIELDS` fields, separated by commas,
semicolons, tabs or pipes (the most frequent of them; RFC 4180 quoting:
``""`` inside quotes is one quote) and:

- **a header row was seen** (every field a short name, one naming a time or date and one a
  message, in common spellings: ``Date and Time``, ``timestamp``, ``Level``, ``Severity``,
  ``Message``, ``msg``, ``Description``...; :class:`CsvColumns` remembers it per field count
  and separator): its columns give the time (a date column and a time column read together),
  the level and the message of every later row with as many fields;
- else **by values**: a timestamp ends right at the first separator (the server's CSV log)
  or one of the first fields is a date-time as a whole (also a date field followed by a time
  field), and a field is a level word as a whole (``ERROR``, ``LOG``, ``Information``,
  ``Warning``). The message is, for a record opening with its time, the first field after the
  level that is a sentence (it has a space; without one the first non-empty field after the
  level that is not a code, letters and digits mixed such as an SQL state); otherwise the
  field that reads most as free text (an event source ``Service Control Manager`` reads less
  than the sentence that describes the event), when no non-empty field follows it, or in a
  record between pipes only short fields that are not text (a logger, a thread, a mark
  closing the record: ``[#|...|INFO|...|message|#]``); a JSON context or text after it is a
  logger's layout: the scanner reads it.

No time, no level or no message: not such a line (the scanner reads it as any line).
"""

from __future__ import annotations

import csv
import re
from typing import Any

from logsum.core.header import LEVELS
from logsum.core.model import Header
from logsum.core.timestamps import match_timestamp, match_timestamp_shape

MIN_FIELDS = 6
"""Fewer fields: a sentence with commas after a time, not a CSV record."""

MAX_CSV_CHARS = 16 * 1024
"""Longer lines are not read as CSV (they are taken as plain text)."""

MAX_LEAD_FIELDS = 4
"""The time of a record without a header row is one of its first fields."""

_CODE = re.compile(r"[A-Z0-9]{2,12}")
"""A short upper-case code with digits (``42P01``, ``E1234``): not the message."""


_SEPARATORS = frozenset(",;\t|")


def looks_like_csv(line: str) -> bool:
    """Cheap test: enough commas (or tabs, semicolons, pipes) near the start."""
    return (
        line.count(",", 0, 400) >= MIN_FIELDS - 1
        or line.count("\t", 0, 400) >= MIN_FIELDS - 1
        or line.count(";", 0, 400) >= MIN_FIELDS - 1
        or line.count("|", 0, 400) >= MIN_FIELDS - 1
    )


_NAME = re.compile(r"[A-Za-z][A-Za-z _.\-/()#]{0,39}")
_NAME_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_TIME_NAMES = frozenset(("time", "timestamp", "datetime", "ts", "logged", "when", "generated"))
_DATE_NAMES = frozenset(("date", "day"))
_LEVEL_NAMES = frozenset(("level", "severity", "lvl", "loglevel", "priority", "type"))
_MESSAGE_NAMES = frozenset(("message", "msg", "text", "description", "details", "body"))


def _name_words(name: str) -> set[str]:
    return {w.lower() for w in _NAME_WORD.findall(name)}


Columns = tuple[int, int, int, int]
"""Column indexes: (date-time or date, time of day or -1, level or -1, message)."""


class CsvColumns:
    """The header rows a source's CSV lines came with: per (separator, field count), where
    the time, level and message columns are. Bounded (a few exports per source)."""

    MAX_ROWS = 64

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], Columns] = {}
        self.changed = False
        """Set when a new header row was learned (lines read before it may now read
        otherwise: the engine forgets the shapes it learned from them)."""

    def learn(self, sep: str, fields: list[str]) -> bool:
        """Remember ``fields`` when they are a header row naming a time and a message."""
        if not all(_NAME.fullmatch(f.strip()) for f in fields):
            return False
        stamp = day = clock = level = message = -1
        for i, field in enumerate(fields):
            words = _name_words(field)
            if words & _MESSAGE_NAMES and message < 0:
                message = i
            elif words & _LEVEL_NAMES and level < 0 and not words & _TIME_NAMES:
                level = i
            elif words & _DATE_NAMES and words & _TIME_NAMES and stamp < 0:
                stamp = i  # "Date and Time"
            elif words & _TIME_NAMES and clock < 0:
                clock = i
            elif words & _DATE_NAMES and day < 0:
                day = i
        if stamp < 0:
            stamp, clock = (day, clock) if day >= 0 else (clock, -1)
        if stamp < 0 or message < 0:
            return False
        if len(self.rows) >= self.MAX_ROWS:
            self.rows.clear()
        columns = (stamp, clock, level, message)
        if self.rows.get((sep, len(fields))) != columns:
            self.rows[(sep, len(fields))] = columns
            self.changed = True
        return True

    def export(self) -> list[list[Any]]:
        """The header rows learned, as JSON values: ``[separator, field count, [time, clock,
        level, message]]`` each, oldest first (see :meth:`load`)."""
        return [[sep, n, list(columns)] for (sep, n), columns in self.rows.items()]

    def load(self, data: Any) -> None:
        """Take back what :meth:`export` gave (validated; ``ValueError`` when malformed)."""
        if not isinstance(data, list):
            raise ValueError("CSV header rows must be a list")
        rows: dict[tuple[str, int], Columns] = {}
        for item in data[-self.MAX_ROWS :]:
            if not (
                isinstance(item, list)
                and len(item) == 3
                and isinstance(item[0], str)
                and len(item[0]) == 1
                and isinstance(item[1], int)
                and isinstance(item[2], list)
                and len(item[2]) == 4
                and all(isinstance(i, int) and -1 <= i < item[1] for i in item[2])
            ):
                raise ValueError("each CSV header row must be [separator, fields, [4 columns]]")
            stamp, clock, level, message = item[2]
            rows[(item[0], item[1])] = (stamp, clock, level, message)
        self.rows = rows


def _fields(line: str, sep: str) -> list[str] | None:
    try:
        return next(csv.reader([line], delimiter=sep), [])
    except csv.Error:
        return None


Stamps = list[tuple[int, int, int]]
"""Where the record's time is written in the line: ``(start, end, timestamp shape)`` (as the
header detector reports it, for the shape cache), or empty when it is not one slice."""


def split_csv(
    line: str, default_year: int, columns: CsvColumns | None = None
) -> tuple[Header, str, Stamps] | None:
    """``(header, message, stamps)`` of a CSV record line, or ``None`` when the line is not
    one (a header row is remembered in ``columns`` and is not one either)."""
    if len(line) > MAX_CSV_CHARS:
        return None
    sep = max(_SEPARATORS, key=lambda c: (line.count(c, 0, 400), c))
    fields = _fields(line.strip("\r\n"), sep)
    if fields is None:
        return None
    known = None if columns is None else columns.rows.get((sep, len(fields)))
    if known is not None:  # the columns a header row named come first
        record = _by_columns(fields, known, default_year)
        return None if record is None else (*record, [])
    found = match_timestamp_shape(line, 0, default_year)
    if found is not None and found[0] is not None:
        after = line[found[1] : found[1] + 1]
        record = _time_first(line, found[0], found[1], default_year) if after == "," else None
        if record is not None:
            return (*record, [(0, found[1], found[2])])
    if len(fields) < MIN_FIELDS:
        return None
    if columns is not None and columns.learn(sep, fields):
        return None
    return _by_values(line, sep, fields, default_year)


def _time_first(line: str, stamp: object, end: int, default_year: int) -> tuple[Header, str] | None:
    """A record that opens with its time (a server's CSV log)."""
    fields = _fields(line[end + 1 :], ",")
    if fields is None or len(fields) < MIN_FIELDS - 1:
        return None
    at = next(
        (
            i
            for i, f in enumerate(fields)
            if f.isalpha() and f.isupper() and f in LEVELS and len(f) >= 3
        ),
        -1,
    )
    if at < 0:
        return None
    after = fields[at + 1 :]
    message = next((f for f in after if " " in f.strip()), None)
    if message is None:
        message = next(
            (f for f in after if f.strip() and not (_CODE.fullmatch(f) and _has_digit(f))), None
        )
    if message is None:
        return None
    header = Header(stamp, LEVELS[fields[at]], None, None, None)  # type: ignore[arg-type]
    return header, " ".join(message.split())


def _whole_time(text: str, default_year: int) -> object:
    """The instant a field is as a whole, or ``None``."""
    text = text.strip()
    if not 8 <= len(text) <= 40:
        return None
    found = match_timestamp(text, 0, default_year)
    if found is None or found[0] is None or found[1] != len(text):
        return None
    return found[0]


def _level_word(text: str) -> str | None:
    word = text.strip()
    if len(word) < 3 or not word.isalpha() or not (word.isupper() or word.istitle()):
        return None
    return LEVELS.get(word.upper())


def _by_columns(fields: list[str], known: Columns, default_year: int) -> tuple[Header, str] | None:
    stamp_at, clock_at, level_at, message_at = known
    text = fields[stamp_at].strip()
    if clock_at >= 0:
        text = f"{text} {fields[clock_at].strip()}"
    stamp = _whole_time(text, default_year)
    level = None
    if level_at >= 0:
        raw = fields[level_at].strip()
        level = LEVELS.get(raw.upper(), raw or None)
    message = fields[message_at].strip()
    if stamp is None:
        return None  # the header row again, or not a record of that export
    return Header(stamp, level, None, None, None), message  # type: ignore[arg-type]


_WORD = re.compile(r"[A-Za-z][a-z]*(?:'[a-z]+)?[.,:;!?]?")


def _prose(value: str) -> int:
    """How much a field reads as free text: its count of plain words when they are at least
    two and half its tokens."""
    tokens = value.split()
    words = sum(1 for t in tokens if _WORD.fullmatch(t))
    return words if words >= 2 and 2 * words >= len(tokens) else 0


def _by_values(
    line: str, sep: str, fields: list[str], default_year: int
) -> tuple[Header, str, Stamps] | None:
    stamp = None
    used: set[int] = set()
    stamps: Stamps = []
    for i, field in enumerate(fields[:MAX_LEAD_FIELDS]):
        stamp = _whole_time(field, default_year)
        if stamp is not None:
            used.add(i)
            # where the field is written, when no quoting comes before it
            at = sum(len(f) + 1 for f in fields[:i])
            if '"' not in line[: at + len(field)] and line[at : at + len(field)] == field:
                shape = match_timestamp_shape(field, 0, default_year)
                if shape is not None and shape[1] == len(field):
                    stamps.append((at, at + len(field), shape[2]))
            break
        if i + 1 < len(fields) and field.strip()[:1].isdigit():
            stamp = _whole_time(f"{field.strip()} {fields[i + 1].strip()}", default_year)
            if stamp is not None:
                used.update((i, i + 1))  # a date column and a time column
                break
    if stamp is None:
        return None
    level_at = next(
        (i for i, f in enumerate(fields) if i not in used and _level_word(f) is not None), -1
    )
    if level_at < 0:
        return None
    best = (0, -1)
    for i, field in enumerate(fields):
        if i in used or i == level_at:
            continue
        score = _prose(field)
        if score and score >= best[0]:
            best = (score, i)
    if best[1] < 0 or not all(_trailing(f, sep) for f in fields[best[1] + 1 :]):
        # the message column ends an export's record (between pipes, short fields that are
        # not text may follow it: a mark closing the record, a logger, a thread); a JSON
        # context or text after it is a layout the header scanner reads
        return None
    header = Header(stamp, _level_word(fields[level_at]), None, None, None)  # type: ignore[arg-type]
    return header, fields[best[1]].strip(), stamps


MAX_TRAILING_CHARS = 64
"""A column after the message is a short field."""


def _trailing(field: str, sep: str) -> bool:
    """Whether a column after the message may be a record's field: empty, or, between pipes
    (a logger's layout, not an export's record, whose last text column is its message),
    short, not text and not a structure (``{...}``, ``[...]`` hold context)."""
    value = field.strip()
    return not value or (
        sep == "|"
        and len(value) <= MAX_TRAILING_CHARS
        and value[0] not in "{["
        and not _prose(value)
    )


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)
