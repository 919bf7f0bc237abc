"""Lines of comma-separated values that open with their timestamp: a server's CSV log
(``2026-03-02 10:00:00.123 UTC,"app","shop",4821,...,ERROR,42P01,"relation ""x"" does not
exist",,,...``), a spreadsheet export of log records.

A line is read this way when a timestamp ends right at its first comma and the line has at
least :data:`MIN_FIELDS` fields (RFC 4180 quoting: ``""`` inside quotes is one quote). The
level is the first field after the time that is a level word in upper case (``ERROR``,
``LOG``, ``WARNING``...), and the message the first field after the level that is a sentence
(it has a space); without one, the first non-empty field after the level that is not a code
(letters and digits mixed, such as an SQL state). No level field, or no message: not such a
line (the scanner reads it as any line).
"""

from __future__ import annotations

import csv
import re

from logsum.core.header import LEVELS
from logsum.core.model import Header
from logsum.core.timestamps import match_timestamp

MIN_FIELDS = 6
"""Fewer fields: a sentence with commas after a time, not a CSV record."""

MAX_CSV_CHARS = 16 * 1024
"""Longer lines are not read as CSV (they are taken as plain text)."""

_CODE = re.compile(r"[A-Z0-9]{2,12}")
"""A short upper-case code with digits (``42P01``, ``E1234``): not the message."""


def looks_like_csv(line: str) -> bool:
    """Cheap test: a digit first and enough commas."""
    return line[:1].isdigit() and line.count(",", 0, 400) >= MIN_FIELDS - 1


def split_csv(line: str, default_year: int) -> tuple[Header, str] | None:
    """``(header, message)`` of a CSV record line, or ``None`` when the line is not one."""
    if len(line) > MAX_CSV_CHARS:
        return None
    found = match_timestamp(line, 0, default_year)
    if found is None or found[0] is None or line[found[1] : found[1] + 1] != ",":
        return None
    try:
        fields = next(csv.reader([line[found[1] + 1 :]]), [])
    except csv.Error:
        return None
    if len(fields) < MIN_FIELDS - 1:
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
    return Header(found[0], LEVELS[fields[at]], None, None, None), " ".join(message.split())


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)
