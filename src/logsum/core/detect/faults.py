"""What kind of line an error is: a fault event, a detail of a dump, or the caller's mistake.

Severity alone over-counts faults: a crash prints one event line and then a dump of registers or
fields (``instruction address: 0x00004ed8``, ``stack pointer.......0``), each carrying the same
FATAL level; and an error caused by the request itself (``No such file or directory``,
``Permission denied``) is the caller's problem, not a fault of the system. The rules below are
about the *shape* of a message and the standard error strings of operating systems (the
``strerror`` texts and their usual paraphrases), never about one system's vocabulary.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

from logsum.core.detect.caseless import Caseless
from logsum.core.model import Severity


class LineKind(StrEnum):
    """The role of a line's message."""

    EVENT = "event"
    """Something happened (the default)."""
    DETAIL = "detail"
    """A field of a dump: a label and value(s), no event of its own."""
    INPUT_ERROR = "input_error"
    """An error the caller's input explains (missing file, no permission, bad format)."""


_FAILURE = Caseless(
    r"(error|fail|fault|exception|panic|abort|fatal|crash|terminat|timeout|timed out|"
    r"refused|reset|sever|unreachable|denied|invalid|corrupt|lost|unable|cannot|can ?not|"
    r"warn|critical|alert|bad|illegal)"
)
_VALUE = re.compile(r"<\*>|[-+]?(?:0x)?[0-9a-fA-F]+(?:\.[0-9]+)?|\S*\d\S*")
_LEADER = re.compile(r"[\w>]\s*\.{2,}\s*(\S+)(?:\s*\((\S+)\))?\s*$")
_PAIR = re.compile(r"[\w.\[\]-]+[:=]\S*")
MAX_CLASSIFIED_CHARS = 300
"""Longer messages are events (dumps are short lines); bounds the work per pattern."""


def _is_value(token: str) -> bool:
    t = token.strip(",;()")
    return not t or _VALUE.fullmatch(t) is not None


_INPUT_ERRORS = (
    "no such file",
    "permission denied",
    "exec format error",
    "not a directory",
    "is a directory",
    "file exists",
    "invalid argument",
    "file name too long",
    "operation not permitted",
    "read-only file system",
)
"""The standard error strings (``strerror``) of errors the caller's input explains."""


MAX_KINDS_MEMO = 4_096
"""Messages whose kind :func:`classify` remembers between calls (least recently used out)."""

MAX_MEMO_MESSAGE_CHARS = 2 * MAX_CLASSIFIED_CHARS
"""Longer messages are classified without the memo (which then stays small in memory)."""


def classify(message: str) -> LineKind:
    """The kind of a message or template (``<*>`` counts as a value).

    Memoised by message: in one analysis the volume detector classifies the first fault line
    of each pattern and the novelty detector the first line of each fault pattern, often the
    same message; and a source's constant messages recur from batch to batch."""
    if len(message) > MAX_MEMO_MESSAGE_CHARS:
        return _classify(message)
    return _classify_memo(message)


def _classify(message: str) -> LineKind:
    """:func:`classify` without the memo."""
    s = message.strip()
    if not s:
        return LineKind.DETAIL
    if len(s) > MAX_CLASSIFIED_CHARS:
        return LineKind.EVENT
    low = s.lower()
    if any(text in low for text in _INPUT_ERRORS):
        return LineKind.INPUT_ERROR
    m = _LEADER.search(s) if ".." in s else None
    if (
        m is not None
        and "=" not in s[: m.start()]
        and _is_value(m.group(1))
        and (m.group(2) is None or _is_value(m.group(2)))
    ):
        return LineKind.DETAIL
    colon, equals = s.find(":"), s.find("=")
    cut = colon if equals < 0 else equals if colon < 0 else min(colon, equals)
    if cut < 0:
        return LineKind.EVENT  # no "label: value" nor "key=value": not a field of a dump
    if 0 < cut <= 60 and all(_is_value(t) for t in s[cut + 1 :].split()):
        # "Error: <*>" reports a failure; "exception syndrome register: <*>" names a field.
        words = s[:cut].split()
        if not (words and _FAILURE.found_in(words[-1])):
            return LineKind.DETAIL
    # Cheap tests first: a failure word is searched for only in a line of fields and values.
    tokens = s.split()
    if (
        len(tokens) <= 12
        and all(_PAIR.fullmatch(t) or _is_value(t) for t in tokens)
        and not _FAILURE.found_in(s)
    ):
        return LineKind.DETAIL
    return LineKind.EVENT


_classify_memo = lru_cache(maxsize=MAX_KINDS_MEMO)(_classify)


def names_a_failure(message: str) -> bool:
    """Whether a message or template says something failed (``exception``, ``failed``,
    ``timed out``...), whatever level it was logged at."""
    return _FAILURE.found_in(message[:MAX_CLASSIFIED_CHARS])


def effective_severity(severity: Severity, kind: LineKind) -> Severity:
    """The severity an anomaly about such lines deserves: details and input errors are capped
    at warning (they are not faults of the system by themselves)."""
    if kind is not LineKind.EVENT and severity.at_least(Severity.ERROR):
        return Severity.WARNING
    return severity


class KindCache:
    """``classify`` once per pattern id (its first message), bounded."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._kinds: dict[str, LineKind] = {}
        self._max = max_entries

    def kind(self, pattern_id: str, message: str) -> LineKind:
        """The kind of the pattern, classified from ``message`` on first sight."""
        k = self._kinds.get(pattern_id)
        if k is None:
            k = classify(message)
            if len(self._kinds) >= self._max:
                self._kinds.clear()
            self._kinds[pattern_id] = k
        return k

    def get(self, pattern_id: str) -> LineKind:
        """The cached kind, ``EVENT`` when unknown."""
        return self._kinds.get(pattern_id, LineKind.EVENT)
