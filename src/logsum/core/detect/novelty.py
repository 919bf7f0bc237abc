"""``new_pattern`` and ``rare_pattern``: patterns that are new to the caller, or rare here."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from logsum.core.detect.base import DetectContext, DetectLimits, short, squash
from logsum.core.detect.faults import LineKind, classify, effective_severity
from logsum.core.detect.model import Anomaly, AnomalyType, TimeWindow, stable_id
from logsum.core.model import LineResult, Severity

_SEVERITY_SCORE = {
    Severity.CRITICAL: 0.95,
    Severity.ERROR: 0.85,
    Severity.WARNING: 0.7,
    Severity.INFO: 0.5,
    Severity.DEBUG: 0.4,
}


_WARNING_OR_WORSE = frozenset(s for s in Severity if s.at_least(Severity.WARNING))
_FAULT_LEVELS = frozenset(s for s in Severity if s.at_least(Severity.ERROR))
"""Severities as sets: a membership test where a loop over every pattern asks ``at_least``."""

MAX_EXAMPLE_CHARS = 500
"""Characters kept of a pattern's first message."""


@dataclass(slots=True)
class _Seen:
    first_line: int
    first_pos: int
    kind: LineKind | None = LineKind.EVENT
    """The kind of the first line's message; ``None`` until asked (see :func:`_first`)."""
    severity: Severity = Severity.INFO
    """The first line's severity: used when the pattern snapshots no longer hold this id."""
    example: str = ""
    """The first line's message (cut): the template when the snapshots no longer hold it."""
    count: int = 0
    first_t: datetime | None = None
    last_t: datetime | None = None
    last_pos: int = 0
    lines: list[int] = field(default_factory=list)


