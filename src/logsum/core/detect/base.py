"""The detector interface and the limits every detector shares.

A detector is a small stateful object with three methods::

    detector.feed(result)          # one LineResult, in input order; O(1) work, bounded state
    detector.feed_many(results)    # the same for a list of them, with less per-call overhead
    detector.finish(context)       # -> list[Anomaly] for everything fed so far

``feed`` never looks ahead, so the same objects can run on a watch (feed as lines arrive,
``finish`` at the end of each batch or window). ``finish`` does not change the state: calling it
again after more lines gives the anomalies of the longer stream.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from logsum.core.detect.model import Anomaly
from logsum.core.model import LineResult, Pattern, Severity, by_id_and_alias


@dataclass(frozen=True, slots=True)
class DetectLimits:
    """Every bound and threshold of the detectors, with the reason for its default.

    None of these is tuned to one system; they are statistical safety margins.
    """

    max_lines_per_anomaly: int = 100
    """1-based line numbers listed in one anomaly; ``line_count`` carries the full count."""

    max_buckets: int = 2_048
    """Time buckets kept at the finest resolution before the resolution is coarsened (bounds
    memory on long streams)."""

    max_cells: int = 50_000
    """(bucket, pattern) counters kept before the resolution is coarsened."""

    target_buckets: int = 100
    """Buckets wanted over the batch's time span when the bucket size is chosen from the data."""

    min_lines_per_bucket: float = 10.0
    """The chosen bucket holds at least this many lines on average, when the batch allows."""

    min_buckets: int = 8
    """Fewer buckets than this give no baseline: volume and error detection stay silent."""

    spike_sigmas: float = 6.0
    """How many robust standard deviations above the median a bucket must be to be a spike."""

    min_spike_count: int = 10
    """A spike bucket holds at least this many lines of the pattern (a handful is noise)."""

    spike_ratio: float = 3.0
    """...and at least this many times the pattern's median count."""

    occasional_spikes: bool = False
    """Whether a pattern below error whose median per bucket is 0 (it comes in occasional
    bursts) can spike. Off: its bursts are how it occurs (new and rare patterns report its
    appearance); an error or critical pattern still spikes from 0."""

    max_spikes_per_pattern: int = 3
    """Spikes reported per pattern (its strongest); the evidence counts the others. A bursty
    pattern then reads as one finding, not dozens."""

    max_rate_anomalies: int = 50
    """Spike, drop and burst anomalies reported per batch, most severe and strongest first."""

    drop_min_median: float = 8.0
    """Only patterns (or totals) whose median per bucket is at least this can drop: a drop from
    a trickle is not a signal."""

    drop_ratio: float = 0.25
    """A drop bucket holds at most this share of the median count."""

    drop_sigmas: float = 3.0
    """...and lies at least this many robust standard deviations below the median, so the
    ordinary ups and downs of a noisy pattern do not read as drops."""

    cold_start_share: float = 0.05
    """Rate and rarity anomalies below critical lying wholly in this first share of the
    stream's time span are not reported (see :mod:`logsum.core.analysis`). 0 turns it off."""

    silence_min_presence: float = 0.9
    """A pattern present in at least this share of the buckets is steady (a heartbeat, a
    periodic job): a run of empty buckets is a silence when its chance is below
    ``silence_alpha``."""

    silence_min_buckets: int = 3
    """Empty buckets in a row, at least, for a silence."""

    silence_alpha: float = 1e-9
    """A steady pattern's run of ``k`` empty buckets at its rate ``r`` per bucket is a silence
    when ``exp(-r * k)`` is below this."""

    burst_min_errors: int = 5
    """An error burst bucket holds at least this many error or critical lines."""

    burst_sigmas: float = 5.0
    """Binomial standard deviations above the baseline error share for an error burst, or
    (where errors are a large share of the usual lines, so a burst moves the share little)
    robust standard deviations above the usual count of error lines per bucket."""

    burst_min_lift: float = 0.15
    """...and the share rises by at least this much over the baseline share (absolute)."""

    max_burst_patterns: int = 20
    """Patterns named by one error burst (the ones with most error lines in its window): enough
    to see what failed, bounded so one burst over a noisy stream stays readable."""

    rare_min_batch: int = 1_000
    """Batches smaller than this have no rare patterns (everything is rare in a small batch)."""

    rare_max_share: float = 0.0
    """A warning pattern is rare at up to this share of the batch's lines. 0: a warning pattern
    is never reported for being rare alone (rare warnings are mostly ordinary: register dumps,
    status lines; 35 of 35 on BGL_2k pointed at ordinary lines); a new one still is."""

    rare_fault_share: float = 0.01
    """A fault pattern (an error or critical event) is rare at up to this share of the lines:
    faults are few by nature, so a rarely seen one stands out even with a few repeats."""

    rare_cluster_alpha: float = 0.01
    """A rare pattern's lines are bunched in time when a steady pattern with as many lines would
    fall that close together with a chance below this (see ``NoveltyDetector.clustering``)."""

    rare_group_min: int = 2
    """With at least this many rare fault patterns not bunched in time, they are one anomaly
    (the batch's ordinary trickle of rare errors); fewer are reported one by one."""

    max_rare: int = 50
    """Rare-pattern anomalies reported per batch, most severe and rarest first."""

    new_pattern_alpha: float = 0.001
    """Without a caller history, a pattern is new when a steady pattern with as many lines would
    have stayed out of the earlier part of the batch with a chance below this."""

    max_new_patterns: int = 50
    """new_pattern anomalies reported per batch, most severe first."""

    max_sessions: int = 200_000
    """Sessions tracked; beyond it the least recently seen session is forgotten."""

    max_session_events: int = 10_000
    """Events counted per session (a runaway session does not grow without bound)."""

    min_sessions: int = 30
    """Fewer sessions than this give no notion of normal: session detection stays silent."""

    session_min_support: float = 0.01
    """A session's event-count signature (and each event) is normal when at least this share
    of sessions has it; rarer ones are anomalous."""

    session_min_support_count: int = 5
    """...and at least this many sessions, so small batches do not call every session normal."""

    session_rare_share: float = 0.003
    """A pattern that is not a fault (below warning, and its template names no failure) is
    unusual in a session when fewer than this share of the sessions have it (and fewer than
    ``session_min_support_count``): a rare but ordinary variant (a retry, a replication) is not
    reported for being rare; a warning or worse pattern, or one that says it failed whatever
    its level (``Exception in receiveBlock`` logged at INFO), is unusual up to
    ``session_min_support``."""

    session_rule_tolerance: float = 0.05
    """Count rules (``count(A) = count(B)``...; :mod:`~logsum.core.detect.sessionrules`) learned
    from the batch itself hold for all but at most this share of the sessions touching them:
    robust to that much contamination by anomalous sessions."""

    baseline_rule_tolerance: float = 0.01
    """The same for rules learned from a known-good baseline."""

    session_usual_counts: int = 3
    """With a baseline, a session is unusual when it has a count of a pattern that fewer than
    ``session_min_support_count`` of the baseline's sessions have, if those keep to at most
    this many counts of that pattern (each held by that many sessions, together all but
    ``baseline_rule_tolerance`` of the sessions having the pattern): a pattern whose count
    varies widely has no usual count to depart from. (Without a baseline this flags ordinary
    variants as often as anomalies, so it is not applied.)"""

    session_rule_patterns: int = 40
    """Patterns (most common first) considered for count rules: bounds the learning cost."""

    baseline_max_signatures: int = 2_000
    """Distinct session counts a learned profile keeps (most common first)."""

    baseline_max_rules: int = 1_000
    """Count rules a learned profile keeps."""

    baseline_max_transitions: int = 20_000
    """Order-1 transitions (and their contexts) a learned profile keeps, most common first."""

    session_open_tail: float = 0.05
    """Sessions whose last line falls in this final share of the batch (by line position), and
    whose events so far fit inside a usual signature, count as still open: not judged."""

    session_order_rare_share: float = 0.001
    """Order rule: a transition (one event right after another, or a session's first or last
    event) that fewer than the support of sessions have is unusual when its preceding event is
    nearly always followed the same way: all of that event's rare transitions together occur in
    at most this share of the sessions having the event. A deviation from an order (almost)
    every session keeps is reported; events followed by many different ones (interleaved work)
    never make a session unusual. 0 turns the order rule off."""

    baseline_order_rare_share: float = 0.0
    """``session_order_rare_share`` when sessions are judged against a baseline. Off: on
    complete HDFS sessions against a known-good baseline the order rule added only false
    alarms (bench/anomaly.py; counts, count rules and patterns found every anomaly it found)."""

    traffic_ratio: float = 2.0
    """Judged against a baseline's rates, the whole log at this many times (or this fraction
    of) the baseline's lines per second, with most of its steady patterns moving the same way
    (each at least half as far, in ratio), is a change of traffic: one anomaly, and each
    pattern's level is then also judged against its baseline rate times the traffic's ratio
    (only the patterns that moved far more than the traffic are pattern anomalies)."""

    baseline_max_rates: int = 2_000
    """Patterns whose rates a learned baseline keeps (most lines first)."""

    baseline_rate_min_lines: int = 20
    """A baseline's rate of a pattern is used only when it saw at least this many of its lines,
    with no gap longer than a tenth of the baseline's span (a steady pattern: an occasional
    one's rate says little about the next hour). Rates are learned by ``learn_only``
    analyzers."""

    max_session_anomalies: int = 100
    """session anomalies (one per unusual signature) reported per batch, highest score first."""

    max_session_keys_listed: int = 100
    """Session keys listed in one anomaly's evidence; ``session_count`` carries the full count."""

    session_probe_lines: int = 2_000
    """Lines inspected to auto-detect a session key when none is given."""

    session_auto_min_share: float = 0.5
    """An auto-detected key occurs in at least this share of the probed lines."""

    session_auto_min_keys: int = 3
    """...takes at least this many distinct values in them (one or two values are a constant,
    such as a host name, not sessions)..."""

    session_auto_min_lines_per_key: float = 2.0
    """...and has on average at least this many probed lines per value (values that never
    repeat, such as line numbers or timestamps, group nothing)."""

    max_session_sequence: int = 64
    """Events of one session kept in order for the order rule (``session_order_rare_share``);
    a longer session is judged on its first ones and its counts."""

    session_key_grace_seconds: float = 1.0
    """CPU time a caller's ``session_key`` may have in hand for matching (see below)."""

    session_key_char_seconds: float = 0.000_002
    """CPU time a caller's ``session_key`` gains for every character it searches, up to the
    amount above (a usual key takes well under a microsecond a character). When it has used
    all it has, the analysis stops with :class:`~logsum.core.errors.InvalidOption`."""


