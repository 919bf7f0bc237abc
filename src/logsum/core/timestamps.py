"""Timestamps as applications write them, recognised without configuration.

Each shape is one regular expression with named groups; :func:`match_timestamp` tries them at a
position of a line and returns the parsed value and where the timestamp ends. A timestamp
without a year gets the caller's ``default_year`` (the core reads no clock).

Zones: a timestamp that names its offset (``Z``, ``+01:00``, ``-0700``, ``UTC``, ``GMT+1``,
an unambiguous abbreviation such as ``CET`` or ``PDT``, see :data:`ZONE_ABBREVIATIONS`) keeps
it. A timestamp without one, or with an abbreviation that names several zones (``CST``,
``IST``...), is read in the zone the caller gives with the default year (a :class:`YearHint`,
an IANA name such as ``Europe/Berlin``; UTC when none is given) and returned in UTC. A local
time a daylight saving change skips or repeats is read with ``fold=0``: the offset in force
before the change.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from logsum.core.errors import InvalidOption
from logsum.core.text import zero_digits

DEFAULT_ZONE = "UTC"
"""The zone of timestamps that name none, unless the caller gives another."""


def zone_named(name: str) -> tzinfo:
    """The zone of IANA name ``name`` (``UTC``, ``Europe/Berlin``...), from the system's tz
    database. Raises :class:`~logsum.core.errors.InvalidOption` for an unknown name."""
    if name == DEFAULT_ZONE:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidOption(
            f"unknown time zone {name!r}: expected an IANA name such as 'Europe/Berlin' or 'UTC'"
        ) from None


class YearHint(int):
    """A default year that also knows today's date and the zone of zone-less timestamps
    (given by the caller: the core reads no clock). A year-less timestamp that would fall
    more than a day after today belongs to the year before: December lines read in January."""

    today: date | None
    zone: tzinfo
    dates: DateOrders

    def __new__(
        cls,
        year: int,
        today: date | None = None,
        zone: tzinfo = UTC,
        dates: DateOrders | None = None,
    ) -> YearHint:
        hint = super().__new__(cls, year)
        hint.today = today
        hint.zone = zone
        hint.dates = DateOrders() if dates is None else dates
        return hint


class TwentyFourHour(YearHint):
    """A :class:`YearHint` for text whose clock is known to run 24 hours: an ``AM`` or ``PM``
    after a time is a word of the message, not the half of the day (header detection reads a
    line so when its source's other timestamps of that shape carry no such marker)."""


def twenty_four_hour(default_year: int) -> TwentyFourHour:
    """``default_year`` (its year, today and zone) for a 24-hour clock."""
    return TwentyFourHour(
        int(default_year),
        getattr(default_year, "today", None),
        _zone_of(default_year),
        getattr(default_year, "dates", None),
    )


def _zone_of(default_year: int) -> tzinfo:
    return getattr(default_year, "zone", UTC)


def _year_for(default_year: int, month: int, day: int) -> int:
    today = getattr(default_year, "today", None)
    if today is None:
        return int(default_year)
    try:
        if date(int(default_year), month, day) - today > timedelta(days=1):
            return int(default_year) - 1
    except ValueError:
        pass
    return int(default_year)


def full_year(yy: int) -> int:
    """The year a two-digit year names, as POSIX ``strptime``'s ``%y`` reads it: 69-99 are
    1969-1999, 00-68 are 2000-2068."""
    return yy + (1900 if yy >= 69 else 2000)


# The orders a numeric date's three fields may be written in, most common first, by the
# separator and the width of the last field (4 digits: it is the year). Slashes and dashes:
# slashes: the US month first (``03/02/2026``, ``03/02/26``; .NET's and Python's ``%m/%d/%Y``
# examples), then the year first (``26/03/02``, log4j's ``yy/MM/dd``), then the day first.
# Dots and dashes: the day first (``02.03.2026`` as in most of Europe, log4j2's
# ``DD_MM_YYYY`` ``02-03-2026``), then the year first, then the month first.
_ORDERS: dict[tuple[str, bool], tuple[str, ...]] = {
    ("/", True): ("mdy", "dmy"),
    ("-", True): ("dmy", "mdy"),
    (".", True): ("dmy", "mdy"),
    ("/", False): ("mdy", "ymd", "dmy"),
    ("-", False): ("dmy", "ymd", "mdy"),
    (".", False): ("dmy", "ymd", "mdy"),
}


def _in_order(order: str, a: int, b: int, c: int, long_year: bool) -> tuple[int, int, int]:
    """``(year, month, day)`` of fields ``a``, ``b``, ``c`` written in ``order``."""
    if order == "mdy":
        y, m, d = c, a, b
    elif order == "dmy":
        y, m, d = c, b, a
    else:
        y, m, d = a, b, c
    return (y if long_year else full_year(y)), m, d


def _possible(ymd: tuple[int, int, int], default_year: int) -> bool:
    """Whether ``ymd`` is a day of the calendar, and not after next year when today is known
    (no log is written years ahead)."""
    y, m, d = ymd
    if not (1 <= m <= 12 and 1 <= d <= 31):
        return False
    try:
        date(y, m, d)
    except ValueError:
        return False
    today = getattr(default_year, "today", None)
    return today is None or y <= today.year + 1


_MAX_DATE_FORMS = 256
"""Forms (with their sources' contexts) whose date order evidence is kept (then all forgotten)."""


class DateOrders:
    """The order of day, month and year in the numeric dates of a stream, settled per source
    from its own lines: a date that is impossible in an order (a field above 12 where the month
    would be, 31 February, a year after next year) rules that order out for every timestamp of
    the same form (the text with each run of digits and of letters as one: ``0/0/0 0:0:0 a``),
    which stands for its source; the first order not ruled out, most common first (see
    :data:`_ORDERS`), reads them. ``version`` counts the changes of a chosen order, so that
    values read before one are not reused."""

    __slots__ = ("out", "version")

    def __init__(self) -> None:
        self.out: dict[str, set[str]] = {}
        self.version = 0

    def export(self) -> list[list[Any]]:
        """The evidence, as JSON values: ``[form, [orders ruled out]]`` per form (with its
        source's context), oldest first (see :meth:`load`)."""
        return [[form, sorted(out)] for form, out in self.out.items()]

    def load(self, data: Any) -> None:
        """Take back what :meth:`export` gave (validated; ``ValueError`` when malformed)."""
        if not isinstance(data, list):
            raise ValueError("date order evidence must be a list")
        known = {o for orders in _ORDERS.values() for o in orders}
        out: dict[str, set[str]] = {}
        for item in data[-_MAX_DATE_FORMS:]:
            if not (
                isinstance(item, list)
                and len(item) == 2
                and isinstance(item[0], str)
                and isinstance(item[1], list)
                and all(o in known for o in item[1])
            ):
                raise ValueError("each date order entry must be [form, [orders]]")
            out[item[0]] = set(item[1])
        self.out = out
        self.version += 1  # values read before under another order are not reused

    def _ruled_out(self, key: str) -> set[str]:
        out = self.out.get(key)
        if out is None:
            if len(self.out) >= _MAX_DATE_FORMS:
                self.out.clear()
            out = self.out[key] = set()
        return out

    def read(
        self,
        form: str,
        sep: str,
        a: int,
        b: int,
        c: int,
        long_year: bool,
        default_year: int,
    ) -> tuple[int, int, int] | None:
        """``(year, month, day)`` of the date ``a sep b sep c`` in a timestamp of ``form``, or
        ``None`` when it is no date in any order."""
        orders = _ORDERS.get((sep, long_year), _ORDERS[("/", long_year)])
        # A form with its source's context ("<context>\0<form>", see source_context) is read
        # by that source's own evidence, or while it has none by the evidence of every line of
        # the form (as is a timestamp read without its line).
        _, mark, bare = form.rpartition("\0")
        own = self._ruled_out(form)
        every = self._ruled_out(bare) if mark else own
        chosen = next((o for o in orders if o not in (own or every)), None)
        stream = next((o for o in orders if o not in every), None)
        readings = {o: _in_order(o, a, b, c, long_year) for o in orders}
        possible = [o for o in orders if _possible(readings[o], default_year)]
        if not possible:
            return None  # no date in any order: it tells nothing about the stream's
        own.update(o for o in orders if o not in possible)
        if every is not own:
            every.update(o for o in orders if o not in possible)
        now = next((o for o in orders if o not in (own or every)), None)
        if now != chosen or stream != next((o for o in orders if o not in every), None):
            self.version += 1  # (sources without evidence of their own read the stream's)
        if now is not None:
            return readings[now]
        # every order was ruled out by some line: read this one in the first it allows
        return readings[possible[0]]


def read_date(
    default_year: int, form: str, sep: str, a: str, b: str, c: str
) -> tuple[int, int, int] | None:
    """``(year, month, day)`` of a numeric date written ``a sep b sep c`` (the year first,
    last, two or four digits) in a timestamp of ``form`` (see :func:`stamp_form`), in the
    order its source's dates are written (see :class:`DateOrders`; without a stream, the first
    order that makes it a date)."""
    long_year = len(c) == 4
    x, y, z = int(a), int(b), int(c)
    dates = getattr(default_year, "dates", None)
    if dates is None:
        dates = DateOrders()
    return dates.read(form, sep, x, y, z, long_year, default_year)


_FORM_RUNS = re.compile(r"\d+|[^\W\d_]+")


def stamp_form(text: str) -> str:
    """A timestamp's form: each run of digits ``0``, each run of letters ``a``
    (``3/2/26 9:59:41:204 UTC`` and ``12/31/25 10:00:00:001 UTC`` are ``0/0/0 0:0:0:0 a``)."""
    return _FORM_RUNS.sub(lambda r: "0" if r.group().isdigit() else "a", text)


_PREFIX_CHARS = 40


def source_context(line: str, start: int) -> str:
    """What stands for a timestamp's source when its date's order is settled: the form of the
    text before it on the line (up to 40 characters, without the bracket or quote that opens
    the timestamp and the spaces before it): ``""`` at the line's start, ``"a |"`` after a
    ``web |`` prefix. Two sources writing the same date form keep their evidence apart."""
    if start <= 0:
        return ""
    prefix = line[max(0, start - _PREFIX_CHARS) : start].rstrip("[(<\"' \t")
    return stamp_form(prefix) if prefix else ""


def with_context(context: str, form: str) -> str:
    """``form`` keyed by its source's ``context`` (see :func:`source_context`)."""
    return f"{context}\0{form}"


_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_MON = r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_DOW = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?"
# A 12-hour clock's half of the day (java.util.logging "10:00:00 AM", "1:05:00 pm").
_AMPM = r"(?:\s?(?P<ampm>[AP]M))?"
_HMS = r"(?P<H>\d{1,2}):(?P<M>\d{1,2}):(?P<S>\d{1,2})(?:[.,:](?P<frac>\d{1,9}))?" + _AMPM
# After a date the seconds may be left out (RFC 822's "02 Jan 06 15:04 MST", "3/2/2026 10:00 AM")
_HM_S = r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{1,2})(?:[.,:](?P<frac>\d{1,9}))?)?" + _AMPM

