"""Plain typed values that cross the core's boundary.

Everything here is data: no I/O, no clock, no framework. Adapters (CLI, API, store, watch)
consume these values and never reach into the engine's internals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

WILDCARD = "<*>"
"""The token that stands for a variable part of a template (Loghub convention)."""


class Severity(StrEnum):
    """Severity of a line or pattern, most severe first."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    DEBUG = "debug"

    @property
    def rank(self) -> int:
        """0 for critical .. 4 for debug: lower is more severe."""
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        """True when this severity is as severe as ``other`` or more."""
        return self.rank <= other.rank


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class Header(NamedTuple):
    """What header detection found before the message. Absent fields are ``None``.

    A named tuple (immutable, and cheap to build: one is made per line)."""

    timestamp: datetime | None = None
    level: str | None = None
    host: str | None = None
    component: str | None = None
    pid: str | None = None


@dataclass(slots=True)
class LineResult:
    """The engine's verdict on one input line. Treat it as read-only (it is not frozen only
    because frozen dataclasses are several times slower to build, and one is built per line).

    ``params`` are the values at the ``<*>`` positions of the pattern's template as it was when
    the line was processed; templates may generalise later (see :meth:`Engine.template` and
    :meth:`Engine.params_of` for the values under the current template).
    """

    line: int
    """1-based position of the line in the engine's input stream."""
    pattern_id: str
    severity: Severity
    timestamp: datetime | None
    message: str
    params: tuple[str, ...]
    header: Header
    continuation: bool = False
    """True when the line continues the previous record (stack trace, indented continuation);
    it then carries that record's pattern id, severity and timestamp."""


@dataclass(frozen=True, slots=True)
class ParamSummary:
    """One ``<*>`` position of a template and a few of the values seen there."""

    index: int
    """0-based index among the template's wildcards."""
    examples: tuple[str, ...]
    """Up to ``EngineConfig.max_param_examples`` distinct values, in order of first sight."""


@dataclass(frozen=True, slots=True)
class Pattern:
    """A snapshot of one pattern (cluster of lines sharing a template)."""

    id: str
    template: str
    count: int
    severity: Severity
    first_seen: datetime | None
    last_seen: datetime | None
    params: tuple[ParamSummary, ...] = field(default_factory=tuple)
    aliases: tuple[str, ...] = ()
    """Ids of patterns that were folded into this one (their templates became equal); lines
    processed earlier may still carry them."""


def by_id_and_alias(patterns: Iterable[Pattern]) -> dict[str, Pattern]:
    """Each pattern under its id and under the ids it absorbed (lines mined before a fold
    still carry the folded pattern's id); a live pattern's own id wins over an alias."""
    out = {p.id: p for p in patterns}
    for p in list(out.values()):
        for alias in p.aliases:
            out.setdefault(alias, p)
    return out
