"""Anomalies and insights for a batch of parsed lines: the one entry point adapters call.

``analyze_batch(results, patterns, known_pattern_ids=..., options=...)`` takes the engine's
per-line results and pattern snapshots and returns an :class:`AnalysisReport`. It is pure and
deterministic: the same inputs give the same anomalies, insights and ids. :class:`Analyzer` is
the same thing fed incrementally (a watch feeds it as lines arrive).

Anomaly kinds (``Anomaly.type``):

- ``new_pattern``: a pattern not in ``known_pattern_ids`` (the caller's history); without a
  history, a warning-or-worse pattern that a steady stream would almost surely have shown
  earlier in the batch.
- ``volume_spike`` / ``volume_drop``: a pattern's (or the whole log's) count in a time bucket
  far from its median over the batch (median absolute deviation with a Poisson floor). The
  bucket is chosen from the batch's span (about 100 buckets, at least ~10 lines each) unless
  ``bucket_seconds`` is given; without timestamps, buckets are ranges of lines. With a
  known-good baseline, also the batch's level of each steady pattern against its rate in the
  baseline (:class:`~logsum.core.detect.rate.RateProfile`).
- ``error_burst``: the share of fault lines (error or critical events, not dump details or
  input errors: :mod:`logsum.core.detect.faults`) in a bucket jumps over its median share, or
  (where faults are most lines anyway) their count jumps over its usual count per bucket while
  the share still rises.
- ``rare_pattern``: in a batch of 1,000+ lines, a fault pattern holding at most 1% of them
  (warnings: ``rare_max_share``, off by default). Rare fault patterns whose lines are spread
  through the batch (not bunched: see ``rare_cluster_alpha``) are the stream's ordinary trickle
  of rare errors and make one anomaly together (``evidence.grouped``, ``evidence.patterns``);
  a bunched one is reported on its own.
- ``session``: sessions (lines sharing a key: ``session_key`` or an auto-detected id) whose
  pattern counts are shared by fewer than 1% of sessions, grouped by signature; and sessions
  with usual counts but an order few sessions show right where (almost) every session keeps
  one (an event after another, or first, or last; :mod:`logsum.core.detect.sequence`), grouped
  by that transition.

Cold start: an anomaly that compares a part of the stream with the rest (a rare pattern, a
volume spike or drop, an error burst) is not reported below critical when it lies wholly in the
first ``cold_start_share`` (5%) of the stream's time span: a stream's first minutes (start-up
messages, partial buckets) have nothing before them to be unusual against.

One incident, one anomaly: a rare pattern or a pattern's volume spike inside an error burst's
window, among the patterns the burst names, is folded into the burst (``evidence.merged``;
:mod:`logsum.core.detect.incidents`).

Lines are counted as the patterns count them: a continuation line of a multi-line record (a
stack frame, ``LineResult.continuation``) is part of its record, not a line of its own, so it is
not fed to the detectors or the insights. Every count and "of N" total in a report is then a
sum of ``Pattern.count`` values over the batch.

``score`` (0..1) orders anomalies: 0.5 at the detector's threshold, towards 1 far beyond it.
``lines`` lists up to a capped number of 1-based line numbers; ``line_count`` is the full count.
Every threshold and bound is in :class:`~logsum.core.detect.base.DetectLimits`. Insights are
described in :mod:`logsum.core.insights`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from logsum.core.baseline import Baseline
from logsum.core.detect.base import DEFAULT_LIMITS, DetectContext, DetectLimits, Detector
from logsum.core.detect.incidents import merge_incidents
from logsum.core.detect.model import (
    Anomaly,
    AnomalyType,
    Insight,
    InsightType,
    TimeWindow,
)
from logsum.core.detect.novelty import NoveltyDetector
from logsum.core.detect.rate import RateDetector, RateLearner
from logsum.core.detect.session import SessionDetector, compile_caller_key
from logsum.core.errors import InvalidOption
from logsum.core.insights import InsightCollector
from logsum.core.model import LineResult, Pattern, Severity

__all__ = [
    "AnalysisOptions",
    "AnalysisReport",
    "Analyzer",
    "Anomaly",
    "AnomalyType",
    "Baseline",
    "Insight",
    "InsightType",
    "TimeWindow",
    "analyze_batch",
]


_COLD_START_TYPES = frozenset(
    {
        AnomalyType.RARE_PATTERN,
        AnomalyType.VOLUME_SPIKE,
        AnomalyType.VOLUME_DROP,
        AnomalyType.ERROR_BURST,
    }
)
"""Anomalies that compare with the rest of the stream: none in its cold start."""

MAX_BUCKET_SECONDS = 366 * 86400
"""The largest bucket a caller may ask for (a year)."""

MAX_SESSION_KEY_CHARS = 200
"""Longest ``session_key`` regex accepted."""


def check_session_key(pattern: str) -> None:
    """Raise :class:`InvalidOption` unless ``pattern`` is a usable session-key regex: at most
    ``MAX_SESSION_KEY_CHARS`` long, and see :func:`~logsum.core.detect.session.compile_caller_key`.
    One that backtracks is stopped while it runs (:class:`~logsum.core.detect.session.CallerKey`).
    """
    if len(pattern) > MAX_SESSION_KEY_CHARS:
        raise InvalidOption(f"session_key is longer than {MAX_SESSION_KEY_CHARS} characters")
    compile_caller_key(pattern)


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
        b = self.bucket_seconds
        if b is not None and (not isinstance(b, int) or isinstance(b, bool) or b < 1):
            raise InvalidOption("bucket_seconds must be a positive whole number of seconds")
        if b is not None and b > MAX_BUCKET_SECONDS:
            raise InvalidOption(f"bucket_seconds must be at most {MAX_BUCKET_SECONDS}")
        if self.session_key is not None:
            check_session_key(self.session_key)


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
    report at any time. Memory is bounded by :class:`~logsum.core.detect.base.DetectLimits`.
    ``learn_only``: fed known-good lines for :meth:`learned` alone (no other detector runs).
    ``baseline``: judge against what another analyzer learned (see :mod:`logsum.core.baseline`)."""

    def __init__(
        self,
        options: AnalysisOptions = AnalysisOptions(),
        *,
        known_pattern_ids: Collection[str] = (),
        limits: DetectLimits = DEFAULT_LIMITS,
        baseline: Baseline | None = None,
        learn_only: bool = False,
    ) -> None:
        self.options = options
        self.limits = limits
        self.baseline = baseline
        self._known = frozenset(known_pattern_ids)
        if baseline is not None:
            self._known = baseline.merged_known(self._known)
        self._lines = 0
        self._first_t: datetime | None = None
        self._last_t: datetime | None = None
        self._detectors: list[Detector] = []
        self.sessions: SessionDetector | None = None
        self._rate_learner: RateLearner | None = None
        if options.find_anomalies:
            self.sessions = SessionDetector(
                limits, options.session_key, baseline.sessions if baseline else None
            )
            if learn_only:  # only what :meth:`learned` reads
                self._rate_learner = RateLearner()
                self._detectors = [self._rate_learner, self.sessions]
            else:
                rates = RateDetector(
                    limits, options.bucket_seconds, baseline.rates if baseline else None
                )
                self._detectors = [NoveltyDetector(limits, self._known), rates, self.sessions]
        self._insights = (
            InsightCollector(self._known) if options.generate_insights and not learn_only else None
        )

    def feed(self, result: LineResult) -> None:
        """Take one line's result, in input order (a continuation line is skipped)."""
        if result.continuation:
            return
        self._lines += 1
        if result.timestamp is not None:
            self._times(result.timestamp, result.timestamp)
        for d in self._detectors:
            d.feed(result)
        if self._insights is not None:
            self._insights.feed(result)

    def feed_many(self, results: Iterable[LineResult]) -> None:
        """Take many results, in input order (each detector takes the batch in one call;
        continuation lines are skipped)."""
        batch = [r for r in results if not r.continuation]
        self._lines += len(batch)
        stamps = [r.timestamp for r in batch if r.timestamp is not None]
        if stamps:
            self._times(min(stamps), max(stamps))
        for d in self._detectors:
            d.feed_many(batch)
        if self._insights is not None:
            self._insights.feed_many(batch)

    def _times(self, first: datetime, last: datetime) -> None:
        if self._first_t is None or first < self._first_t:
            self._first_t = first
        if self._last_t is None or last > self._last_t:
            self._last_t = last

    def _past_cold_start(self, anomalies: list[Anomaly]) -> list[Anomaly]:
        """Without anything to compare with yet, the first ``cold_start_share`` of a stream's
        time span can raise no rate or rarity anomaly below critical (see the module
        docstring)."""
        share = self.limits.cold_start_share
        if share <= 0 or self._first_t is None or self._last_t is None:
            return anomalies
        until = self._first_t + (self._last_t - self._first_t) * share
        return [
            a
            for a in anomalies
            if a.type not in _COLD_START_TYPES
            or a.severity is Severity.CRITICAL
            or a.window is None
            or a.window.end > until
        ]

    def report(self, patterns: Sequence[Pattern]) -> AnalysisReport:
        """Anomalies (most severe, then highest score first) and ranked insights so far."""
        ctx = DetectContext.of(patterns, self._known, self.limits)
        anomalies: list[Anomaly] = []
        for d in self._detectors:
            anomalies.extend(d.finish(ctx))
        anomalies = self._past_cold_start(anomalies)
        anomalies = merge_incidents(anomalies, self.limits.max_lines_per_anomaly)
        anomalies.sort(key=lambda a: (a.severity.rank, -a.score, a.type.value, a.id))
        insights = (
            tuple(self._insights.finish(patterns, anomalies)) if self._insights is not None else ()
        )
        return AnalysisReport(anomalies=tuple(anomalies), insights=insights)

    def learned(self, patterns: Sequence[Pattern], *, min_sessions: int | None = None) -> Baseline:
        """What the lines fed so far teach, as a known-good :class:`Baseline` for another
        analyzer (fed by the same engine). Needs ``find_anomalies`` for the session profile,
        which needs ``min_sessions`` sessions (default ``DetectLimits.min_sessions``; a part to
        be merged with others may have fewer: sessions are judged against a baseline only once
        it holds that many). The steady patterns' rates are learned by a ``learn_only`` analyzer
        (``rates`` is ``None`` otherwise)."""
        ctx = DetectContext.of(patterns, self._known, self.limits)
        profile = (
            self.sessions.profile(ctx, min_sessions=min_sessions)
            if self.sessions is not None
            else None
        )
        learner = self._rate_learner
        rates = learner.profile(ctx) if learner is not None else None
        ids = frozenset(p.id for p in patterns) | frozenset(a for p in patterns for a in p.aliases)
        return Baseline(pattern_ids=ids, lines=self._lines, sessions=profile, rates=rates)


def analyze_batch(
    results: Sequence[LineResult],
    patterns: Sequence[Pattern],
    *,
    known_pattern_ids: Collection[str] = (),
    options: AnalysisOptions = AnalysisOptions(),
    baseline: Baseline | None = None,
) -> AnalysisReport:
    """Detect anomalies and derive insights for one batch.

    ``results`` are the engine's per-line results in input order; ``patterns`` its pattern
    snapshots after the batch (templates and severities are read from them).
    ``known_pattern_ids`` are the caller's pattern ids from before this batch (its history), so
    a ``new_pattern`` anomaly means new for the caller, not only new in this batch; without a
    history, the earlier part of the batch serves as the baseline. With a known-good
    ``baseline`` (:meth:`Analyzer.learned`), its patterns are known and sessions are judged
    against its sessions. Pure and deterministic.
    """
    analyzer = Analyzer(options, known_pattern_ids=known_pattern_ids, baseline=baseline)
    analyzer.feed_many(results)
    return analyzer.report(patterns)