# Zone abbreviations with one meaning in common use, and their offsets from UTC (hours).
# Several others are widely written for different zones (CST: US Central or China; IST:
# India, Ireland or Israel; BST: British summer or Bangladesh; AST: Atlantic or Arabia): they
# map to ``None`` and such a timestamp is read in the caller's zone, like one without any.
ZONE_ABBREVIATIONS: dict[str, float | None] = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0,
    "WET": 0, "WEST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "MSK": 3,
    "EST": -5, "EDT": -4, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10,
    "JST": 9, "KST": 9, "HKT": 8, "SGT": 8, "AWST": 8,
    "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
    "CST": None, "CDT": None, "IST": None, "BST": None, "AST": None,
}  # fmt: skip
# Abbreviations other than UTC and GMT are matched in upper case only ("west" is a word).


def _prefix_tree(words: list[str]) -> str:
    """A regular expression matching exactly ``words``, with shared prefixes factored out
    (``C(?:E(?:ST|T)|...)``): every line's header is matched against it, and a flat list of
    alternatives costs a try per word."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alternatives = [re.escape(ch) + emit(node[ch]) for ch in sorted(node) if ch]
        if not alternatives:
            return ""
        body = "(?:" + "|".join(alternatives) + ")" if len(alternatives) > 1 else alternatives[0]
        return f"(?:{body})?" if "" in node else body

    return emit(tree)


_ABBREVIATIONS = _prefix_tree([k for k in ZONE_ABBREVIATIONS if k not in ("Z", "UTC", "GMT")])
_TZ = (
    # (an offset of hours alone only glued to the time: "10:00:00,123+01", oVirt's engine.log;
    # an offset may be followed by UTC's name, Go's "+0000 UTC", or Java's "+01:00[Europe/Paris]";
    # a longer list of names here would make every learned layout's regex slower to compile)
    r"(?:\s?(?P<tz>Z|[+-]\d{2}:?\d{2}(?: (?:UTC|GMT)(?![\w/])|\[[A-Za-z][\w/+\-]{0,40}\])?"
    r"|(?<=\d)[+-]\d{2}(?![\d:])|(?:UTC|GMT)(?:[+-]\d{1,2}(?::?\d{2})?)?"
    rf"|(?-i:{_ABBREVIATIONS})))?"
)

# The second separator of a numeric date is the first one again ("03/02/2026", not
# "03/02-10:00:00", a month and day then the time); lookbehinds, not a backreference, so that
# the shape still reads once its groups are unnamed in a layout
_SAME_SEP = r"(?:(?<=/\d)/|(?<=/\d\d)/|(?<=\.\d)\.|(?<=\.\d\d)\.|(?<=-\d)-|(?<=-\d\d)-)"

_END = r"(?!\w|:\d)"
"""After a timestamp: no word character, no colon glued to a digit (``12:34:56:78:9a`` is no
time); a colon may follow as a separator (``2025-06-24 14:36:53: message``,
``2026-03-02 10:00:00,123:DEBUG:...``)."""

# Order matters: longer, more specific shapes first. Each is (regular expression, what must not
# follow it). A shape describes how date and time are written, not one program's format:
# fields in any of the common orders, separated by "/", "-", ".", spaces, "T" or ",", the year
# of 2 or 4 digits or none, the month as a number or a name (any length, any case, a day of
# the week before it or not), the time on a 24- or 12-hour clock, a fraction after ".", ","
# or ":", a zone as a name, an abbreviation, an offset or "Z".
_SHAPES: tuple[tuple[str, str], ...] = (
    # The year first: 2015-10-18 18:01:47,978 / 2024-01-01T10:00:00.5+02:00 /
    # 2025-06-24  14:36:25 (a run of spaces) / 2026-03-02 10:00:00 PM / 2026/03/02-10:00:00 /
    # 2026-03-02,10:00:00 (date and time in two CSV columns) / Mon 2026-03-02 10:00:00 CET
    # (journalctl's short-full)
    (
        rf"(?:{_DOW}\s+)?(?P<Y>\d{{4}})[-/.](?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}})"
        r"(?:T|[ \t]+|[-:_](?=\d\d[.:])|,(?=\d\d?:\d\d))"
        r"(?P<H2>\d{1,2})[:.](?P<M2>\d{2})(?:[:.](?P<S2>\d{2})(?:[.,:](?P<frac2>\d{1,9}))?)?"
        + _AMPM
        + _TZ,
        _END,
    ),
    # The month's name, then the day, no year or the year after the time (syslog, C ctime(),
    # date(1) with its zone before the year): [Sun] Dec 04 04:47:44 [2005], Mon Mar  2 10:00:00
    # UTC 2026, Mar-02 10:00:00.118
    (
        rf"(?:{_DOW}\s+)?{_MON}(?:\s+|[-/])(?P<d>\d{{1,2}}),?\s+{_HMS}"
        r"(?:\s(?P<tz2>(?-i:[A-Z]{3,5})|[+-]\d{4})(?=\s+\d{4}\b))?"
        r"(?:\s+(?P<Y>\d{4}))?" + _TZ,
        _END,
    ),
    # The month's name, day, year, time: Mar 02, 2026 10:00:00 AM, Mar-02-2026 10:00:00
    (
        rf"(?:{_DOW}\s+)?{_MON}(?:\s+|[-/])(?P<d>\d{{1,2}})(?:,?\s+|[-/])(?P<Y>\d{{4}})"
        rf"(?:,?\s+|[:T])" + _HM_S + _TZ,
        _END,
    ),
    # The day first, then the month's name: 10/Oct/2000:13:55:36 -0700 (Apache access log),
    # Mon, 04 Dec 2005 04:47:44 GMT, 02-Mar-2026 10:00:00.123, 02-Mar-26 10:00:00
    (
        rf"(?:{_DOW}\s+)?(?P<d>\d{{1,2}})(?:/|-|\s+){_MON}(?:/|-|\s+)"
        r"(?:(?P<Y>\d{4})|(?P<y>\d{2}))(?::{1,2}|\s+|T)" + _HM_S + _TZ,
        _END,
    ),
    # Compact date and time: 20171223-22:15:29:606 / 20171223 221529
    (r"(?P<Y>\d{4})(?P<m>\d{2})(?P<d>\d{2})[-T ]?" + _HMS + _TZ, _END),
    # Compact date, then compact time: 20260302:100000.123, 20260302-100000
    (
        r"(?P<Y>\d{4})(?P<m>[01]\d)(?P<d>[0-3]\d)[:\-T](?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})"
        r"(?:[.,](?P<frac>\d{1,6}))?" + _TZ,
        _END,
    ),
    # Two-digit year, compact: 081109 203615
    (r"(?P<y>\d{2})(?P<m>\d{2})(?P<d>\d{2})\s(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})", _END),
    # Two-digit year, compact date, then the time: 260302 10:00:00 (Tornado)
    (r"(?P<y>\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)\s+" + _HMS, _END),
    # A numeric date whose order is not written in it: 03/02/2026, 3/2/26, 02.03.2026,
    # 17/06/09 (yy/MM/dd), 03-02-2026, then the time after spaces, a comma, a dash or a colon.
    # Which field is the day, the month and the year is settled by the stream's own dates
    # (:class:`DateOrders`).
    (
        rf"(?:{_DOW}\s+)?(?P<a>\d{{1,2}})(?P<sep>[/.\-])(?P<b>\d{{1,2}}){_SAME_SEP}"
        r"(?P<c>\d{4}|\d{2})(?:[ \t]+|,\s*|T|[-:](?=\d\d?:))" + _HM_S + _TZ,
        _END,
    ),
    # Month.day or month-day without year (logcat 03-17 16:13:38.811, 10.30 16:49:06), or
    # month/day, then a dash and the time (Snort's alerts: 03/02-10:00:00.123456)
    (r"(?P<m>\d{2})[-./](?P<d>\d{2})(?:\s+|(?<=/\d\d)-(?=\d\d:))" + _HMS, _END),
    # A one-letter level glued to month and day, no year (glog, klog: I0302 10:00:00.583000)
    (r"(?-i:[DIWEFV])(?P<m>[01]\d)(?P<d>[0-3]\d)\s+" + _HMS, _END),
    # The same after its level letter, which header detection reads as the level: month and
    # day, then the time to the microsecond (0302 10:00:00.583000)
    (r"(?P<m>[01]\d)(?P<d>[0-3]\d)\s(?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})\.(?P<frac>\d{6})", _END),
    # Date alone: 2005.06.03 / 2005-06-03
    (r"(?P<Y>\d{4})[-/.](?P<m>\d{2})[-/.](?P<d>\d{2})", _END),
    # Time alone: 18:01:47,978
    (_HMS, _END),
    # Unix epoch seconds (2001..2033), with a fraction (audit: 1711111111.123:456), or
    # milliseconds, alone as a field
    # (milli-, micro- or nanoseconds: 13, 16 or 19 digits; journald, Zeek, Go's UnixNano)
    (
        r"(?P<epoch>1\d{9})(?:\.(?P<efrac>\d{1,9}))?|(?P<epochms>1\d{12}(?:\d{3}){0,2})",
        r"(?![\w.]|:[^\W\d])",
    ),
)


def _compile_shape(index: int, clock24: bool = False) -> re.Pattern[str]:
    # On a 24-hour clock the half-of-day group stays (group numbers are shared) but never
    # matches.
    s, end = _SHAPES[index]
    return re.compile(f"(?:{s.replace(_AMPM, _NO_AMPM) if clock24 else s}){end}", re.IGNORECASE)


_NO_AMPM = r"(?:\s?(?P<ampm>(?!)[AP]M))?"
CONVENTION_SHAPES: tuple[int, ...] = (5, 6, 7, 10, 11)
"""Indexes in the shapes above of one program's own timestamp (Zabbix's ``20260302:100000``,
a two-digit year glued to a compact date, glog's ``I0302``): ``bench/corpus.py
--generic-only`` switches them off (and :data:`CONVENTIONS`), leaving the shapes loggers share.
"""
CONVENTIONS: tuple[str, ...] = ("_COMPACT_FIELD",)
"""This module's recognisers of one program's timestamp field (Chromium's ``MMDD/HHMMSS``)."""
_PATTERNS = [_compile_shape(i) for i in range(len(_SHAPES))]
# The same shapes on a 24-hour clock, compiled on first use (``None`` until then): most runs
# need few or none of them, and compiling them all took about 30 ms of every process's start.
_PATTERNS_24: list[re.Pattern[str] | None] = [None] * len(_SHAPES)


def _pattern_24(index: int) -> re.Pattern[str]:
    """Timestamp shape ``index`` on a 24-hour clock."""
    pattern = _PATTERNS_24[index]
    if pattern is None:
        pattern = _PATTERNS_24[index] = _compile_shape(index, clock24=True)
        _SHAPE_OF[pattern] = index
    return pattern


def _patterns_24() -> list[re.Pattern[str]]:
    """Every shape on a 24-hour clock, in order (compiled the first time)."""
    if None in _PATTERNS_24:
        for index in range(len(_SHAPES)):
            _pattern_24(index)
    return _PATTERNS_24  # type: ignore[return-value]  # all compiled now


def match_timestamp(text: str, pos: int, default_year: int) -> tuple[datetime | None, int] | None:
    """Try every timestamp shape at ``pos``: ``(value, end)`` or ``None`` (see
    :func:`match_timestamp_shape`)."""
    found = match_timestamp_shape(text, pos, default_year)
    return None if found is None else (found[0], found[1])


def shape_regex(index: int) -> str:
    """The source of timestamp shape ``index`` without named groups, to embed in a layout."""
    return re.sub(r"\(\?P<\w+>", "(?:", _PATTERNS[index].pattern)


def match_timestamp_shape(
    text: str, pos: int, default_year: int
) -> tuple[datetime | None, int, int] | None:
    """Try every timestamp shape at ``pos``.

    Returns ``(value, end, shape)``, where ``value`` is ``None`` when the text has a timestamp's
    shape but names no valid point in time (a time of day alone, 31 February), or ``None`` when
    no shape matches.
    """
    if pos >= len(text) or not text[pos].isalnum():
        return None
    patterns = _patterns_24() if type(default_year) is TwentyFourHour else _PATTERNS
    for index, pat in enumerate(patterns):
        m = pat.match(text, pos)
        if m is not None:
            value = _to_datetime(m, default_year)
            if value is None and _not_half_day(m, index):
                # "00:00:03 PM ...", "17:00:00 AM ...": no 12-hour clock has that hour, so the
                # word is the message's, not the half of the day.
                m = _pattern_24(index).match(text, pos)
                if m is None:
                    return None
                value = _to_datetime(m, default_year)
            return value, m.end(), index
    return None


def _not_half_day(m: re.Match[str], index: int) -> bool:
    """Whether ``m`` read an ``AM``/``PM`` after an hour no 12-hour clock has."""
    half, *hours = _HALF_GROUPS[index]
    if half < 0 or m.group(half) is None:
        return False
    h = next((m.group(g) for g in hours if g >= 0 and m.group(g) is not None), None)
    return h is not None and not 1 <= int(h) <= 12


_NAMES: tuple[str, ...] = ("Y", "y", "mon", "m", "d", "H", "H2", "M", "M2", "S", "S2", "frac")
_NAMES += ("frac2", "ampm", "tz", "epoch", "efrac", "epochms", "a", "b", "c", "sep", "tz2")
# For each shape, where each named group sits in ``Match.groups()`` (-1: absent).
_INDEXES = [tuple(p.groupindex.get(n, 0) - 1 for n in _NAMES) for p in _PATTERNS]
_SHAPE_OF = {p: i for i, p in enumerate(_PATTERNS)}  # and the 24-hour ones once compiled
# Each shape's groups of the half of the day and of the hour (-1: absent).
_HALF_GROUPS = [tuple(p.groupindex.get(n, -1) for n in ("ampm", "H", "H2")) for p in _PATTERNS]


def _to_datetime(m: re.Match[str], default_year: int) -> datetime | None:
    groups = m.groups()
    idx = _INDEXES[_SHAPE_OF[m.re]] if m.re is not _LAST[0] else _LAST[1]
    _LAST[0], _LAST[1] = m.re, idx
    g = [groups[i] if i >= 0 else None for i in idx]
    Y, y, mon, mm, d, H, H2, M, M2, S, S2, frac, frac2, ampm, tz, epoch, efrac, epochms = g[:18]
    a, b, c, sep, tz2 = g[18:]
    try:
        if epoch:
            value = datetime.fromtimestamp(int(epoch), tz=UTC)
            if efrac:
                value += timedelta(microseconds=int(efrac.ljust(6, "0")[:6]))
            return value
        if epochms:
            return _from_epoch_digits(int(epochms), 10 ** (len(epochms) - 10))
        if a is not None:
            ymd = read_date(
                default_year,
                with_context(source_context(m.string, m.start()), stamp_form(m.group())),
                sep,  # type: ignore[arg-type]
                a,
                b,  # type: ignore[arg-type]
                c,  # type: ignore[arg-type]
            )
            if ymd is None:
                return None
            year, month, d = ymd
        else:
            if mon:
                month = _MONTHS[mon[:3].lower()]
            elif mm:
                month = int(mm)
            else:
                return None  # a time of day alone is no point in time
            year = (
                int(Y)
                if Y
                else (full_year(int(y)) if y else _year_for(default_year, month, int(d or 1)))
            )
        fraction = frac or frac2 or ""
        micro = int(fraction.ljust(6, "0")[:6]) if fraction else 0
        hour = int(H or H2 or 0)
        value = datetime(
            year,
            month,
            int(d),  # type: ignore[arg-type]
            _half_day(hour, ampm[0].upper()) if ampm else hour,
            int(M or M2 or 0),
            min(int(S or S2 or 0), 59),
            micro,
            tzinfo=_tzinfo(tz or tz2) or _zone_of(default_year),
        )
        return _in_utc(value)
    except (ValueError, OverflowError, OSError, TypeError):
        return None


_LAST: list[Any] = [None, None]


def _from_epoch_digits(n: int, per_second: int) -> datetime:
    """The instant of ``n`` units since the epoch, ``per_second`` units to the second."""
    seconds, part = divmod(n, per_second)
    micro = part * 1_000_000 // per_second
    return datetime.fromtimestamp(seconds, tz=UTC) + timedelta(microseconds=micro)


_COMPACT_FIELD = re.compile(r"(?:^|:)(\d\d)(\d\d)/(\d\d)(\d\d)(\d\d)(?:\.(\d{1,9}))?(?=:|$)")


def compact_field_time(inner: str, default_year: int) -> datetime | None:
    """The time of a colon-separated field ``MMDD/HHMMSS.ffffff`` inside a bracketed header
    (``[1234:5678:0302/100000.123456:ERROR:file.cc(52)]``, the year left out), or ``None``."""
    m = _COMPACT_FIELD.search(inner)
    if m is None:
        return None
    mon, day, hour, minute, sec, frac = m.groups()
    try:
        value = datetime(
            _year_for(default_year, int(mon), int(day)),
            int(mon),
            int(day),
            int(hour),
            int(minute),
            min(int(sec), 59),
            int(frac.ljust(6, "0")[:6]) if frac else 0,
            tzinfo=_zone_of(default_year),
        )
    except ValueError:
        return None
    return _in_utc(value)


def _half_day(hour: int, half: str) -> int:
    """The 24-hour clock's hour of ``hour`` in half ``half`` (``A`` or ``P``) of the day."""
    if not 1 <= hour <= 12:
        raise ValueError("not an hour of a 12-hour clock")
    return hour % 12 + (12 if half == "P" else 0)


def _in_utc(value: datetime) -> datetime:
    """``value`` as it is when it has a fixed offset, else (a time read in a named zone) in
    UTC: the instant is the same, and every value the core returns has a fixed offset."""
    return value if value.tzinfo.__class__ is timezone else value.astimezone(UTC)


_Slice = tuple[int, int]


class StampPlan:
    """How to read a timestamp straight from fixed offsets, learned from one text of a shape.

    Lines equal up to their digits put every timestamp field at the same offsets, so reading
    them again needs no regular expression: slices and ``int`` only.
    """

    __slots__ = (
        "_fields",
        "day",
        "end",
        "epoch",
        "frac",
        "frac_scale",
        "half",
        "head_span",
        "heads",
        "hour",
        "last",
        "local",
        "minute",
        "month",
        "order",
        "order_dates",
        "order_seen",
        "second",
        "shape_index",
        "start",
        "tz",
        "year",
        "yy",
    )

    def __init__(
        self, m: re.Match[str], base: int, default_year: int, context: str | None = None
    ) -> None:
        groups = dict(zip(_NAMES, _INDEXES[_SHAPE_OF[m.re]], strict=True))
        self.start, self.end = base, base + m.end()
        self.shape_index = _SHAPE_OF[m.re]
        self.last: tuple[str, datetime | None] = ("", None)  # lines often share a timestamp

        def span(*names: str) -> _Slice | None:
            for name in names:
                i = groups[name]
                if i >= 0 and m.group(i + 1) is not None:
                    a, b = m.span(i + 1)
                    return (a + base, b + base)
            return None

        self.epoch: tuple[int, _Slice] | None = None
        for name in ("epoch", "epochms"):
            at = span(name)
            if at is not None:
                self.epoch = (10 ** (at[1] - at[0] - 10), at)
        self.yy = span("y")
        self.year: _Slice | int = span("Y") or default_year
        mon = span("mon")
        self.month: _Slice | int = (
            _MONTHS[m.string[mon[0] - base : mon[0] - base + 3].lower()] if mon else span("m") or 0
        )
        self.day = span("d")
        # A date whose order is settled by the stream: its three fields, separator, year width.
        self.order: tuple[_Slice, _Slice, _Slice, str, str] | None = None
        a, b, c = span("a"), span("b"), span("c")
        if a is not None and b is not None and c is not None:
            sep = m.string[a[1] - base]
            form = stamp_form(m.group())
            self.order = (a, b, c, sep, form if context is None else with_context(context, form))
            self.month, self.day, self.year = 1, b, default_year
        dates: DateOrders | None = getattr(default_year, "dates", None)
        self.order_dates = dates if self.order is not None else None
        self.order_seen = dates.version if dates is not None else 0
        self.hour = span("H", "H2")
        self.minute = span("M", "M2")
        self.second = span("S", "S2")
        self.frac = span("frac", "frac2", "efrac")
        self.tz = span("tz", "tz2")
        half = span("ampm")
        # A.M. or P.M. is part of the plan: texts of one plan share their letters.
        self.half = m.string[half[0] - base].upper() if half else ""
        self.local = _zone_of(default_year)
        if self.epoch is None and (self.month == 0 or self.day is None):
            raise ValueError("no date in this timestamp")
        f = self.frac
        self.frac_scale = 10 ** (6 - (f[1] - f[0])) if f and f[1] - f[0] <= 6 else 1
        if f and f[1] - f[0] > 6:
            self.frac = (f[0], f[0] + 6)  # nanoseconds: keep the microseconds
        fields = [x for x in (self.yy, self.year, self.month, self.day, self.hour) if x]
        spans = [x for x in fields if isinstance(x, tuple)]
        if self.order is not None:
            spans += [self.order[0], self.order[2]]
        self.head_span = (min(a for a, _ in spans), max(b for _, b in spans)) if spans else (0, 0)
        self.heads: dict[str, tuple[int, int, int, int] | tuple[()]] = {}
        # What _read slices on every line, as slice objects (one subscript each).
        self._fields: tuple[slice, slice | None, slice | None, slice | None, slice | None] = (
            slice(*self.head_span),
            None if self.minute is None else slice(*self.minute),
            None if self.second is None else slice(*self.second),
            None if self.frac is None else slice(*self.frac),
            None if self.tz is None else slice(*self.tz),
        )

    def read(self, line: str) -> datetime | None:
        """The timestamp at this plan's offsets of ``line``, or ``None`` if invalid."""
        text = line[self.start : self.end]
        dates = self.order_dates
        if dates is not None and dates.version != self.order_seen:
            # the stream's date order changed: what was read before is read again
            self.order_seen = dates.version
            self.heads.clear()
            self.last = ("", None)
        last = self.last
        if text == last[0]:
            return last[1]
        # The common case of _read written out (a date whose head was read before, no epoch):
        # a call less per line whose time changed.
        head_at, mi_at, s_at, f_at, tz_at = self._fields
        head = None if self.epoch is not None else self.heads.get(line[head_at])
        if head is None:
            value = self._read(line)
        elif not head:
            value = None
        else:
            try:
                value = datetime(
                    *head,
                    int(line[mi_at]) if mi_at else 0,
                    min(int(line[s_at]), 59) if s_at else 0,
                    int(line[f_at]) * self.frac_scale if f_at else 0,
                    self.local if tz_at is None else _tzinfo(line[tz_at]) or self.local,
                )
                if value.tzinfo is not UTC:
                    value = _in_utc(value)
            except (ValueError, OverflowError, OSError):
                value = None
        self.last = (text, value)
        return value

    def _read(self, line: str) -> datetime | None:
        try:
            if self.epoch is not None:
                div, (a, b) = self.epoch
                if div != 1:
                    return _from_epoch_digits(int(line[a:b]), div)
                value = datetime.fromtimestamp(int(line[a:b]), tz=UTC)
                f = self.frac
                if f is None:
                    return value
                return value + timedelta(microseconds=int(line[f[0] : f[1]]) * self.frac_scale)
            # Year, month, day and hour change rarely: read them once per distinct text.
            head_at, mi_at, s_at, f_at, tz_at = self._fields
            key = line[head_at]
            heads = self.heads
            head = heads.get(key)
            if head is None:
                head = self._head(line)
                if len(heads) > 1024:
                    heads.clear()
                heads[key] = head
            if not head:
                return None
            year, month, day, hour = head
            value = datetime(
                year,
                month,
                day,
                hour,
                int(line[mi_at]) if mi_at else 0,
                min(int(line[s_at]), 59) if s_at else 0,
                int(line[f_at]) * self.frac_scale if f_at else 0,
                self.local if tz_at is None else _tzinfo(line[tz_at]) or self.local,
            )
            return value if value.tzinfo is UTC else _in_utc(value)
        except (ValueError, OverflowError, OSError):
            return None

    def _head(self, line: str) -> tuple[int, int, int, int] | tuple[()]:
        y = self.year
        h = self.hour
        if self.order is not None:
            (a0, a1), (b0, b1), (c0, c1), sep, form = self.order
            ymd = read_date(
                y,  # type: ignore[arg-type]
                form,
                sep,
                line[a0:a1],
                line[b0:b1],
                line[c0:c1],
            )
            if ymd is None:
                return ()
            year, month, day = ymd
        else:
            mo = self.month
            month = mo if isinstance(mo, int) else int(line[mo[0] : mo[1]])
            d = self.day
            day = int(line[d[0] : d[1]])  # type: ignore[index]
            if self.yy:
                year = full_year(int(line[self.yy[0] : self.yy[1]]))
            else:
                year = _year_for(y, month, day) if isinstance(y, int) else int(line[y[0] : y[1]])
        hour = int(line[h[0] : h[1]]) if h else 0
        try:
            if self.half:
                hour = _half_day(hour, self.half)
            datetime(year, month, day, hour)
        except ValueError:
            return ()
        return (year, month, day, hour)


PlanCache = dict[tuple[int, int, int, tzinfo, str, str | None], "StampPlan | None"]
ORDERED_SHAPES: frozenset[int] = frozenset(i for i, idx in enumerate(_INDEXES) if idx[18] >= 0)
"""The timestamp shapes whose date's order is settled by the stream (``a``, ``b``, ``c``): only
their plans need a :func:`source_context`."""


def plan_for(
    text: str,
    base: int,
    shape: int,
    default_year: int,
    cache: PlanCache,
    context: str | None = None,
) -> StampPlan | None:
    """A :class:`StampPlan` for timestamp ``text`` of ``shape`` found at offset ``base``.
    Timestamps equal up to their digits share a plan (held in the caller's ``cache``).
    ``context``: :func:`source_context` of the timestamp on its line, which keeps the date
    order of its source apart from other sources' (``None``: not known, the order of every
    line of the form is used)."""
    key = (shape, base, default_year, _zone_of(default_year), zero_digits(text), context)
    if key in cache:
        return cache[key]
    m = _PATTERNS[shape].match(text)
    plan = None
    if m is not None:
        try:
            plan = StampPlan(m, base, default_year, context)
            plan.shape_index = shape
        except ValueError:
            plan = None
    if len(cache) > 4096:
        cache.clear()
    cache[key] = plan
    return plan


_ZERO = timedelta(0)


@lru_cache(maxsize=256)
def _tzinfo(text: str | None) -> timezone | None:
    """The fixed offset a timestamp's zone text names (``Z``, ``-0700``, ``+01:00``,
    ``GMT+1``, ``CEST``), or ``None`` when it names none (absent, or an ambiguous abbreviation:
    the caller's zone applies)."""
    if not text:
        return None
    upper = text.upper()
    if upper[0] in "+-":
        sign, digits = upper[0], upper[1:].split(" ", 1)[0].split("[", 1)[0]
    elif len(upper) > 3 and upper[:3] in ("UTC", "GMT"):
        sign, digits = upper[3], upper[4:]
    else:
        hours = ZONE_ABBREVIATIONS.get(upper)
        if hours is None:
            return None
        offset = timedelta(hours=hours)
        return UTC if offset == _ZERO else timezone(offset)
    digits = digits.replace(":", "")
    h, mi = (digits, "0") if len(digits) <= 2 else (digits[:-2], digits[-2:])
    offset = (-1 if sign == "-" else 1) * timedelta(hours=int(h), minutes=int(mi))
    return UTC if offset == _ZERO else timezone(offset)
