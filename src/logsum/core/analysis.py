"""Anomalies and insights for a batch of parsed lines: the one entry point adapters call.

``analyze_batch(results, patterns, known_pattern_ids=..., options=...)`` takes the engine's
per-line results and pattern snapshots and returns an :class:`AnalysisReport`. It is pure and
deterministic: the same inputs give the same anomalies, insights and ids.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from logsum.core.detect.base import DEFAULT_LIMITS, DetectContext, DetectLimits, Detector
from logsum.core.detect.model import (
    Anomaly,
    AnomalyType,
    Insight,
    InsightType,
    TimeWindow,
)
from logsum.core.detect.novelty import NoveltyDetector
from logsum.core.detect.rate import RateDetector
from logsum.core.detect.session import SessionDetector
from logsum.core.errors import InvalidOption
from logsum.core.insights import InsightCollector
from logsum.core.model import LineResult, Pattern

__all__ = [
    "AnalysisOptions",
    "AnalysisReport",
    "Analyzer",
    "Anomaly",
    "AnomalyType",
    "Insight",
    "InsightType",
    "TimeWindow",
    "analyze_batch",
]


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


class Analyzer:
    """The streaming form of :func:`analyze_batch`: feed LineResults as they come, ask for a
    report at any time. Memory is bounded by :class:`~logsum.core.detect.base.DetectLimits`."""

    def __init__(
        self,
        options: AnalysisOptions = AnalysisOptions(),
        *,
        known_pattern_ids: Collection[str] = (),
        limits: DetectLimits = DEFAULT_LIMITS,
    ) -> None:
        self.options = options
        self.limits = limits
        self._known = frozenset(known_pattern_ids)
        self._detectors: list[Detector] = []
        if options.find_anomalies:
            self.sessions = SessionDetector(limits, options.session_key)
            self._detectors = [
                NoveltyDetector(limits, self._known),
                RateDetector(limits, options.bucket_seconds),
                self.sessions,
            ]
        self._insights = InsightCollector(self._known) if options.generate_insights else None

    def feed(self, result: LineResult) -> None:
        """Take one line's result, in input order."""
        for d in self._detectors:
            d.feed(result)
        if self._insights is not None:
            self._insights.feed(result)

    def feed_many(self, results: Iterable[LineResult]) -> None:
        """Take many results, in input order (each detector takes the batch in one call)."""
        batch = results if isinstance(results, Sequence) else list(results)
        for d in self._detectors:
            d.feed_many(batch)
        if self._insights is not None:
            self._insights.feed_many(batch)

    def report(self, patterns: Sequence[Pattern]) -> AnalysisReport:
        """Anomalies (most severe, then highest score first) and ranked insights so far."""
        ctx = DetectContext({p.id: p for p in patterns}, self._known, self.limits)
        anomalies: list[Anomaly] = []
        for d in self._detectors:
            anomalies.extend(d.finish(ctx))
        anomalies.sort(key=lambda a: (a.severity.rank, -a.score, a.type.value, a.id))
        insights = tuple(self._insights.finish(patterns)) if self._insights is not None else ()
        return AnalysisReport(anomalies=tuple(anomalies), insights=insights)


def analyze_batch(
    results: Sequence[LineResult],
    patterns: Sequence[Pattern],
    *,
    known_pattern_ids: Collection[str] = (),
    options: AnalysisOptions = AnalysisOptions(),
) -> AnalysisReport:
    """Detect anomalies and derive insights for one batch.

    ``results`` are the engine's per-line results in input order; ``patterns`` its pattern
    snapshots after the batch (templates and severities are read from them).
    ``known_pattern_ids`` are the caller's pattern ids from before this batch (its history), so
    a ``new_pattern`` anomaly means new for the caller, not only new in this batch; without a
    history, the earlier part of the batch serves as the baseline. Pure and deterministic.
    """
    analyzer = Analyzer(options, known_pattern_ids=known_pattern_ids)
    analyzer.feed_many(results)
    return analyzer.report(patterns)
