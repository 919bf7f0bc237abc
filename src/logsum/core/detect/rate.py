"""Volume spikes and drops per pattern (and in total), and error bursts, per time bucket.

Baselines are robust: the median count of a pattern over all buckets of the batch (empty buckets
included) and its median absolute deviation, with a Poisson floor (``sqrt(median)``) so that a
flat series does not make every wiggle an anomaly. The error share baseline is the median share
of error and critical lines per bucket, tested with a binomial standard deviation; the count of
those lines per bucket is tested against its own robust baseline too (where errors are most
lines, a burst moves the share little), the share's rise still required.

Against a known-good baseline (a :class:`RateProfile`: each steady pattern's lines per second
there), the batch's level is compared too: a steady pattern of the baseline arriving in the
batch (outside its own spikes) at several times its rate, or at a fraction of it, or not at all,
is one ``volume_spike`` or ``volume_drop`` over the batch (patterns that moved together in one
direction are one anomaly): a change the batch's own median cannot show, since it moved too.
When the whole log's rate moved by ``traffic_ratio`` and most steady patterns moved with it,
that is one traffic anomaly, and a pattern is reported only if it also moved far beyond the
traffic of the other lines.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from logsum.core.detect.base import DetectContext, DetectLimits, short, squash
from logsum.core.detect.buckets import BucketCounter, BucketView
from logsum.core.detect.faults import effective_severity
from logsum.core.detect.model import Anomaly, AnomalyType, stable_id
from logsum.core.model import LineResult, Severity


def median(xs: Sequence[float]) -> float:
    """The median of a non-empty sequence."""
    s = sorted(xs)
    n = len(s)
    mid = n // 2
    return float(s[mid]) if n % 2 else (s[mid - 1] + s[mid]) / 2.0


def robust(xs: Sequence[float]) -> tuple[float, float]:
    """``(median, sigma)``: sigma from the MAD with a Poisson floor of ``sqrt(max(median, 1))``."""
    m = median(xs)
    mad = median([abs(x - m) for x in xs])
    return m, max(1.4826 * mad, math.sqrt(max(m, 1.0)))


def robust_sparse(values: Iterable[float], zeros: int) -> tuple[float, float]:
    """``robust`` of ``values`` and ``zeros`` more ``0.0``: the same numbers, without building
    and sorting a series that is mostly empty buckets (most patterns' series are). The order
    statistics of a sorted run of equal values merged into a sorted list are read by index."""
    vals = sorted(values)
    n = len(vals) + zeros
    m = _middle(vals, zeros, 0.0, n)
    dev = abs(0.0 - m)
    mad = _middle(sorted([abs(x - m) for x in vals]), zeros, dev, n)
    return m, max(1.4826 * mad, math.sqrt(max(m, 1.0)))


def _middle(ordered: list[float], copies: int, value: float, n: int) -> float:
    """``median`` of ``ordered`` (sorted) with ``copies`` more of ``value`` (``n`` in all)."""
    below = bisect_left(ordered, value)

    def at(k: int) -> float:
        if k < below:
            return ordered[k]
        return value if k < below + copies else ordered[k - copies]

    mid = n // 2
    return float(at(mid)) if n % 2 else (at(mid - 1) + at(mid)) / 2.0


def per(view: BucketView) -> str:
    """``per minute``, ``per 5 minutes``, ``per 1000 lines``: the bucket, in words."""
    step = view.step
    if not view.on_time:
        return f"per {step} lines"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if step % size == 0:
            k = step // size
            return f"per {unit}" if k == 1 else f"per {k} {unit}s"
    return f"per {step} s"


def runs(flags: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive integers grouped into inclusive ``(start, end)`` runs."""
    out: list[tuple[int, int]] = []
    for b in sorted(flags):
        if out and b == out[-1][1] + 1:
            out[-1] = (out[-1][0], b)
        else:
            out.append((b, b))
    return out


def _busiest(counts: Mapping[str, int], limit: int) -> dict[str, int]:
    """The ``limit`` patterns of ``counts`` with the most lines, most first (ties by id)."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit])


@dataclass(frozen=True, slots=True)
class RateProfile:
    """Rates learned from known-good lines (:class:`RateLearner`): over ``seconds`` of
    timestamped lines, the lines of each steady pattern (at least ``baseline_rate_min_lines`` of
    them, and no gap without one longer than a tenth of the span; at most
    ``baseline_max_rates`` patterns, most lines first), and their templates (cut to 80
    characters: a pattern absent from the judged lines is still named)."""

    seconds: float
    lines: int
    patterns: Mapping[str, int]
    templates: Mapping[str, str] = field(default_factory=dict)

    def merged(self, other: RateProfile, limit: int) -> RateProfile:
        """Both spans as one: lines added (a pattern steady in one part only is counted over
        both spans, so its rate is diluted, never raised), the ``limit`` busiest kept."""
        counts = dict(self.patterns)
        for pid, n in other.patterns.items():
            counts[pid] = counts.get(pid, 0) + n
        kept = _busiest(counts, limit)
        templates = {**self.templates, **other.templates}
        return RateProfile(
            self.seconds + other.seconds,
            self.lines + other.lines,
            kept,
            {p: templates[p] for p in kept if p in templates},
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "seconds": self.seconds,
            "lines": self.lines,
            "patterns": dict(self.patterns),
            "templates": dict(self.templates),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RateProfile:
        """The inverse of :meth:`to_dict`; ``ValueError`` on any other shape (a missing field,
        a span that is not a positive finite time, a negative count)."""
        try:
            seconds = float(d["seconds"])
            lines = int(d["lines"])
            patterns = {str(k): int(v) for k, v in d["patterns"].items()}
            templates = {str(k): str(v) for k, v in d.get("templates", {}).items()}
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ValueError(f"not a rate profile: {exc!r}") from None
        if not 0 < seconds < math.inf:
            raise ValueError("a rate profile spans a positive time")
        if lines < 0 or any(n < 0 for n in patterns.values()):
            raise ValueError("a rate profile counts no negative lines")
        return cls(seconds, lines, patterns, templates)


class RateLearner:
    """What a baseline's rates need, cheaper than counting buckets: over the timestamped lines,
    each pattern's lines, first and last time, and longest gap between two of its lines (lines
    come mostly in time order; a late line is counted but neither opens nor closes a gap).
    Memory: four numbers per pattern."""

    def __init__(self) -> None:
        self._count: dict[str, int] = {}
        self._first: dict[str, float] = {}
        self._prev: dict[str, float] = {}
        self._gap: dict[str, float] = {}
        self._lo = math.inf
        self._hi = -math.inf

    def feed(self, result: LineResult) -> None:
        """Count one line."""
        self.feed_many((result,))

    def feed_many(self, results: Sequence[LineResult]) -> None:
        """Count many lines."""
        count, first, prev, gap = self._count, self._first, self._prev, self._gap
        lo, hi = self._lo, self._hi
        last_dt = None
        t = 0.0
        for r in results:
            ts = r.timestamp
            if ts is None:
                continue
            if ts is not last_dt:
                last_dt, t = ts, ts.timestamp()
                if t < lo:
                    lo = t
                if t > hi:
                    hi = t
            pid = r.pattern_id
            p = prev.get(pid)
            if p is None:
                count[pid] = 1
                first[pid] = prev[pid] = t
            elif t >= p:
                count[pid] += 1
                if t - p > gap.get(pid, 0.0):
                    gap[pid] = t - p
                prev[pid] = t
            else:  # a late line: counted; its pattern's latest time stays (no gap opens)
                count[pid] += 1
                if t < first[pid]:
                    first[pid] = t
        self._lo, self._hi = lo, hi

    def finish(self, context: DetectContext) -> list[Anomaly]:
        """Nothing: a learner only learns."""
        return []

    def profile(self, context: DetectContext) -> RateProfile | None:
        """The steady patterns' rates, or ``None`` without timestamped lines over a span."""
        lim = context.limits
        span = self._hi - self._lo
        if not span > 0:
            return None
        counts: dict[str, int] = {}
        for pid, n in self._count.items():
            if n < lim.baseline_rate_min_lines:
                continue
            longest = max(
                self._gap.get(pid, 0.0), self._first[pid] - self._lo, self._hi - self._prev[pid]
            )
            if longest <= span / 10:
                key = context.canonical(pid)
                counts[key] = counts.get(key, 0) + n
        kept = _busiest(counts, lim.baseline_max_rates)
        return RateProfile(
            span,
            sum(self._count.values()),
            kept,
            {pid: short(context.template(pid), 80) for pid in kept},
        )


