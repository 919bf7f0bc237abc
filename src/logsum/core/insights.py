"""Insights: typed, ranked statements a person can act on, each with its evidence.

An :class:`InsightCollector` is fed the same LineResults as the detectors (O(1) bounded work per
line: counters and small deterministic reservoirs) and, at the end, reads the pattern templates
to say what the numbers mean. The vocabulary it uses is generic operations English (``failed``,
``refused``, ``timeout``, ``restart``, ``password``...), never one system's words.

Kinds:

- ``security``: authentication failures and the few source addresses behind most of them.
- ``reliability``: the pattern and the component with the most error lines, with their share.
- ``performance``: durations found in parameters (a unit in the value or next to it in the
  template, or a duration word before it): percentiles and the slowest pattern.
- ``availability``: connection failures and restarts or shutdowns.
- ``volume``: one pattern dominating the volume.
- ``change``: error patterns new since the previous analysis (needs the caller's history).
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from logsum.core.detect.base import short
from logsum.core.detect.caseless import Caseless
from logsum.core.detect.model import (
    Anomaly,
    AnomalyType,
    Insight,
    InsightType,
    JSONValue,
    iso_utc,
    stable_id,
)
from logsum.core.model import WILDCARD, LineResult, Pattern, Severity, by_id_and_alias

RESERVOIR = 512
"""Values kept per (pattern, parameter) for percentiles (a deterministic reservoir)."""

MAX_SERIES = 5_000
"""(pattern, parameter) numeric series tracked in all."""

MAX_ADDRESSES_PER_PATTERN = 2_000
"""Distinct addresses counted per pattern; beyond it, only already-counted ones grow."""

MAX_COMPONENTS = 2_000
"""Distinct components counted; beyond it the less frequent half is forgotten."""

TOP = 5
"""Top values listed in evidence."""

MIN_AUTH_FAILURES = 5
"""Authentication failures needed for a security insight (one typo is not news)."""

MIN_AVAILABILITY_EVENTS = 3
"""Connection failures (or restarts) needed for an availability insight."""

MIN_COMPONENT_ERRORS = 5
"""Error lines a component needs before it is named the top failing component."""

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\d.])({_OCTET}(?:\.{_OCTET}){{3}})(?![\d.])")
_NUM_UNIT = re.compile(
    r"^\+?(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|msec|msecs|millis|s|sec|secs|seconds|m|min|mins)?$",
    re.IGNORECASE,
)
_UNIT_MS = {
    "ns": 1e-6,
    "us": 1e-3,
    "µs": 1e-3,
    "ms": 1.0,
    "msec": 1.0,
    "msecs": 1.0,
    "millis": 1.0,
    "milliseconds": 1.0,
    "s": 1000.0,
    "sec": 1000.0,
    "secs": 1000.0,
    "second": 1000.0,
    "seconds": 1000.0,
    "m": 60_000.0,
    "min": 60_000.0,
    "mins": 60_000.0,
    "minutes": 60_000.0,
}
_DURATION_WORDS = re.compile(
    r"(took|duration|latency|elapsed|rtt|response[_ ]?time|waited|spent)\W*$", re.I
)
_AUTH = Caseless(
    r"(auth\w*|log[- ]?in|logon|password|passwd|credential|invalid user|user unknown|"
    r"unauthori[sz]ed|access denied)",
)
_FAIL = Caseless(
    r"(fail\w*|invalid|denied|incorrect|bad|wrong|unknown|unauthori[sz]ed|forbidden|"
    r"not allowed|reject\w*|refused)",
)
_CONN_FAIL = Caseless(
    r"(connection (refused|reset|timed out|closed by peer|lost|aborted)|"
    r"(could not|cannot|can't|unable to|failed to) (connect|reach|open connection)|"
    r"connect(ion)? fail\w*|unreachable|broken pipe|no route to host|"
    r"(connect|read|write|request|socket)\w* timed out)",
)
_RESTART = Caseless(
    r"\b(restart\w*|reboot\w*|shut(ting)? ?down|shutdown|starting up|start(ed|ing) "
    r"(server|service|daemon)|stopp(ed|ing)|crash\w*|killed|"
    r"out of memory|oom)\b",
)


MAX_TEMPLATE_READINGS = 20_000
"""Templates whose reading (auth failure, connection failure, restart) is remembered between
analyses (least recently used first out)."""

MAX_MESSAGE_CHARS = 500
"""Characters kept of the one message remembered per pattern id."""

_CUE_ADDRESS = 1
_CUE_DURATION = 2
_CUE_RESTART = 4
RESTART_GAP = timedelta(seconds=2)
"""Restart or shutdown lines at most this far from the one before are the same restart (a
server's one shutdown writes several lines within a second)."""
MAX_CUES = 100_000
"""Patterns whose cue (what to parse in their parameters) is remembered."""
# A duration cue is a number with a unit, or a duration word. Two patterns rather than one
# alternation: the first starts with a digit, which the regex engine skips to quickly, and
# the second has its words as needles (see Caseless).
_DURATION_UNIT = Caseless(
    r"\d\s*(ns|us|µs|ms|msec|msecs|millis|milliseconds|s|sec|secs|seconds|min|mins|minutes)\b"
)
_DURATION_WORD = Caseless(r"\b(took|duration|latency|elapsed|rtt|response[_ ]?time|waited|spent)\b")


def _cue(message: str) -> int:
    """What is worth parsing in the parameters of lines like this one."""
    cue = 0
    if "." in message and (
        (_AUTH.found_in(message) and _FAIL.found_in(message))
        or _CONN_FAIL.found_in(message)
        or _RESTART.found_in(message)
    ):
        cue |= _CUE_ADDRESS
    if _DURATION_UNIT.found_in(message) or _DURATION_WORD.found_in(message):
        cue |= _CUE_DURATION
    if _RESTART.found_in(message):
        cue |= _CUE_RESTART
    return cue


@dataclass(slots=True)
class _Series:
    """Numeric values of one (pattern, parameter index)."""

    unit_hits: Counter[str] = field(default_factory=Counter)
    n: int = 0
    total: float = 0.0
    max: float = 0.0
    sample: list[float] = field(default_factory=list)
    numeric_misses: int = 0


class InsightCollector:
    """Feeds on LineResults; :meth:`finish` returns ranked, de-duplicated insights."""

    def __init__(self, known_pattern_ids: Collection[str] = ()) -> None:
        self._known = frozenset(known_pattern_ids)
        self._n = 0
        self._errors = 0
        self._pattern_lines: Counter[str] = Counter()
        self._pattern_errors: Counter[str] = Counter()
        self._comp_lines: Counter[str] = Counter()
        self._comp_errors: Counter[str] = Counter()
        self._addresses: dict[str, Counter[str]] = {}
        self._series: dict[tuple[str, int], _Series] = {}
        self._cues: dict[str, int] = {}
        self._messages: dict[str, str] = {}
        self._spans: dict[str, list[datetime]] = {}
        self._restarts: dict[str, int] = {}
        """Restarts each pattern with a restart cue opened (a line more than RESTART_GAP after
        the last restart line, or without a time); 0 when its lines only continued others'."""
        self._last_restart: datetime | None = None
        """First and last timestamp of each pattern with an address or duration cue."""
        """A message of each pattern id, read as its template when the snapshots passed to
        :meth:`finish` no longer hold that id."""

    def feed(self, r: LineResult) -> None:
        """Count one line."""
        self.feed_many((r,))

    def feed_many(self, results: Sequence[LineResult]) -> None:
        """Count many lines (O(1) each: counters, plus parameter parsing for the patterns whose
        message has an address or a duration cue). Counting runs in bulk (``Counter.update``)."""
        if not results:
            return
        err_a, err_b = Severity.ERROR, Severity.CRITICAL
        pids = [r.pattern_id for r in results]
        self._pattern_lines.update(pids)
        errs = [r for r in results if r.severity is err_a or r.severity is err_b]
        self._pattern_errors.update([r.pattern_id for r in errs])
        comps = [c for r in results if (c := r.header.component) is not None]
        if comps:
            self._comp_lines.update(comps)
            self._comp_errors.update([c for r in errs if (c := r.header.component) is not None])
            if len(self._comp_lines) > MAX_COMPONENTS:
                keep = {c for c, _ in self._comp_lines.most_common(MAX_COMPONENTS // 2)}
                self._comp_lines = Counter({c: self._comp_lines[c] for c in keep})
                self._comp_errors = Counter(
                    {c: n for c, n in self._comp_errors.items() if c in keep}
                )
        cues = self._cues
        for pid, r in dict(zip(pids, results, strict=True)).items():
            if pid not in cues:
                if len(cues) >= MAX_CUES:
                    cues.clear()
                    self._messages.clear()
                cues[pid] = _cue(r.message)
                self._messages[pid] = r.message[:MAX_MESSAGE_CHARS]
        get = cues.get
        spans = self._spans
        for r in [r for r in results if get(r.pattern_id) and not r.continuation]:
            pid = r.pattern_id
            if cues[pid] & _CUE_RESTART:
                self._restart(pid, r.timestamp)
                if cues[pid] == _CUE_RESTART:
                    continue
            if r.params:
                self._params(pid, r.params, cues[pid])
            ts = r.timestamp
            if ts is not None:
                span = spans.get(pid)
                if span is None:
                    spans[pid] = [ts, ts]
                elif ts < span[0]:
                    span[0] = ts
                elif ts > span[1]:
                    span[1] = ts
        self._n += len(results)
        self._errors += len(errs)

    def _restart(self, pid: str, ts: datetime | None) -> None:
        last = self._last_restart
        opens = ts is None or last is None or abs(ts - last) > RESTART_GAP
        self._restarts[pid] = self._restarts.get(pid, 0) + opens
        if ts is not None:
            self._last_restart = ts

    def _params(self, pid: str, params: tuple[str, ...], cue: int) -> None:
        # Addresses and numbers go to separate tables: one pass for each cue the pattern has.
        if cue & _CUE_ADDRESS:
            for value in params:
                if "." in value:
                    for ip in _IPV4.findall(value):
                        self._count_address(pid, ip)
        if cue & _CUE_DURATION:
            for i, value in enumerate(params):
                if value and (value[0].isdigit() or value[0] == "+"):
                    self._number(pid, i, value)

    def _count_address(self, pid: str, ip: str) -> None:
        c = self._addresses.get(pid)
        if c is None:
            c = self._addresses[pid] = Counter()
        if ip in c or len(c) < MAX_ADDRESSES_PER_PATTERN:
            c[ip] += 1

    def _number(self, pid: str, i: int, value: str) -> None:
        m = _NUM_UNIT.match(value)
        if m is None:
            return
        key = (pid, i)
        s = self._series.get(key)
        if s is None:
            if len(self._series) >= MAX_SERIES:
                return
            s = self._series[key] = _Series()
        unit = (m.group(2) or "").lower()
        s.unit_hits[unit] += 1
        x = float(m.group(1)) * _UNIT_MS.get(unit, 1.0)
        s.n += 1
        s.total += x
        s.max = max(s.max, x)
        if len(s.sample) < RESERVOIR:
            s.sample.append(x)
        else:
            # Reservoir sampling (the n-th value replaces a random slot with chance
            # RESERVOIR / n), deterministic: a multiplicative hash of the count, taken to 32
            # bits, stands in for the random draw in [0, n).
            j = (s.n * 2654435761 & 0xFFFFFFFF) % s.n
            if j < RESERVOIR:
                s.sample[j] = x

    # -- finish ------------------------------------------------------------------------------

    def finish(
        self, patterns: Sequence[Pattern], anomalies: Sequence[Anomaly] = ()
    ) -> list[Insight]:
        """Ranked insights (rank 1 first), no two alike. ``anomalies`` (from the detectors)
        add the volume insights about spikes and silences."""
        by_id = by_id_and_alias(patterns)
        if any(q.id != pid for pid in self._pattern_lines if (q := by_id.get(pid))):
            return self._folded(by_id)._finish(by_id, anomalies)
        return self._finish(by_id, anomalies)

    def _folded(self, by_id: Mapping[str, Pattern]) -> InsightCollector:
        """A copy whose per-pattern counts are under the patterns' current ids (lines of a
        folded pattern count for the pattern it was folded into, as in ``Pattern.count``).
        Parameter series stay per id: their indices belong to the template of their time."""

        def canon(pid: str) -> str:
            p = by_id.get(pid)
            return p.id if p is not None else pid

        view = copy.copy(self)
        view._pattern_lines = Counter()
        for pid, n in self._pattern_lines.items():
            view._pattern_lines[canon(pid)] += n
        view._pattern_errors = Counter()
        for pid, n in self._pattern_errors.items():
            view._pattern_errors[canon(pid)] += n
        view._addresses = {}
        for pid, c in self._addresses.items():
            view._addresses.setdefault(canon(pid), Counter()).update(c)
        view._restarts = {}
        for pid, n in self._restarts.items():
            view._restarts[canon(pid)] = view._restarts.get(canon(pid), 0) + n
        view._spans = {}
        for pid, (first, last) in self._spans.items():
            span = view._spans.setdefault(canon(pid), [first, last])
            span[0], span[1] = min(span[0], first), max(span[1], last)
        return view

    def _finish(self, by_id: Mapping[str, Pattern], anomalies: Sequence[Anomaly]) -> list[Insight]:
        # What each pattern's template says, read once here: several insights ask it of every
        # pattern (the readings themselves are memoised, but finding the template and the memo
        # entry of every pattern for each question was most of the work of finish).
        readings = {p: _reading(self._tmpl(by_id, p)) for p in self._pattern_lines}
        found = [
            *self._security(by_id, readings),
            *self._reliability(by_id, readings),
            *self._performance(by_id),
            *self._availability(by_id, readings),
            *self._volume(by_id),
            *self._change(by_id),
            *_volume_changes(anomalies),
        ]
        seen: set[str] = set()
        unique = []
        for ins in sorted(found, key=lambda i: (-i.score, i.type.value, i.id)):
            if ins.id in seen or not ins.evidence:
                continue
            seen.add(ins.id)
            unique.append(ins)
        return [
            Insight(i.id, i.type, i.message, i.score, i.evidence, rank, i.pattern_ids)
            for rank, i in enumerate(unique, 1)
        ]

    def _tmpl(self, by_id: Mapping[str, Pattern], pid: str) -> str:
        p = by_id.get(pid)
        return p.template if p else self._messages.get(pid, pid)

    def _nameable(self, by_id: Mapping[str, Pattern], pid: str) -> bool:
        """Whether a pattern's template says something to act on: not empty (the head line of
        a two-line record such as java.util.logging's, a level with no text, a blank line)."""
        return bool(self._tmpl(by_id, pid).strip())

    def _security(
        self, by_id: Mapping[str, Pattern], readings: Mapping[str, _Reading]
    ) -> list[Insight]:
        auth = [p for p, r in readings.items() if r.auth_failure]
        attempts = sum(self._pattern_lines[p] for p in auth)
        if attempts < MIN_AUTH_FAILURES:
            return []
        addrs: Counter[str] = Counter()
        for p in auth:
            addrs.update(self._addresses.get(p, {}))
        auth.sort(key=lambda p: (-self._pattern_lines[p], p))
        evidence: dict[str, JSONValue] = {
            "failures": attempts,
            "patterns": [
                {"pattern_id": p, "template": short(self._tmpl(by_id, p)), "count": n}
                for p in auth[:TOP]
                if (n := self._pattern_lines[p])
            ],
        }
        if addrs:
            top = sorted(addrs.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
            addressed = sum(addrs.values())
            top_share = sum(c for _, c in top) / addressed
            evidence["top_sources"] = [{"address": a, "count": c} for a, c in top]
            evidence["distinct_sources"] = len(addrs)
            evidence["top_sources_share"] = round(top_share, 4)
            names = ", ".join(f"{a} ({c})" for a, c in top[:3])
            brute = attempts >= 10 and top_share >= 0.5
            firsts = [self._spans[p][0] for p in auth if p in self._spans]
            lasts = [self._spans[p][1] for p in auth if p in self._spans]
            during = ""
            if firsts and lasts:
                evidence["first_seen"] = min(firsts)
                evidence["last_seen"] = max(lasts)
                during = f" in {_fmt_ms((max(lasts) - min(firsts)).total_seconds() * 1000)}"
            evidence["top_source_share"] = round(top[0][1] / attempts, 4)
            msg = (
                f"{attempts} authentication failures{during}, {top_share:.0%} of them from "
                f"{len(top)} address{'es' if len(top) != 1 else ''} of {len(addrs)}: {names}"
                + (
                    "; this looks like brute force or credential stuffing: block or rate-limit "
                    "these sources."
                    if brute
                    else "."
                )
            )
            score = min(0.99, 0.6 + 0.3 * top_share + (0.09 if brute else 0.0))
        else:
            msg = f"{attempts} authentication failures across {len(auth)} pattern(s)."
            score = 0.55
        return [
            Insight(
                id=stable_id("in", InsightType.SECURITY.value, tuple(sorted(auth))),
                type=InsightType.SECURITY,
                message=msg,
                score=score,
                evidence=evidence,
                pattern_ids=tuple(auth[:TOP]),
            )
        ]

    def _reliability(
        self, by_id: Mapping[str, Pattern], readings: Mapping[str, _Reading]
    ) -> list[Insight]:
        if not self._errors:
            return []
        out: list[Insight] = []
        # Authentication failures are the security insight's business, not a reliability one.
        # Nor is a pattern with an empty template one to name.
        candidates = [
            (p, c)
            for p, c in self._pattern_errors.items()
            if not readings[p].auth_failure  # every pattern with errors has lines
            and self._nameable(by_id, p)
        ]
        if not candidates:
            return out
        pid, n = min(candidates, key=lambda kv: (-kv[1], kv[0]))
        share = n / self._errors
        tied = sum(1 for _, c in candidates if c == n)
        example = f"such as '{short(self._tmpl(by_id, pid), 100)}'."
        total = sum(c for _, c in candidates)
        if tied > 1 and tied == len(candidates):
            # All equal: "3 of them share the most (1 each)" would say nothing.
            each = "one" if n == 1 else str(n)
            message = f"{total} error lines, {each} in each of {tied} patterns, {example}"
        elif tied > 1:
            # No pattern stands out: naming one of equals "the top" would mislead.
            message = (
                f"{total} error lines spread over {len(candidates)} patterns; "
                f"{tied} of them share the most ({n} each), {example}"
            )
        else:
            message = (
                f"The top failing pattern '{short(self._tmpl(by_id, pid), 100)}' accounts "
                f"for {share:.0%} of the {self._errors} error lines ({n})."
            )
        out.append(
            Insight(
                id=stable_id("in", InsightType.RELIABILITY.value, "pattern", pid),
                type=InsightType.RELIABILITY,
                message=message,
                score=min(0.95, 0.5 + 0.4 * share + 0.1 * min(1.0, self._errors / self._n * 5)),
                evidence={
                    "pattern_id": pid,
                    "template": self._tmpl(by_id, pid),
                    "error_lines": n,
                    "error_lines_total": self._errors,
                    "error_share": round(share, 4),
                    "top_error_patterns": [
                        {"pattern_id": p, "count": c, "template": short(self._tmpl(by_id, p))}
                        for p, c in sorted(self._pattern_errors.items(), key=lambda kv: -kv[1])[
                            :TOP
                        ]
                    ],
                },
                pattern_ids=(pid,),
            )
        )
        if self._comp_errors and len(self._comp_lines) > 1:
            comp, ce = min(self._comp_errors.items(), key=lambda kv: (-kv[1], kv[0]))
        else:
            comp, ce = "", 0
        if ce >= MIN_COMPONENT_ERRORS:
            total = self._comp_lines[comp]
            out.append(
                Insight(
                    id=stable_id("in", InsightType.RELIABILITY.value, "component", comp),
                    type=InsightType.RELIABILITY,
                    message=(
                        f"Component '{comp}' logs the most errors: {ce} of its {total} lines "
                        f"({ce / total:.0%}), {ce / self._errors:.0%} of all error lines."
                    ),
                    score=min(0.9, 0.45 + 0.4 * ce / self._errors),
                    evidence={
                        "component": comp,
                        "error_lines": ce,
                        "lines": total,
                        "error_share": round(ce / total, 4),
                        "share_of_all_errors": round(ce / self._errors, 4),
                        "top_components": [
                            {"component": c, "error_lines": e, "lines": self._comp_lines[c]}
                            for c, e in sorted(
                                self._comp_errors.items(), key=lambda kv: (-kv[1], kv[0])
                            )[:TOP]
                        ],
                    },
                )
            )
        return out

    def _duration_unit(self, template: str, index: int, s: _Series) -> str | None:
        """The unit when this parameter is a duration, else ``None``."""
        unit, hits = s.unit_hits.most_common(1)[0]
        if unit and unit in _UNIT_MS and hits >= 0.8 * s.n and unit not in ("m",):
            return unit
        tokens = template.split()
        seen = -1
        for k, tok in enumerate(tokens):
            if WILDCARD not in tok:
                continue
            seen += tok.count(WILDCARD)
            if seen < index:
                continue
            after = tokens[k + 1].strip(",.;)]").lower() if k + 1 < len(tokens) else ""
            if after in _UNIT_MS and after != "m":
                return after
            before = " ".join(tokens[max(0, k - 2) : k]) + " " + tok.split(WILDCARD)[0]
            if _DURATION_WORDS.search(before.strip()):
                return "ms" if unit == "" else unit
            return None
        return None

    def _performance(self, by_id: Mapping[str, Pattern]) -> list[Insight]:
        rows = []
        for (pid, i), s in self._series.items():
            if s.n < 5:
                continue
            unit = self._duration_unit(self._tmpl(by_id, pid), i, s)
            if unit is None:
                continue
            scale = _UNIT_MS.get(unit, 1.0) if not s.unit_hits.get(unit) else 1.0
            vals = sorted(v * scale for v in s.sample)
            rows.append((pid, i, s, vals, scale))
        if not rows:
            return []

        def pct(vals: list[float], q: float) -> float:
            return vals[min(len(vals) - 1, int(q * (len(vals) - 1) + 0.5))]

        rows.sort(key=lambda r: (-pct(r[3], 0.95), r[0], r[1]))
        pid, i, s, vals, scale = rows[0]
        p50, p95, p99 = pct(vals, 0.5), pct(vals, 0.95), pct(vals, 0.99)
        return [
            Insight(
                id=stable_id("in", InsightType.PERFORMANCE.value, pid, i),
                type=InsightType.PERFORMANCE,
                message=(
                    f"Slowest pattern '{short(self._tmpl(by_id, pid), 90)}': p50 "
                    f"{_fmt_ms(p50)}, p95 {_fmt_ms(p95)}, p99 {_fmt_ms(p99)}, max "
                    f"{_fmt_ms(s.max * scale)} over {s.n} lines."
                ),
                score=0.5 + min(0.4, 0.1 * (p99 / max(p50, 1e-9)) ** 0.5),
                evidence={
                    "pattern_id": pid,
                    "template": self._tmpl(by_id, pid),
                    "parameter_index": i,
                    "count": s.n,
                    "p50_ms": round(p50, 3),
                    "p95_ms": round(p95, 3),
                    "p99_ms": round(p99, 3),
                    "max_ms": round(s.max * scale, 3),
                    "mean_ms": round(s.total * scale / s.n, 3),
                    "other_durations": [
                        {
                            "pattern_id": r[0],
                            "parameter_index": r[1],
                            "count": r[2].n,
                            "p95_ms": round(pct(r[3], 0.95), 3),
                        }
                        for r in rows[1:TOP]
                    ],
                },
                pattern_ids=tuple(dict.fromkeys(r[0] for r in rows[:TOP])),
            )
        ]

    def _availability(
        self, by_id: Mapping[str, Pattern], readings: Mapping[str, _Reading]
    ) -> list[Insight]:
        out = []
        for label, kind, base in (
            ("connection failures", "connection_failure", 0.7),
            ("restarts or shutdowns", "restart", 0.6),
        ):
            pids = sorted(
                (p for p, r in readings.items() if getattr(r, kind)),
                key=lambda p: (-self._pattern_lines[p], p),
            )
            if label.startswith("restarts"):
                conn = {p for p, r in readings.items() if r.connection_failure}
                pids = [p for p in pids if p not in conn]
            if not pids:
                continue
            total = sum(self._pattern_lines[p] for p in pids)
            events = total
            if kind == "restart":
                # A run of restart lines within seconds is one restart (a shutdown's lines).
                events = sum(self._restarts.get(p, self._pattern_lines[p]) for p in pids)
            if events < MIN_AVAILABILITY_EVENTS:
                continue
            top = pids[0]
            addrs: Counter[str] = Counter()
            for p in pids:
                addrs.update(self._addresses.get(p, {}))
            evidence: dict[str, JSONValue] = {
                "count": events,
                "lines": total,
                "patterns": [
                    {
                        "pattern_id": p,
                        "template": short(self._tmpl(by_id, p)),
                        "count": self._pattern_lines[p],
                    }
                    for p in pids[:TOP]
                ],
            }
            if addrs:
                evidence["top_addresses"] = [
                    {"address": a, "count": c}
                    for a, c in sorted(addrs.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
                ]
            out.append(
                Insight(
                    id=stable_id("in", InsightType.AVAILABILITY.value, label, tuple(pids)),
                    type=InsightType.AVAILABILITY,
                    message=(
                        f"{events} {label} "
                        + (f"({total} lines) " if events != total else "")
                        + f"in {len(pids)} pattern(s); "
                        # "most often" only when one pattern has more lines than the next
                        + (
                            "most often "
                            if len(pids) == 1
                            or self._pattern_lines[pids[1]] < self._pattern_lines[top]
                            else "such as "
                        )
                        + f"'{short(self._tmpl(by_id, top), 90)}' ({self._pattern_lines[top]})."
                    ),
                    score=min(0.9, base + 0.05 * len(str(total))),
                    evidence=evidence,
                    pattern_ids=tuple(pids[:TOP]),
                )
            )
        return out

    def _volume(self, by_id: Mapping[str, Pattern]) -> list[Insight]:
        if self._n < 100 or len(self._pattern_lines) < 2:
            return []
        named = [kv for kv in self._pattern_lines.items() if self._nameable(by_id, kv[0])]
        if not named:
            return []
        # An empty template (java.util.logging's head lines) is no pattern to sample.
        pid, n = min(named, key=lambda kv: (-kv[1], kv[0]))
        share = n / self._n
        if share < 0.3:
            return []
        return [
            Insight(
                id=stable_id("in", InsightType.VOLUME.value, pid),
                type=InsightType.VOLUME,
                message=(
                    f"One pattern makes up {share:.0%} of all lines ({n} of {self._n}): "
                    f"'{short(self._tmpl(by_id, pid), 90)}'; consider sampling or lowering its "
                    "level."
                ),
                score=0.3 + 0.3 * share,
                evidence={
                    "pattern_id": pid,
                    "template": self._tmpl(by_id, pid),
                    "count": n,
                    "lines": self._n,
                    "share": round(share, 4),
                },
                pattern_ids=(pid,),
            )
        ]

    def _change(self, by_id: Mapping[str, Pattern]) -> list[Insight]:
        if not self._known:
            return []

        def failing(p: str) -> bool:
            return bool(self._pattern_errors.get(p)) or _sev(by_id, p).at_least(Severity.ERROR)

        new = sorted(
            (p for p in self._pattern_lines if p not in self._known),
            key=lambda p: (not failing(p), -self._pattern_lines[p], p),
        )
        if not new:
            return []
        errors = [p for p in new if failing(p)]
        top = new[0]
        if errors:
            what = (
                f"{len(new)} new pattern(s) since the previous analysis, {len(errors)} of them "
                f"errors; most frequent new error: '{short(self._tmpl(by_id, top), 90)}' "
                f"({self._pattern_lines[top]} lines)."
            )
        else:
            what = (
                f"{len(new)} new pattern(s) since the previous analysis, none of them errors; "
                f"most frequent: '{short(self._tmpl(by_id, top), 90)}' "
                f"({self._pattern_lines[top]} lines)."
            )
        return [
            Insight(
                id=stable_id("in", InsightType.CHANGE.value, tuple(new)),
                type=InsightType.CHANGE,
                message=what,
                score=0.8 if errors else 0.4,
                evidence={
                    "new_patterns": [
                        {
                            "pattern_id": p,
                            "template": short(self._tmpl(by_id, p)),
                            "count": self._pattern_lines[p],
                            "error": failing(p),
                        }
                        for p in new[: TOP * 2]
                    ],
                    "count": len(new),
                    "new_error_patterns": len(errors),
                },
                pattern_ids=tuple(new[: TOP * 2]),
            )
        ]


def _volume_changes(anomalies: Sequence[Anomaly]) -> list[Insight]:
    """The strongest silence or drop and the strongest spike, as volume insights."""
    out = []
    for kind, verb in (
        (AnomalyType.VOLUME_DROP, "Check the source or its shipper: volume fell"),
        (AnomalyType.VOLUME_SPIKE, "Volume rose sharply"),
    ):
        found = [a for a in anomalies if a.type is kind]
        if not found:
            continue
        a = max(found, key=lambda x: (x.severity is Severity.ERROR, x.score, x.id))
        whole = a.evidence.get("scope") == "total" or a.evidence.get("traffic") is True
        if kind is AnomalyType.VOLUME_DROP and not whole:
            # One pattern fell while the others went on: the source and its shipper work.
            verb = "Check what writes this line: it fell quiet while the rest of the log went on"
        when = f" between {iso_utc(a.window.start)} and {iso_utc(a.window.end)}" if a.window else ""
        evidence: dict[str, JSONValue] = {
            "anomaly_id": a.id,
            "observed": a.evidence.get("observed_per_bucket", a.evidence.get("observed_peak")),
            "baseline_median": a.evidence.get("baseline_median"),
            "bucket_seconds": a.evidence.get("bucket_seconds"),
            "similar_anomalies": len(found) - 1,
        }
        if a.window is not None:
            evidence["window"] = a.window.to_dict()
        out.append(
            Insight(
                id=stable_id("in", InsightType.VOLUME.value, a.id),
                type=InsightType.VOLUME,
                message=f"{verb}{when}: {a.message}",
                score=0.45 + 0.4 * a.score,
                evidence=evidence,
                pattern_ids=a.pattern_ids[:TOP],
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class _Reading:
    """What a template says, in the vocabularies the insights look for."""

    auth_failure: bool
    connection_failure: bool
    restart: bool


@lru_cache(maxsize=MAX_TEMPLATE_READINGS)
def _reading(template: str) -> _Reading:
    """The reading of a template (or of a message standing for one). Memoised across analyses:
    it depends on the text alone, and a source's templates recur batch after batch."""
    return _Reading(
        auth_failure=_AUTH.found_in(template) and _FAIL.found_in(template),
        connection_failure=_CONN_FAIL.found_in(template),
        restart=_RESTART.found_in(template),
    )


def _sev(by_id: Mapping[str, Pattern], pid: str) -> Severity:
    p = by_id.get(pid)
    return p.severity if p else Severity.INFO


def _fmt_ms(ms: float) -> str:
    for size, unit in ((3_600_000.0, "h"), (60_000.0, "min"), (1000.0, "s")):
        if ms >= size:
            return f"{ms / size:.3g} {unit}"
    return f"{ms:.3g} ms"