DEFAULT_LIMITS = DetectLimits()


@dataclass(frozen=True, slots=True)
class DetectContext:
    """What detectors get at ``finish``: the pattern snapshots and the caller's history."""

    patterns: Mapping[str, Pattern]
    """By id, and also by each alias (an id folded into the pattern that lines may still carry)."""
    known_pattern_ids: Collection[str] = field(default_factory=frozenset)
    limits: DetectLimits = DEFAULT_LIMITS

    @classmethod
    def of(
        cls,
        patterns: Iterable[Pattern],
        known_pattern_ids: Collection[str] = frozenset(),
        limits: DetectLimits = DEFAULT_LIMITS,
    ) -> DetectContext:
        """A context over pattern snapshots, their aliases resolved."""
        return cls(by_id_and_alias(patterns), known_pattern_ids, limits)

    def canonical(self, pattern_id: str) -> str:
        """The current id of a pattern (an alias resolves to the pattern it was folded into)."""
        p = self.patterns.get(pattern_id)
        return p.id if p else pattern_id

    def template(self, pattern_id: str) -> str:
        """The pattern's template, or its id when the snapshot lacks it."""
        p = self.patterns.get(pattern_id)
        return p.template if p else pattern_id

    def severity(self, pattern_id: str, default: Severity = Severity.INFO) -> Severity:
        """The pattern's severity, or ``default``."""
        p = self.patterns.get(pattern_id)
        return p.severity if p else default


class Detector(Protocol):
    """The interface every detector implements (see the module docstring)."""

    def feed(self, result: LineResult) -> None:
        """Take one line's result (input order)."""

    def feed_many(self, results: Sequence[LineResult]) -> None:
        """Take many results in input order; the same as ``feed`` on each, faster."""

    def finish(self, context: DetectContext) -> list[Anomaly]:
        """The anomalies of everything fed so far."""


def squash(excess: float) -> float:
    """Map an excess over a threshold (``excess >= 0`` at the threshold, in threshold units)
    into ``[0.5, 1)``: 0.5 at the threshold, approaching 1 far above it."""
    if excess <= 0:
        return 0.5
    return min(0.999, 1.0 - 0.5 / (1.0 + excess))


def short(text: str, limit: int = 120) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