class RateDetector:
    """``volume_spike``, ``volume_drop`` and ``error_burst`` from per-bucket counts;
    ``reference``: a known-good baseline's rates, which the batch's level is compared with."""

    def __init__(
        self,
        limits: DetectLimits,
        bucket_seconds: int | None = None,
        reference: RateProfile | None = None,
    ) -> None:
        self._limits = limits
        self.counter = BucketCounter(limits, bucket_seconds)
        self._reference = reference

    def feed(self, result: LineResult) -> None:
        """Count one line."""
        self.counter.feed(result)

    def feed_many(self, results: Sequence[LineResult]) -> None:
        """Count many lines."""
        self.counter.feed_many(results)

    def finish(self, context: DetectContext) -> list[Anomaly]:
        """Spikes, drops and bursts over the buckets fed so far."""
        view = self.counter.view()
        if view is None or len(view.indices) < self._limits.min_buckets:
            return []
        _merge_aliases(view, context)
        spiked: dict[str, set[int]] = {}
        out = self._volume(view, context, spiked)
        out.extend(self._bursts(view, context))
        if self._reference is not None and view.on_time:
            out.extend(self._levels(view, context, self._reference, spiked))
        # Most severe and strongest first; a stream with broken clocks cannot flood the report.
        out.sort(key=lambda a: (a.severity.rank, -a.score, a.id))
        return out[: self._limits.max_rate_anomalies]

    # -- volume ------------------------------------------------------------------------------

    def _volume(
        self, view: BucketView, ctx: DetectContext, spiked: dict[str, set[int]]
    ) -> list[Anomaly]:
        """Spikes and drops against the batch's own medians; ``spiked`` gets each pattern's
        spike buckets."""
        lim = self._limits
        idx = view.indices
        first, last = view.first, view.last
        out: list[Anomaly] = []
        drops_total: set[int] = set()
        totals = [float(view.totals.get(b, 0)) for b in idx]
        tm, ts = robust(totals)
        inner = set(idx[1:-1])  # the first and last buckets are partial: they cannot drop
        if tm >= lim.drop_min_median:
            for b, x in zip(idx, totals, strict=True):
                if b in inner and x <= tm * lim.drop_ratio and tm - x >= lim.drop_sigmas * ts:
                    drops_total.add(b)
        spike_buckets: set[int] = set()
        pattern_drops: dict[int, list[str]] = {}
        silences: list[tuple[int, int, str, float]] = []
        for pid in sorted(view.per_pattern):
            series = view.per_pattern[pid]
            if sum(series.values()) < min(lim.min_spike_count, lim.drop_min_median):
                continue  # too few lines to spike or to drop: skip the per-bucket work
            inside = [(b, float(c)) for b, c in series.items() if first <= b <= last]
            m, sigma = robust_sparse((x for _, x in inside), len(idx) - len(inside))
            thr = max(m + lim.spike_sigmas * sigma, m * lim.spike_ratio, lim.min_spike_count)
            if m == 0 and not lim.occasional_spikes and not self._faulty(pid, ctx):
                flagged = []  # an occasional pattern: its bursts are how it occurs
            elif thr > 0:  # (always, with limits that make sense) empty buckets cannot spike
                flagged = [b for b, x in inside if x >= thr]
            else:
                flagged = [b for b in idx if series.get(b, 0) >= thr]
            found = []
            for start, end in runs(flagged):
                observed = sum(series.get(b, 0) for b in range(start, end + 1))
                peak = max(series.get(b, 0) for b in range(start, end + 1))
                spike_buckets.update(range(start, end + 1))
                spiked.setdefault(pid, set()).update(range(start, end + 1))
                found.append((peak, -start, start, end, observed))
            # The strongest few per pattern; the rest are counted in their evidence.
            found.sort(reverse=True)
            kept = found[: lim.max_spikes_per_pattern]
            for peak, _, start, end, observed in kept:
                out.append(
                    self._anomaly(
                        view,
                        ctx,
                        AnomalyType.VOLUME_SPIKE,
                        (pid,),
                        start,
                        end,
                        score=squash((peak - thr) / thr),
                        message=(
                            f"Pattern '{short(ctx.template(pid), 80)}' spiked to {peak} lines "
                            f"{per(view)} against a median of {m:g}."
                        ),
                        evidence={
                            "baseline_median": m,
                            "baseline_sigma": round(sigma, 3),
                            "threshold": round(thr, 3),
                            "observed_peak": peak,
                            "observed_total": observed,
                            "bucket_seconds": view.step,
                            "other_spikes_of_pattern": len(found) - 1,
                        },
                        line_count=observed,
                    )
                )
            silences.extend(self._silences(view, pid, series, pattern_drops, drops_total))
            if m >= lim.drop_min_median:
                low: list[int] = []
                for b in idx:
                    x = series.get(b, 0)
                    if b in inner and x <= m * lim.drop_ratio and m - x >= lim.drop_sigmas * sigma:
                        pattern_drops.setdefault(b, []).append(pid)
                        if b not in drops_total:
                            low.append(b)
                # One anomaly per run of low buckets, the deepest few per pattern (as spikes).
                dropped = []
                for start, end in runs(low):
                    seen_in = sum(series.get(b, 0) for b in range(start, end + 1))
                    dropped.append(
                        self._drop(view, ctx, (pid,), start, end, m, sigma, seen_in, "pattern")
                    )
                dropped.sort(key=lambda a: -a.score)
                out.extend(dropped[: lim.max_spikes_per_pattern])
        out.extend(self._silence_anomalies(view, ctx, silences))
        for start, end in runs(drops_total):
            pids: list[str] = []
            for b in range(start, end + 1):
                pids.extend(p for p in pattern_drops.get(b, []) if p not in pids)
            observed = int(sum(view.totals.get(b, 0) for b in range(start, end + 1)))
            out.append(self._drop(view, ctx, tuple(pids), start, end, tm, ts, observed, "total"))
        # A total spike nobody's pattern explains (many small patterns rising together). A
        # source whose median bucket is empty is occasional as a whole, like its patterns: its
        # bursts of activity are how it occurs (its error patterns still spike on their own).
        thr = max(tm + lim.spike_sigmas * ts, tm * lim.spike_ratio, lim.min_spike_count)
        occasional = tm == 0 and not lim.occasional_spikes
        lone = [
            b
            for b, x in zip(idx, totals, strict=True)
            if x >= thr and b not in spike_buckets and not occasional
        ]
        for start, end in runs(lone):
            peak = max(view.totals.get(b, 0) for b in range(start, end + 1))
            observed = sum(view.totals.get(b, 0) for b in range(start, end + 1))
            out.append(
                self._anomaly(
                    view,
                    ctx,
                    AnomalyType.VOLUME_SPIKE,
                    (),
                    start,
                    end,
                    score=squash((peak - thr) / thr),
                    message=f"Log volume spiked to {peak} lines {per(view)} against a median "
                    f"of {tm:g}.",
                    evidence={
                        "baseline_median": tm,
                        "baseline_sigma": round(ts, 3),
                        "threshold": round(thr, 3),
                        "observed_peak": peak,
                        "observed_total": observed,
                        "bucket_seconds": view.step,
                    },
                    line_count=observed,
                )
            )
        return out

    def _silences(
        self,
        view: BucketView,
        pid: str,
        series: dict[int, int],
        drops: dict[int, list[str]],
        total_drops: set[int],
    ) -> list[tuple[int, int, str, float]]:
        """``(start, end, pid, rate)`` of a steady pattern's silences: present in nearly every
        bucket while it lasts, over at least half the batch (a heartbeat, a periodic job), then
        a run of at least ``silence_min_buckets`` empty buckets it would almost surely not have
        by chance: at its mean rate ``r`` per bucket, ``exp(-r * run) < silence_alpha``. The
        run may reach the end of the batch (a pattern that stopped); the first bucket, partial,
        never counts as empty. A silence inside a drop of the whole volume is named by that drop
        instead."""
        lim = self._limits
        idx = view.indices
        seen = [b for b in idx[1:-1] if series.get(b, 0) > 0]
        if not seen:
            return []
        active = seen[-1] - seen[0] + 1
        if active < max(lim.min_buckets, len(idx) / 2):
            return []
        if len(seen) < lim.silence_min_presence * active:
            return []
        rate = sum(series.get(b, 0) for b in seen) / len(seen)
        out = []
        for start, end in runs(b for b in idx[1:] if series.get(b, 0) == 0):
            length = end - start + 1
            if start in drops and pid in drops[start]:
                continue  # the drop rule has it
            if length < lim.silence_min_buckets or math.exp(-rate * length) >= lim.silence_alpha:
                continue
            if all(b in total_drops for b in range(start, end + 1)):
                for b in range(start, end + 1):
                    if pid not in drops.setdefault(b, []):
                        drops[b].append(pid)
            else:
                out.append((start, end, pid, rate))
        return out

    def _silence_anomalies(
        self, view: BucketView, ctx: DetectContext, silences: list[tuple[int, int, str, float]]
    ) -> list[Anomaly]:
        """One anomaly per group of silences that overlap (patterns that stopped together are
        one incident), named after the steadiest pattern."""
        out: list[Anomaly] = []
        group: list[tuple[int, int, str, float]] = []

        def close() -> None:
            if not group:
                return
            group.sort(key=lambda g: (-g[3], g[2]))
            start = min(g[0] for g in group)
            end = max(g[1] for g in group)
            rate = group[0][3]
            a = self._drop(
                view,
                ctx,
                tuple(g[2] for g in group),
                start,
                end,
                rate,
                math.sqrt(rate),
                0,
                "pattern",
            )
            if len(group) > 1:
                a = replace(
                    a, message=a.message.replace("' went", f"' and {len(group) - 1} more went", 1)
                )
            out.append(replace(a, severity=Severity.WARNING))
            group.clear()

        last_end = -1
        for item in sorted(silences):
            if group and item[0] > last_end:
                close()
            group.append(item)
            last_end = max(last_end, item[1]) if len(group) > 1 else item[1]
        close()
        return out

    def _levels(
        self,
        view: BucketView,
        ctx: DetectContext,
        ref: RateProfile,
        spiked: dict[str, set[int]],
    ) -> list[Anomaly]:
        """Steady patterns of the baseline whose level in the batch (outside their own spike
        buckets; the first and last buckets, partial, left out) is far from their baseline
        rate: one anomaly for those that rose, one for those that fell or went silent. When
        the whole log's rate moved by ``traffic_ratio`` or more and most steady patterns moved
        with it, that is one traffic anomaly, and a pattern is reported only if it is also far
        from its baseline rate times the traffic's ratio."""
        lim = self._limits
        inner = range(view.first + 1, view.last)
        if len(inner) < lim.min_buckets - 2:
            return []
        rates: dict[str, float] = {}
        names: dict[str, str] = {}
        for pid, n in ref.patterns.items():
            key = ctx.canonical(pid)
            rates[key] = rates.get(key, 0.0) + n / ref.seconds
            names[key] = ctx.template(key) if key in ctx.patterns else ref.templates.get(pid, pid)
        levels: list[tuple[str, int, float, int]] = []  # pattern, seen, expected, buckets
        for pid, rate in rates.items():
            series = view.per_pattern.get(pid, {})
            skip = spiked.get(pid, set())
            buckets = [b for b in inner if b not in skip]
            expected = rate * view.step * len(buckets)
            if expected > 0:
                levels.append((pid, sum(series.get(b, 0) for b in buckets), expected, len(buckets)))
        total = sum(view.totals.get(b, 0) for b in inner)
        observed_lps = total / (len(inner) * view.step)
        baseline_lps = ref.lines / ref.seconds
        traffic = observed_lps / baseline_lps if baseline_lps > 0 else 1.0
        followers = [lv for lv in levels if _moved_with(lv[1] / lv[2], traffic)]
        changed = (
            traffic > 0
            and max(traffic, 1.0 / traffic) >= lim.traffic_ratio
            and 2 * len(followers) > len(levels)
        )
        up: list[tuple[float, str, int, float]] = []
        down: list[tuple[float, str, int, float]] = []
        span = len(inner) * view.step
        for pid, seen, expected, n_buckets in levels:
            move = self._level_move(seen, expected, n_buckets)
            if move == 0:
                continue
            if changed:
                # The traffic of the other lines (a pattern's own move does not excuse it).
                own = sum(view.per_pattern.get(pid, {}).get(b, 0) for b in inner)
                others = ref.lines - rates[pid] * ref.seconds
                rest = (total - own) / span / (others / ref.seconds) if others > 0 else traffic
                if self._level_move(seen, expected * rest, n_buckets) != move:
                    continue  # no further from its rate than the traffic moved
            if move > 0:
                up.append((seen / expected, pid, seen, expected))
            else:
                down.append((expected / max(seen, 1), pid, seen, expected))
        rates_evidence = {
            "observed": round(observed_lps, 3),
            "baseline": round(baseline_lps, 3),
        }
        # A traffic change, when there is one, is the first word; the patterns that moved far
        # beyond it follow.
        lower = traffic < 1.0
        factor = 1.0 / traffic if changed and lower else traffic
        beside = (
            f" while traffic was {factor:.1f}x {'lower' if lower else 'higher'}" if changed else ""
        )
        out: list[Anomaly] = []
        # The traffic's patterns: those that moved with it and not far beyond it (reported on
        # their own); none left, the patterns' messages carry the traffic.
        beyond = {m[1] for m in (*up, *down)}
        with_it = [lv for lv in followers if lv[0] not in beyond] if changed else []
        if with_it:
            out.append(
                self._traffic(
                    view, ctx, inner, traffic, with_it, len(levels), names, total, rates_evidence
                )
            )
        for kind, moved in ((AnomalyType.VOLUME_SPIKE, up), (AnomalyType.VOLUME_DROP, down)):
            if not moved:
                continue
            moved.sort(key=lambda m: (-m[0], m[1]))
            ratio, pid, seen, expected = moved[0]
            others = len(moved) - 1
            more = f" and {others} more pattern{'s' if others > 1 else ''}" if others else ""
            what = f"Pattern '{short(names[pid], 80)}'{more}"
            if kind is AnomalyType.VOLUME_SPIKE:
                message = (
                    f"{what} arrived at {ratio:.1f}x the baseline's rate{beside} "
                    f"({seen} lines where {expected:.0f} were expected)."
                )
                score = squash(ratio / lim.spike_ratio - 1.0)
            else:
                message = (
                    f"{what} went silent{beside}: {expected:.0f} lines expected at the "
                    "baseline's rate."
                    if seen == 0
                    else f"{what} fell to 1/{ratio:.1f} of the baseline's rate{beside} "
                    f"({seen} lines where {expected:.0f} were expected)."
                )
                score = squash(1.0 - seen / expected)
            pids = tuple(m[1] for m in moved[: lim.max_burst_patterns])
            out.append(
                self._anomaly(
                    view,
                    ctx,
                    kind,
                    pids,
                    inner[0],
                    inner[-1],
                    score=score,
                    message=message,
                    evidence={
                        "compared_with": "baseline",
                        "baseline_seconds": ref.seconds,
                        # The whole log's rate beside it: many patterns moving together with
                        # it is a change of traffic (reported on its own when it is one).
                        "lines_per_second": rates_evidence,
                        "traffic_ratio": round(traffic, 3),
                        "bucket_seconds": view.step,
                        "patterns": _rate_moves(
                            ((p, n, e) for _, p, n, e in moved[: lim.max_burst_patterns]), names
                        ),
                    },
                    line_count=sum(m[2] for m in moved),
                )
            )
        return out

    def _level_move(self, seen: int, expected: float, n_buckets: int) -> int:
        """+1 when ``seen`` lines are far above ``expected`` (at ``spike_ratio`` times or more,
        by ``min_spike_count`` lines and ``spike_sigmas``), -1 when far below (at
        ``drop_ratio`` of it or less: none at a chance below ``silence_alpha``, or
        ``drop_sigmas`` below an expected count of ``drop_min_median`` a bucket), else 0."""
        lim = self._limits
        if (
            seen >= lim.spike_ratio * expected
            and seen - expected >= lim.min_spike_count
            and (seen - expected) / math.sqrt(expected) >= lim.spike_sigmas
        ):
            return 1
        if seen <= lim.drop_ratio * expected and (
            (seen == 0 and math.exp(-expected) < lim.silence_alpha)
            or (
                expected / n_buckets >= lim.drop_min_median
                and (expected - seen) / math.sqrt(expected) >= lim.drop_sigmas
            )
        ):
            return -1
        return 0

    def _traffic(
        self,
        view: BucketView,
        ctx: DetectContext,
        inner: range,
        traffic: float,
        followers: list[tuple[str, int, float, int]],
        steady: int,
        names: Mapping[str, str],
        total: int,
        rates_evidence: dict[str, float],
    ) -> Anomaly:
        """One anomaly for a change of traffic: the whole log at ``traffic`` times the
        baseline's lines per second, ``followers`` of the ``steady`` patterns moving with it;
        a warning when it moved as far as one pattern must to be reported, else info."""
        lim = self._limits
        lower = traffic < 1.0
        factor = 1.0 / traffic if lower else traffic
        kind = AnomalyType.VOLUME_DROP if lower else AnomalyType.VOLUME_SPIKE
        followers = sorted(followers, key=lambda lv: (-lv[2], lv[0]))
        pids = tuple(lv[0] for lv in followers[: lim.max_burst_patterns])
        message = (
            f"Traffic is {factor:.1f}x {'lower' if lower else 'higher'} than the baseline's "
            f"({rates_evidence['observed']:g} lines a second where {rates_evidence['baseline']:g}"
            f" were usual): {len(followers)} of {steady} steady patterns moved with it."
        )
        far = traffic <= lim.drop_ratio or traffic >= lim.spike_ratio
        anomaly = self._anomaly(
            view,
            ctx,
            kind,
            pids,
            inner[0],
            inner[-1],
            score=squash(factor / lim.traffic_ratio - 1.0),
            message=message,
            evidence={
                "compared_with": "baseline",
                "traffic": True,
                "traffic_ratio": round(traffic, 3),
                "lines_per_second": rates_evidence,
                "steady_patterns": steady,
                "moved_with_traffic": len(followers),
                "bucket_seconds": view.step,
                "patterns": _rate_moves(
                    ((p, n, e) for p, n, e, _ in followers[: lim.max_burst_patterns]), names
                ),
            },
            line_count=total,
            severity=Severity.WARNING if far else Severity.INFO,
        )
        # Its own id: the same patterns' drop beyond the traffic is another anomaly.
        return replace(
            anomaly,
            id=stable_id("an", "traffic", kind.value, pids, inner[0] * view.step, view.step),
        )

    def _drop(
        self,
        view: BucketView,
        ctx: DetectContext,
        pids: tuple[str, ...],
        start: int,
        end: int,
        m: float,
        sigma: float,
        observed: int,
        scope: str,
    ) -> Anomaly:
        nb = end - start + 1
        what = (
            f"Pattern '{short(ctx.template(pids[0]), 80)}'" if scope == "pattern" else "Log volume"
        )
        per_bucket = observed / nb
        deficit = (m - per_bucket) / max(m, 1.0)
        span = view.line_span(start, end)
        where = "" if span is None else f" in lines {span[0]:,}-{span[1]:,}"
        evidence: dict[str, object] = {
            "baseline_median": m,
            "baseline_sigma": round(sigma, 3),
            "observed_per_bucket": per_bucket,
            "buckets": nb,
            "bucket_seconds": view.step,
            "scope": scope,
        }
        if span is not None:
            evidence["line_range"] = list(span)
        # A silence on the time axis means the source stopped saying it. On the line axis (no
        # timestamps) a gap may only mean other lines crowded it out: a warning, not an error.
        silent_error = observed == 0 and span is None
        return self._anomaly(
            view,
            ctx,
            AnomalyType.VOLUME_DROP,
            pids,
            start,
            end,
            score=squash(deficit * 2),
            message=(
                f"{what} dropped to {per_bucket:g} lines {per(view)}{where} against a median "
                f"of {m:g}."
                if observed
                else f"{what} went silent{where} against a median of {m:g} lines {per(view)}."
            ),
            evidence=evidence,
            line_count=observed,
            severity=Severity.ERROR if silent_error else Severity.WARNING,
        )

    def _faulty(self, pid: str, ctx: DetectContext) -> bool:
        """Whether the pattern's lines are error or critical events."""
        sev = effective_severity(ctx.severity(pid), self.counter.kinds.get(pid))
        return sev.at_least(Severity.ERROR)

    # -- error share -------------------------------------------------------------------------

    def _bursts(self, view: BucketView, ctx: DetectContext) -> list[Anomaly]:
        lim = self._limits
        shares = [view.errors.get(b, 0) / n for b in view.indices if (n := view.totals.get(b, 0))]
        if not shares:
            return []
        p = median(shares)
        # The usual count of error lines per bucket (of buckets with lines). Where errors are
        # most lines anyway, a burst that doubles them moves the share less than the binomial
        # test asks (58% -> 76%): the count tells it, and the lift still rules out a surge of
        # all lines alike.
        em, es = robust([float(view.errors.get(b, 0)) for b in view.indices if view.totals.get(b)])
        flagged: list[int] = []
        for b in view.indices:
            n = view.totals.get(b, 0)
            e = view.errors.get(b, 0)
            if e < lim.burst_min_errors or e / n - p < lim.burst_min_lift:
                continue
            z = (e - n * p) / math.sqrt(n * p * (1 - p) + 1.0)
            if z >= lim.burst_sigmas or (e - em) / es >= lim.burst_sigmas:
                flagged.append(b)
        out = []
        for start, end in runs(flagged):
            e = sum(view.errors.get(b, 0) for b in range(start, end + 1))
            n = sum(view.totals.get(b, 0) for b in range(start, end + 1))
            counts: dict[str, int] = {}
            for b in range(start, end + 1):
                for pid, c in view.error_patterns.get(b, {}).items():
                    counts[pid] = counts.get(pid, 0) + c
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            top = ranked[:5]
            lines: list[int] = []
            for b in range(start, end + 1):
                lines.extend(view.error_samples.get(b, ()))
            lines.sort()
            share = e / n
            crit = any(ctx.severity(pid) is Severity.CRITICAL for pid, _ in top)
            out.append(
                Anomaly(
                    id=stable_id("an", AnomalyType.ERROR_BURST.value, start * view.step, end),
                    type=AnomalyType.ERROR_BURST,
                    severity=Severity.CRITICAL if crit else Severity.ERROR,
                    score=squash((share - p) / max(lim.burst_min_lift, p) - 1.0),
                    message=(
                        f"Errors rose to {share:.0%} of lines ({e} of {n}) against a usual {p:.1%}."
                    ),
                    pattern_ids=tuple(pid for pid, _ in ranked[: lim.max_burst_patterns]),
                    window=view.window(start, end),
                    evidence={
                        "baseline_share": round(p, 4),
                        "observed_share": round(share, 4),
                        "error_lines": e,
                        "lines": n,
                        "bucket_seconds": view.step,
                        "top_patterns": [
                            {"pattern_id": pid, "count": c, "template": short(ctx.template(pid))}
                            for pid, c in top
                        ],
                    },
                    lines=tuple(lines[: lim.max_lines_per_anomaly]),
                    line_count=e,
                )
            )
        return out

    def _anomaly(
        self,
        view: BucketView,
        ctx: DetectContext,
        kind: AnomalyType,
        pids: tuple[str, ...],
        start: int,
        end: int,
        *,
        score: float,
        message: str,
        evidence: dict[str, object],
        line_count: int,
        severity: Severity | None = None,
    ) -> Anomaly:
        if severity is None:
            kinds = self.counter.kinds
            sev = min(
                (effective_severity(ctx.severity(p), kinds.get(p)) for p in pids),
                key=lambda s: s.rank,
                default=Severity.INFO,
            )
            severity = sev if sev.at_least(Severity.ERROR) else Severity.WARNING
        return Anomaly(
            id=stable_id("an", kind.value, pids, start * view.step, end, view.step),
            type=kind,
            severity=severity,
            score=score,
            message=message,
            pattern_ids=pids,
            window=view.window(start, end),
            evidence=evidence,
            lines=tuple(view.lines_of(pids, start, end, self._limits.max_lines_per_anomaly)),
            line_count=line_count,
        )


