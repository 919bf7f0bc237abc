"""Severity: from the line's level when it has one, otherwise from the words of the message."""

from __future__ import annotations

import re

from logsum.core.model import Severity

_FROM_LEVEL = {
    "TRACE": Severity.DEBUG,
    "DEBUG": Severity.DEBUG,
    "INFO": Severity.INFO,
    "NOTICE": Severity.INFO,
    "WARNING": Severity.WARNING,
    "ERROR": Severity.ERROR,
    "CRITICAL": Severity.CRITICAL,
}

# Words that carry severity in messages of any system. Checked on a pattern's template once,
# not on every line. Whole words only, case-insensitive.
_CRITICAL = re.compile(
    r"\b(?:fatal|panic|critical|emergency|kernel panic|out of memory|oom)\b", re.I
)
_ERROR = re.compile(
    r"\b(?:error|errors|err|fail|failed|failure|failures|exception|refused|denied|"
    r"unable|cannot|can't|couldn't|could not|invalid|illegal|abort|aborted|crash|crashed|"
    r"corrupt|corrupted|unreachable|broken|killed|segfault|timeout|timed out)\b",
    re.I,
)
_WARNING = re.compile(
    r"\b(?:warn|warning|deprecated|retry|retrying|slow|degraded|unexpected|not found|"
    r"missing|ignoring|ignored|dropped|dropping|exceeded|expired|expiring|lost|"
    r"interrupted|closing|reset)\b",
    re.I,
)


def severity_of_level(level: str | None) -> Severity | None:
    """The severity of a canonical level name (see :data:`logsum.core.header.LEVELS`)."""
    if level is None:
        return None
    return _FROM_LEVEL.get(level.upper())


def severity_of_text(text: str) -> Severity:
    """Severity guessed from the words of a message or template, for lines without a level."""
    if _CRITICAL.search(text):
        return Severity.CRITICAL
    if _ERROR.search(text):
        return Severity.ERROR
    if _WARNING.search(text):
        return Severity.WARNING
    return Severity.INFO
