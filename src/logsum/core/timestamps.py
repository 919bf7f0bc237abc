"""Timestamps as applications write them, recognised without configuration.

Each shape is one regular expression with named groups; :func:`match_timestamp` tries them at a
position of a line and returns the parsed value and where the timestamp ends. Naive timestamps
are taken as UTC; a timestamp without a year gets the caller's ``default_year`` (the core reads
no clock).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_MON = r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_DOW = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?"
_HMS = r"(?P<H>\d{1,2}):(?P<M>\d{1,2}):(?P<S>\d{1,2})(?:[.,:](?P<frac>\d{1,9}))?"
_TZ = r"(?:\s?(?P<tz>Z|[+-]\d{2}:?\d{2}|UTC|GMT))?"

# Order matters: longer, more specific shapes first. Every shape must end at a word boundary.
_SHAPES: tuple[str, ...] = (
    # ISO 8601 and its common variants: 2015-10-18 18:01:47,978 / 2024-01-01T10:00:00.5+02:00
    r"(?P<Y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[T ]|-(?=\d\d[.:]))"
    r"(?P<H2>\d{1,2})[:.](?P<M2>\d{2})(?:[:.](?P<S2>\d{2})(?:[.,](?P<frac2>\d{1,9}))?)?" + _TZ,
    # Syslog / C: [Sun] Dec 04 04:47:44 [2005]
    rf"(?:{_DOW}\s+)?{_MON}\s+(?P<d>\d{{1,2}}),?\s+{_HMS}(?:\s+(?P<Y>\d{{4}}))?" + _TZ,
    # Apache access log: 10/Oct/2000:13:55:36 -0700
    rf"(?P<d>\d{{1,2}})/{_MON}/(?P<Y>\d{{4}}):{_HMS}" + _TZ,
    # Day first with month name: 04 Dec 2005 04:47:44
    rf"(?:{_DOW}\s+)?(?P<d>\d{{1,2}})\s+{_MON}\s+(?P<Y>\d{{4}})\s+{_HMS}" + _TZ,
    # Compact date and time: 20171223-22:15:29:606 / 20171223 221529
    r"(?P<Y>\d{4})(?P<m>\d{2})(?P<d>\d{2})[-T ]?" + _HMS,
    # Two-digit year, compact: 081109 203615
    r"(?P<y>\d{2})(?P<m>\d{2})(?P<d>\d{2})\s(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})",
    # Slashed dates: 17/06/09 20:10:40 (yy/mm/dd) and 06/09/2017 20:10:40 (mm/dd/yyyy)
    r"(?P<y>\d{2})/(?P<m>\d{2})/(?P<d>\d{2})\s+" + _HMS,
    r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<Y>\d{4})[\s,]+" + _HMS,
    # Month.day or month-day without year (logcat 03-17 16:13:38.811, 10.30 16:49:06)
    r"(?P<m>\d{2})[-.](?P<d>\d{2})\s+" + _HMS,
    # Date alone: 2005.06.03 / 2005-06-03
    r"(?P<Y>\d{4})[-/.](?P<m>\d{2})[-/.](?P<d>\d{2})",
    # Time alone: 18:01:47,978
    _HMS,
    # Unix epoch seconds (2001..2033) or milliseconds, alone as a field
    r"(?P<epoch>1\d{9})(?:\.(?P<efrac>\d{1,6}))?|(?P<epochms>1\d{12})",
)

_END = r"(?![\w:])"


def _compile() -> list[re.Pattern[str]]:
    return [re.compile(f"(?:{s}){_END}", re.IGNORECASE) for s in _SHAPES]


_PATTERNS = _compile()


def match_timestamp(text: str, pos: int, default_year: int) -> tuple[datetime | None, int] | None:
    """Try every timestamp shape at ``pos``.

    Returns ``(value, end)``, where ``value`` is ``None`` when the text has a timestamp's shape
    but names no valid point in time (a time of day alone, 31 February), or ``None`` when no
    shape matches.
    """
    if pos >= len(text) or not text[pos].isalnum():
        return None
    for pat in _PATTERNS:
        m = pat.match(text, pos)
        if m is not None:
            return _to_datetime(m, default_year), m.end()
    return None


def _to_datetime(m: re.Match[str], default_year: int) -> datetime | None:
    g = m.groupdict()
    try:
        if g.get("epoch"):
            value = datetime.fromtimestamp(int(g["epoch"]), tz=UTC)
            if g.get("efrac"):
                value += timedelta(microseconds=int(g["efrac"].ljust(6, "0")[:6]))
            return value
        if g.get("epochms"):
            return datetime.fromtimestamp(int(g["epochms"]) / 1000, tz=UTC)
        if g.get("Y"):
            year = int(g["Y"])
        elif g.get("y"):
            year = 2000 + int(g["y"])
        else:
            year = default_year
        if g.get("mon"):
            month = _MONTHS[g["mon"][:3].lower()]
        elif g.get("m"):
            month = int(g["m"])
        else:
            return None  # a time of day alone is no point in time
        day = int(g["d"])
        hour = int(g.get("H") or g.get("H2") or 0)
        minute = int(g.get("M") or g.get("M2") or 0)
        second = int(g.get("S") or g.get("S2") or 0)
        frac = g.get("frac") or g.get("frac2") or ""
        micro = int(frac.ljust(6, "0")[:6]) if frac else 0
        tz = _tzinfo(g.get("tz"))
        return datetime(year, month, day, hour, minute, min(second, 59), micro, tzinfo=tz)
    except (ValueError, OverflowError, OSError):
        return None


def _tzinfo(text: str | None) -> timezone:
    if not text or text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))