def _moved_with(ratio: float, traffic: float) -> bool:
    """A pattern at ``ratio`` times its baseline rate moved with the traffic at ``traffic``
    times the baseline's: the same way, at least half as far (in ratio)."""
    if traffic < 1.0:
        return ratio < 1.0 and (ratio == 0.0 or math.log(ratio) <= 0.5 * math.log(traffic))
    if traffic > 1.0:
        return ratio > 1.0 and math.log(ratio) >= 0.5 * math.log(traffic)
    return False


def _rate_moves(
    moves: Iterable[tuple[str, int, float]], names: Mapping[str, str]
) -> list[dict[str, object]]:
    """Evidence of patterns judged against their baseline rate: ``(pattern id, lines seen,
    lines expected)`` each."""
    return [
        {"pattern_id": p, "template": short(names[p]), "observed": n, "expected": round(e, 1)}
        for p, n, e in moves
    ]


def _merge_aliases(view: BucketView, ctx: DetectContext) -> None:
    """Count lines that carry a folded pattern's id under the pattern it was folded into."""
    if not any(ctx.canonical(pid) != pid for pid in view.per_pattern):
        return
    merged: dict[str, dict[int, int]] = {}
    for pid, series in view.per_pattern.items():
        target = merged.setdefault(ctx.canonical(pid), {})
        for b, c in series.items():
            target[b] = target.get(b, 0) + c
    samples: dict[tuple[int, str], list[int]] = {}
    for (b, pid), lines in view.samples.items():
        samples.setdefault((b, ctx.canonical(pid)), []).extend(lines)
    for lines in samples.values():
        lines.sort()
    view.per_pattern, view.samples = merged, samples
    for b, row in view.error_patterns.items():
        canon: dict[str, int] = {}
        for pid, c in row.items():
            key = ctx.canonical(pid)
            canon[key] = canon.get(key, 0) + c
        view.error_patterns[b] = canon
