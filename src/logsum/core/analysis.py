"""Anomalies and insights for a batch of parsed lines: the one entry point adapters call.

``analyze_batch(results, patterns, known_pattern_ids=..., options=...)`` takes the engine's
per-line results and pattern snapshots and returns an :class:`AnalysisReport`. It is pure and
deterministic: the same inputs give the same anomalies, insights and ids.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from logsum.core.detect.model import (
    Anomaly,
    AnomalyType,
    Insight,
    InsightType,
    TimeWindow,
    stable_id,
)
from logsum.core.errors import InvalidOption
from logsum.core.model import LineResult, Pattern, Severity

__all__ = [
    "AnalysisOptions",
    "AnalysisReport",
    "Anomaly",
    "AnomalyType",
    "Insight",
    "InsightType",
    "TimeWindow",
    "analyze_batch",
]

MAX_LINES_PER_ANOMALY = 100
"""Line numbers listed per anomaly; ``line_count`` carries the full count."""


@dataclass(frozen=True)
class AnalysisOptions:
    """What to compute.

    ``bucket_seconds`` overrides the time bucket chosen from the data's span (volume and error
    detectors). ``session_key`` is a regex whose first group (or whole match) is a session key
    such as a request, trace or block id; when ``None`` an obvious key is auto-detected.
    """

    find_anomalies: bool = True
    generate_insights: bool = True
    bucket_seconds: int | None = None
    session_key: str | None = None

    def __post_init__(self) -> None:
        if self.bucket_seconds is not None and (
            not isinstance(self.bucket_seconds, int) or self.bucket_seconds < 1
        ):
            raise InvalidOption("bucket_seconds must be a positive whole number of seconds")
        if self.session_key is not None:
            try:
                re.compile(self.session_key)
            except re.error as exc:
                raise InvalidOption(
                    f"session_key is not a valid regular expression: {exc}"
                ) from exc


@dataclass(frozen=True)
class AnalysisReport:
    """Anomalies (most significant first) and insights (ranked) for one batch."""

    anomalies: tuple[Anomaly, ...] = ()
    insights: tuple[Insight, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """``{"anomalies": [...], "insights": [...]}`` with JSON-safe values only."""
        return {
            "anomalies": [a.to_dict() for a in self.anomalies],
            "insights": [i.to_dict() for i in self.insights],
        }


def analyze_batch(
    results: Sequence[LineResult],
    patterns: Sequence[Pattern],
    *,
    known_pattern_ids: Collection[str] = (),
    options: AnalysisOptions = AnalysisOptions(),
) -> AnalysisReport:
    """Detect anomalies and derive insights for one batch.

    ``known_pattern_ids`` are the caller's pattern ids from before this batch (its history), so a
    ``new_pattern`` anomaly means new for the caller, not only new in this batch.
    """
    anomalies: list[Anomaly] = []
    if options.find_anomalies:
        anomalies.extend(_new_patterns(results, patterns, set(known_pattern_ids)))
    return AnalysisReport(anomalies=tuple(anomalies), insights=())


def _new_patterns(
    results: Sequence[LineResult], patterns: Sequence[Pattern], known: set[str]
) -> list[Anomaly]:
    # Placeholder-grade first cut, replaced by the detector package.
    if not known:
        return []
    by_id = {p.id: p for p in patterns}
    lines: dict[str, list[int]] = {}
    for r in results:
        if r.pattern_id not in known:
            lines.setdefault(r.pattern_id, []).append(r.line)
    out = []
    for pid, ls in lines.items():
        p = by_id.get(pid)
        sev = p.severity if p else Severity.INFO
        out.append(
            Anomaly(
                id=stable_id("an", AnomalyType.NEW_PATTERN.value, pid),
                type=AnomalyType.NEW_PATTERN,
                severity=sev,
                score=0.5,
                message=f"New pattern: {p.template if p else pid}",
                pattern_ids=(pid,),
                window=None,
                evidence={"count": len(ls)},
                lines=tuple(ls[:MAX_LINES_PER_ANOMALY]),
                line_count=len(ls),
            )
        )
    return out