class NoveltyDetector:
    """Tracks each pattern's first sight, count and first lines (bounded per pattern).

    ``new_pattern``: with a caller history (``known_pattern_ids`` non-empty), every pattern not
    in it. Without one, a warning-or-worse pattern is new when a steady pattern would almost
    surely have shown up earlier: with ``f`` the share of the batch before its first line and
    ``n`` its lines, ``(1 - f) ** n < new_pattern_alpha`` (ten lines in the last fifth of the
    batch: yes; one line there: no, that is a rare pattern's business). ``rare_pattern``: in a
    batch of at least ``rare_min_batch`` lines, a fault pattern (error or critical event, see
    :mod:`~logsum.core.detect.faults`) holding at most ``rare_fault_share`` of the lines, or a
    warning pattern holding at most ``rare_max_share``, not already reported as new.
    """

    def __init__(self, limits: DetectLimits, known_pattern_ids: Collection[str] = ()) -> None:
        self._limits = limits
        self._known = frozenset(known_pattern_ids)
        self._seen: dict[str, _Seen] = {}
        self._n = 0
        self._t0: datetime | None = None
        self._t1: datetime | None = None

    def feed(self, result: LineResult) -> None:
        """Note one line."""
        self._n += 1
        ts = result.timestamp
        if ts is not None:
            if self._t0 is None or ts < self._t0:
                self._t0 = ts
            if self._t1 is None or ts > self._t1:
                self._t1 = ts
        s = self._seen.get(result.pattern_id)
        if s is None:
            s = self._seen[result.pattern_id] = _first(result, self._n)
        s.count += 1
        s.last_pos = self._n
        if ts is not None:
            if s.first_t is None:
                s.first_t = ts
            s.last_t = ts
        if len(s.lines) < self._limits.max_lines_per_anomaly:
            s.lines.append(result.line)

    def feed_many(self, results: Sequence[LineResult]) -> None:
        """Note many lines (the same as :meth:`feed` on each, with less overhead)."""
        seen = self._seen
        cap = self._limits.max_lines_per_anomaly
        n = self._n
        t0, t1 = self._t0, self._t1
        prev = None
        for r in results:
            n += 1
            ts = r.timestamp
            s = seen.get(r.pattern_id)
            if s is None:
                s = seen[r.pattern_id] = _first(r, n)
            s.count += 1
            s.last_pos = n
            if ts is not None:
                if ts is not prev:
                    prev = ts
                    if t0 is None or ts < t0:
                        t0 = ts
                    if t1 is None or ts > t1:
                        t1 = ts
                if s.first_t is None:
                    s.first_t = ts
                s.last_t = ts
            if s.count <= cap:
                s.lines.append(r.line)
        self._n, self._t0, self._t1 = n, t0, t1

    def surprise(self, s: _Seen) -> float:
        """How unlikely it is that a steady pattern with this many lines was absent from
        everything before its first line: ``(1 - f) ** count``, ``f`` the share of the batch
        (by time when known, else by position) that came before it."""
        f = (s.first_pos - 1) / self._n if self._n else 0.0
        if s.first_t is not None and self._t0 is not None and self._t1 is not None:
            span = (self._t1 - self._t0).total_seconds()
            if span > 0:
                f = (s.first_t - self._t0).total_seconds() / span
        return float((1.0 - min(max(f, 0.0), 1.0)) ** s.count)

    def finish(self, context: DetectContext) -> list[Anomaly]:
        """new_pattern and rare_pattern anomalies."""
        lim = self._limits
        known = self._known or frozenset(context.known_pattern_ids)

        def sev(pid: str, s: _Seen) -> Severity:
            return _severity(context, pid, s)

        seen, members = self._folded(context)
        new: list[tuple[str, _Seen]] = []
        for pid, s in seen.items():
            if known:
                if known.isdisjoint(members[pid]):
                    new.append((pid, s))
            elif (
                context.severity(pid, s.severity) in _WARNING_OR_WORSE
                and self.surprise(s) < lim.new_pattern_alpha
            ):
                new.append((pid, s))
        new.sort(key=lambda kv: (sev(*kv).rank, kv[1].first_line))
        out = [self._new(pid, s, context, bool(known)) for pid, s in new[: lim.max_new_patterns]]
        reported = {pid for pid, _ in new}
        if self._n >= lim.rare_min_batch:
            rare = []
            most = max(lim.rare_fault_share, lim.rare_max_share)
            for pid, s in self._seen.items():
                share = s.count / self._n
                if share > most or pid in reported:
                    continue  # too common to be rare at any severity (no need to find it)
                e = sev(pid, s)
                if (e in _FAULT_LEVELS and share <= lim.rare_fault_share) or (
                    e is Severity.WARNING and share <= lim.rare_max_share
                ):
                    rare.append((pid, s))
            rare.sort(key=lambda kv: (sev(*kv).rank, kv[1].count, kv[1].first_line))
            rare = rare[: lim.max_rare]
            steady = [kv for kv in rare if not self._clustered(kv[1])]
            if len(steady) >= lim.rare_group_min:
                # The stream's own background of rare faults: reported once, as one anomaly;
                # a rare pattern whose lines bunch together in time is still reported alone.
                keep = {pid for pid, _ in steady}
                out.extend(self._rare(pid, s, context) for pid, s in rare if pid not in keep)
                out.append(self._rare_group(steady, context))
            else:
                out.extend(self._rare(pid, s, context) for pid, s in rare)
        return out

    def _folded(self, ctx: DetectContext) -> tuple[dict[str, _Seen], dict[str, set[str]]]:
        """The patterns seen under their current ids, and the ids each was seen under. Lines
        read under ids the miner later folded into one pattern are that pattern's: otherwise a
        pattern the history knows, whose first lines in this batch went to short-lived
        clusters, is reported once per such cluster as new (50 'new' patterns of one
        template, each of 5 lines). (Rarity is still judged per id seen: folded into a
        common pattern, a rare alert line of BGL_2k went unreported.)"""
        if all(ctx.canonical(pid) == pid for pid in self._seen):
            return self._seen, {pid: {pid} for pid in self._seen}
        cap = self._limits.max_lines_per_anomaly
        seen: dict[str, _Seen] = {}
        members: dict[str, set[str]] = {}
        for pid, s in sorted(self._seen.items(), key=lambda kv: kv[1].first_pos):
            c = ctx.canonical(pid)
            members.setdefault(c, set()).add(pid)
            members[c].add(c)
            into = seen.get(c)
            if into is None:  # the earliest sight gives first line, kind, severity, example
                seen[c] = replace(s, lines=list(s.lines))
                continue
            into.count += s.count
            into.last_pos = max(into.last_pos, s.last_pos)
            if s.first_t is not None and (into.first_t is None or s.first_t < into.first_t):
                into.first_t = s.first_t
            if s.last_t is not None and (into.last_t is None or s.last_t > into.last_t):
                into.last_t = s.last_t
            into.lines = sorted(into.lines + s.lines)[:cap]
        return seen, members

    def clustering(self, s: _Seen) -> float:
        """How likely a pattern at a steady rate would put all its lines as close together as
        these: about ``k * (w / N) ** (k - 1)`` for ``k`` lines spanning ``w`` of the batch's
        ``N`` lines (1.0 for one line). By position, not time: a few lines with stray stamps
        (a message quoting another date) would stretch a time span and make every pattern look
        bunched."""
        if s.count < 2 or self._n < 2:
            return 1.0
        w = (s.last_pos - s.first_pos + 1) / self._n
        return float(min(1.0, s.count * w ** (s.count - 1)))

    def _clustered(self, s: _Seen) -> bool:
        return self.clustering(s) < self._limits.rare_cluster_alpha

    def _window(self, s: _Seen) -> TimeWindow | None:
        if s.first_t is None or s.last_t is None:
            return None
        return TimeWindow(s.first_t, s.last_t)

    def _new(self, pid: str, s: _Seen, ctx: DetectContext, history: bool) -> Anomaly:
        sev = _severity(ctx, pid, s)
        where = "in this source's history" if history else "in the earlier part of this batch"
        p = self.surprise(s)
        return Anomaly(
            id=stable_id("an", AnomalyType.NEW_PATTERN.value, pid),
            type=AnomalyType.NEW_PATTERN,
            severity=sev if sev.at_least(Severity.WARNING) else Severity.INFO,
            score=_SEVERITY_SCORE[sev]
            if history
            else squash(math.log10(self._limits.new_pattern_alpha / max(p, 1e-300)) / 3),
            message=(
                f"New {sev.value} pattern never seen {where}: "
                f"'{short(_template(ctx, pid, s), 100)}' "
                f"({s.count} line{'s' if s.count != 1 else ''})."
            ),
            pattern_ids=(pid,),
            window=self._window(s),
            evidence={
                "template": _template(ctx, pid, s),
                "count": s.count,
                "first_line": s.first_line,
                "first_seen": s.first_t,
                "baseline": "caller history" if history else "earlier lines of the batch",
                "chance_if_steady": None if history else float(f"{p:.3g}"),
            },
            lines=tuple(s.lines),
            line_count=s.count,
        )

    def _rare(self, pid: str, s: _Seen, ctx: DetectContext) -> Anomaly:
        sev = _severity(ctx, pid, s)
        share = s.count / self._n
        cap = (
            self._limits.rare_fault_share
            if sev.at_least(Severity.ERROR)
            else self._limits.rare_max_share
        )
        return Anomaly(
            id=stable_id("an", AnomalyType.RARE_PATTERN.value, pid),
            type=AnomalyType.RARE_PATTERN,
            severity=sev,
            score=squash(math.log10(cap / share)),
            message=(
                f"Rare {sev.value} pattern: '{short(_template(ctx, pid, s), 100)}' appears "
                f"{s.count} time{'s' if s.count != 1 else ''} in {self._n} lines."
            ),
            pattern_ids=(pid,),
            window=self._window(s),
            evidence={
                "template": _template(ctx, pid, s),
                "count": s.count,
                "batch_lines": self._n,
                "share": share,
                "first_line": s.first_line,
            },
            lines=tuple(s.lines),
            line_count=s.count,
        )

    def _rare_group(self, members: list[tuple[str, _Seen]], ctx: DetectContext) -> Anomaly:
        """One anomaly for rare fault patterns spread through the batch (none bunched in time):
        the batch's ordinary trickle of rare errors, named once rather than one by one."""
        sevs = [_severity(ctx, pid, s) for pid, s in members]
        worst = min(sevs, key=lambda e: e.rank)
        lines = sum(s.count for _, s in members)
        starts = [s.first_t for _, s in members if s.first_t is not None]
        ends = [s.last_t for _, s in members if s.last_t is not None]
        window = TimeWindow(min(starts), max(ends)) if starts and ends else None
        cap = self._limits.max_lines_per_anomaly
        shown: list[int] = sorted(ln for _, s in members for ln in s.lines)[:cap]
        pids = tuple(pid for pid, _ in members)
        share = lines / self._n
        return Anomaly(
            id=stable_id("an", AnomalyType.RARE_PATTERN.value, "steady", worst.value),
            type=AnomalyType.RARE_PATTERN,
            severity=worst,
            score=squash(math.log10(self._limits.rare_fault_share / max(share, 1e-12))) / 2,
            message=(
                f"{len(members)} rare {worst.value} patterns recur through the batch at a low "
                f"rate, none bunched in time ({lines} lines in {self._n}), e.g. "
                f"'{short(_template(ctx, *members[0]), 100)}'."
            ),
            pattern_ids=pids,
            window=window,
            evidence={
                "patterns": [
                    {"pattern_id": pid, "template": _template(ctx, pid, s), "count": s.count}
                    for pid, s in members
                ],
                "count": lines,
                "batch_lines": self._n,
                "share": share,
                "grouped": True,
            },
            lines=tuple(shown),
            line_count=lines,
        )


def _first(r: LineResult, position: int) -> _Seen:
    """A pattern's record from its first line. The kind of the message matters only for an
    error or critical pattern (see :func:`_severity`), and classifying every pattern's first
    message was a large part of an analysis: the kind is left to be found from ``example`` when
    asked, which is the whole message unless it is long (then it is classified now)."""
    message = r.message
    kind = classify(message) if len(message) > MAX_EXAMPLE_CHARS else None
    return _Seen(
        r.line, position, kind, r.severity, message[:MAX_EXAMPLE_CHARS], first_t=r.timestamp
    )


def _severity(ctx: DetectContext, pid: str, s: _Seen) -> Severity:
    """The severity an anomaly about the pattern deserves (``effective_severity`` of the
    pattern's severity and the kind of its first message)."""
    sev = ctx.severity(pid, s.severity)
    if sev not in _FAULT_LEVELS:
        return sev  # the kind changes only errors and criticals
    if s.kind is None:
        s.kind = classify(s.example)
    return effective_severity(sev, s.kind)


def _template(ctx: DetectContext, pid: str, s: _Seen) -> str:
    """The pattern's template, or the first message seen under this id."""
    return ctx.template(pid) if pid in ctx.patterns else s.example
