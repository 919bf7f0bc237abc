"""The engine: raw lines in, per-line results and patterns out (streaming, bounded)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from logsum.core.config import EngineConfig
from logsum.core.model import WILDCARD, Header, LineResult, Pattern, Severity

_DIGITS = re.compile(r"\S*\d\S*")


class Engine:
    """Mines patterns from a stream of log lines.

    One engine owns its state; it is not thread-safe. Feed lines with :meth:`process`; read the
    patterns with :meth:`patterns`. ``message_only`` skips header detection (each line is a bare
    message); ``log_format`` is an optional Loghub-style header format such as
    ``"<Date> <Time> <Level> <Content>"``.
    """

    def __init__(
        self,
        config: EngineConfig | None = None,
        *,
        message_only: bool = False,
        log_format: str | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        self.message_only = message_only
        self.log_format = log_format
        self._by_template: dict[str, str] = {}
        self._patterns: dict[str, dict[str, Any]] = {}
        self.line_count = 0

    def process(self, line: str) -> LineResult:
        """Parse one line (without its line break) and update the patterns."""
        self.line_count += 1
        message = line.rstrip("\r\n")
        template = " ".join(_DIGITS.sub(WILDCARD, message).split())
        pid = self._by_template.get(template)
        if pid is None:
            pid = f"p_{len(self._by_template):016x}"
            self._by_template[template] = pid
            self._patterns[pid] = {"template": template, "count": 0}
        self._patterns[pid]["count"] += 1
        return LineResult(
            line=self.line_count,
            pattern_id=pid,
            severity=Severity.INFO,
            timestamp=None,
            message=message,
            params=(),
            header=Header(),
        )

    def process_many(self, lines: Iterable[str]) -> list[LineResult]:
        """Process lines in order and return their results."""
        return [self.process(line) for line in lines]

    def patterns(self) -> list[Pattern]:
        """All patterns, most frequent first."""
        out = [
            Pattern(pid, p["template"], p["count"], Severity.INFO, None, None)
            for pid, p in self._patterns.items()
        ]
        out.sort(key=lambda p: (-p.count, p.id))
        return out

    def pattern(self, pattern_id: str) -> Pattern | None:
        """One pattern by id, or ``None``."""
        return next((p for p in self.patterns() if p.id == pattern_id), None)

    def template(self, pattern_id: str) -> str:
        """The current template of a pattern."""
        return str(self._patterns[pattern_id]["template"])

    def params_of(self, pattern_id: str, message: str) -> tuple[str, ...]:
        """Values of ``message`` at the wildcards of the pattern's current template."""
        return ()
