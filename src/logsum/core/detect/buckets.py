"""Per-bucket counts of lines, error lines and lines per pattern, with bounded memory.

Lines are placed on a time axis (their timestamp; a line without one takes the previous line's)
or, when most lines carry no timestamp, on the line-number axis. Counts are kept at the finest
resolution the limits allow and coarsened by whole steps (every step divides the next, and
buckets are aligned to multiples of the step, so coarsening is exact). At the end, the bucket
size is chosen from the data's span (or given by the caller).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from logsum.core.detect.base import DetectLimits, is_error
from logsum.core.detect.faults import KindCache, LineKind
from logsum.core.detect.model import TimeWindow
from logsum.core.model import LineResult, Severity

STEPS: tuple[int, ...] = (
    1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200, 86400, 604800, 2419200,
    9676800, 38707200, 154828800,
)  # fmt: skip
"""Bucket sizes (seconds, or lines on the line axis); each divides the next."""

PROBE_LINES = 200
"""Lines buffered before choosing the axis (time when most of them carry a timestamp)."""

SAMPLES_PER_CELL = 32
"""Line numbers remembered per (bucket, pattern) and per bucket's error lines."""

MAX_SAMPLES = 1_000_000
"""Line numbers remembered in all; beyond it no more are kept (counts stay exact)."""


@dataclass(slots=True)
class BucketView:
    """The counts at the chosen bucket size, for the detectors' ``finish``."""

    step: int
    on_time: bool
    first: int
    last: int
    per_pattern: dict[str, dict[int, int]]
    totals: dict[int, int]
    errors: dict[int, int]
    samples: dict[tuple[int, str], list[int]]
    error_samples: dict[int, list[int]]
    error_patterns: dict[int, dict[str, int]] = field(default_factory=dict)

    @property
    def indices(self) -> range:
        """Every bucket index from the first to the last, empty ones included."""
        return range(self.first, self.last + 1)

    def window(self, start: int, end: int) -> TimeWindow | None:
        """The time window of buckets ``start..end`` (inclusive), or ``None`` on the line axis."""
        if not self.on_time:
            return None
        return TimeWindow(
            datetime.fromtimestamp(start * self.step, UTC),
            datetime.fromtimestamp((end + 1) * self.step, UTC),
        )

    def lines_of(self, pids: Iterable[str], start: int, end: int, cap: int) -> list[int]:
        """Sampled line numbers of ``pids`` in buckets ``start..end``, sorted, at most ``cap``."""
        out: list[int] = []
        for b in range(start, end + 1):
            for pid in pids:
                out.extend(self.samples.get((b, pid), ()))
        out.sort()
        return out[:cap]


class BucketCounter:
    """Feeds on LineResults; yields a :class:`BucketView` at the end. O(1) work per line.

    "Errors" here are fault events: error or critical lines whose message is neither a dump
    detail nor an input error (see :mod:`logsum.core.detect.faults`)."""

    def __init__(self, limits: DetectLimits, bucket_seconds: int | None = None) -> None:
        self._limits = limits
        self._fixed = bucket_seconds
        self._pending: list[tuple[int, float | None, str, bool]] = []
        self._on_time: bool | None = None
        self._last_t: float | None = None
        self._res = bucket_seconds or STEPS[0]
        self._cells: dict[tuple[int, str], int] = defaultdict(int)
        self._samples: dict[tuple[int, str], list[int]] = {}
        self._totals: dict[int, int] = defaultdict(int)
        self._errors: dict[int, int] = defaultdict(int)
        self._err_cells: dict[tuple[int, str], int] = defaultdict(int)
        self._err_samples: dict[int, list[int]] = {}
        self._n_samples = 0
        self._lo: float | None = None
        self._hi: float | None = None
        self.lines = 0
        self.kinds = KindCache()

    def feed(self, r: LineResult) -> None:
        """Count one line."""
        if self._on_time is not None:
            self._add_many((r,))
            return
        self.lines += 1
        t = r.timestamp.timestamp() if r.timestamp is not None else None
        # Error lines that are fault events: dump details and input errors do not count.
        err = is_error(r.severity) and self.kinds.kind(r.pattern_id, r.message) is LineKind.EVENT
        self._pending.append((r.line, t, r.pattern_id, err))
        if len(self._pending) >= PROBE_LINES:
            self._decide()

    def feed_many(self, results: Sequence[LineResult]) -> None:
        """Count many lines (the same as :meth:`feed` on each, with less overhead)."""
        i, n = 0, len(results)
        while self._on_time is None and i < n:
            self.feed(results[i])
            i += 1
        if i < n:
            self._add_many(results[i:] if i else results)

    def _add_many(self, results: Sequence[LineResult]) -> None:
        """The hot loop of :meth:`_add`, with the state in locals."""
        if not results:
            return
        cells, totals, samples = self._cells, self._totals, self._samples
        errors, err_cells, err_samples = self._errors, self._err_cells, self._err_samples
        kind = self.kinds.kind
        event = LineKind.EVENT
        err_a, err_b = Severity.ERROR, Severity.CRITICAL
        on_time, res, last_t = self._on_time, self._res, self._last_t
        lo = self._lo if self._lo is not None else math.inf
        hi = self._hi if self._hi is not None else -math.inf
        max_b, max_c = self._limits.max_buckets, self._limits.max_cells
        adaptive = self._fixed is None
        n_samples = self._n_samples
        last_dt = None
        for r in results:
            if on_time:
                ts = r.timestamp
                if ts is not None and ts != last_dt:
                    last_dt = ts
                    last_t = ts.timestamp()
                pos = last_t if last_t is not None else 0.0
            else:
                pos = float(r.line)
            if pos < lo:
                lo = pos
            if pos > hi:
                hi = pos
            b = int(pos // res)
            pid = r.pattern_id
            key = (b, pid)
            c = cells.get(key)
            grow = False
            if c is None:
                cells[key] = 1
                if n_samples < MAX_SAMPLES:
                    samples[key] = [r.line]
                    n_samples += 1
                grow = len(cells) > max_c
            else:
                cells[key] = c + 1
                sl = samples.get(key)
                if sl is not None and len(sl) < SAMPLES_PER_CELL and n_samples < MAX_SAMPLES:
                    sl.append(r.line)
                    n_samples += 1
            t = totals.get(b)
            if t is None:
                totals[b] = 1
                grow = grow or len(totals) > max_b
            else:
                totals[b] = t + 1
            sev = r.severity
            if (sev is err_a or sev is err_b) and kind(pid, r.message) is event:
                errors[b] = errors.get(b, 0) + 1
                err_cells[key] = err_cells.get(key, 0) + 1
                es = err_samples.get(b)
                if es is None:
                    err_samples[b] = [r.line]
                elif len(es) < SAMPLES_PER_CELL:
                    es.append(r.line)
            if grow and adaptive:
                self._lo, self._hi, self._last_t, self._n_samples = lo, hi, last_t, n_samples
                self._coarsen(self._next_step(self._res))
                cells, totals, samples = self._cells, self._totals, self._samples
                errors, err_cells = self._errors, self._err_cells
                err_samples, res, n_samples = self._err_samples, self._res, self._n_samples
        self.lines += len(results)
        self._lo, self._hi, self._last_t, self._n_samples = lo, hi, last_t, n_samples

    def _decide(self) -> None:
        stamped = [t for _, t, _, _ in self._pending if t is not None]
        self._on_time = len(stamped) * 2 > len(self._pending)
        if self._on_time:
            # Leading lines without a timestamp take the first one.
            self._last_t = stamped[0]
        pending, self._pending = self._pending, []
        for line, t, pid, err in pending:
            self._add(line, t, pid, err)

    def _add(self, line: int, t: float | None, pid: str, err: bool) -> None:
        if self._on_time:
            if t is None:
                t = self._last_t
            else:
                self._last_t = t
            pos = float(t) if t is not None else 0.0
        else:
            pos = float(line)
        if self._lo is None or pos < self._lo:
            self._lo = pos
        if self._hi is None or pos > self._hi:
            self._hi = pos
        b = int(pos // self._res)
        key = (b, pid)
        self._cells[key] += 1
        self._totals[b] += 1
        if self._n_samples < MAX_SAMPLES:
            s = self._samples.get(key)
            if s is None:
                self._samples[key] = [line]
                self._n_samples += 1
            elif len(s) < SAMPLES_PER_CELL:
                s.append(line)
                self._n_samples += 1
        if err:
            self._errors[b] += 1
            self._err_cells[key] += 1
            es = self._err_samples.get(b)
            if es is None:
                self._err_samples[b] = [line]
            elif len(es) < SAMPLES_PER_CELL:
                es.append(line)
        if self._fixed is None and (
            len(self._totals) > self._limits.max_buckets
            or len(self._cells) > self._limits.max_cells
        ):
            self._coarsen(self._next_step(self._res))

    @staticmethod
    def _next_step(res: int) -> int:
        for s in STEPS:
            if s > res:
                return s
        return res * 4

    def _coarsen(self, new: int) -> None:
        if new == self._res:
            return
        f = new // self._res if new % self._res == 0 else 0

        def nb(b: int) -> int:
            return b // f if f else (b * self._res) // new

        cells: dict[tuple[int, str], int] = defaultdict(int)
        for (b, pid), c in self._cells.items():
            cells[(nb(b), pid)] += c
        err_cells: dict[tuple[int, str], int] = defaultdict(int)
        for (b, pid), c in self._err_cells.items():
            err_cells[(nb(b), pid)] += c
        samples: dict[tuple[int, str], list[int]] = {}
        for (b, pid), s in sorted(self._samples.items()):
            t = samples.setdefault((nb(b), pid), [])
            t.extend(s[: SAMPLES_PER_CELL - len(t)])
        err_samples: dict[int, list[int]] = {}
        for b, s in sorted(self._err_samples.items()):
            t = err_samples.setdefault(nb(b), [])
            t.extend(s[: SAMPLES_PER_CELL - len(t)])
        totals: dict[int, int] = defaultdict(int)
        for b, c in self._totals.items():
            totals[nb(b)] += c
        errors: dict[int, int] = defaultdict(int)
        for b, c in self._errors.items():
            errors[nb(b)] += c
        self._cells, self._err_cells = cells, err_cells
        self._samples, self._err_samples = samples, err_samples
        self._totals, self._errors = totals, errors
        self._n_samples = sum(len(s) for s in samples.values())
        self._res = new

    def choose_step(self) -> int:
        """The bucket size for the data seen so far (the caller's, when given)."""
        if self._fixed is not None:
            return self._fixed
        if self._lo is None or self._hi is None:
            return self._res
        span = self._hi - self._lo + 1
        lim = self._limits
        want = max(1.0, min(lim.target_buckets, self.lines / lim.min_lines_per_bucket))
        for s in STEPS:
            if s >= self._res and span / s <= want:
                return s
        return STEPS[-1]

    def view(self) -> BucketView | None:
        """The counts at :meth:`choose_step`, or ``None`` before any line. Does not change the
        counter: feeding may continue afterwards."""
        if self._on_time is None:
            if not self._pending:
                return None
            self._decide()
        if self._lo is None or self._hi is None:
            return None
        step = self.choose_step()
        res = self._res
        f = step // res if step % res == 0 and step >= res else 0

        def nb(b: int) -> int:
            return b // f if f else (b * res) // step

        per_pattern: dict[str, dict[int, int]] = defaultdict(dict)
        for (b, pid), c in self._cells.items():
            d = per_pattern[pid]
            k = nb(b)
            d[k] = d.get(k, 0) + c
        error_patterns: dict[int, dict[str, int]] = defaultdict(dict)
        for (b, pid), c in self._err_cells.items():
            e = error_patterns[nb(b)]
            e[pid] = e.get(pid, 0) + c
        samples: dict[tuple[int, str], list[int]] = {}
        for (b, pid), s in self._samples.items():
            samples.setdefault((nb(b), pid), []).extend(s)
        err_samples: dict[int, list[int]] = {}
        for b, s in self._err_samples.items():
            err_samples.setdefault(nb(b), []).extend(s)
        totals: dict[int, int] = defaultdict(int)
        for b, c in self._totals.items():
            totals[nb(b)] += c
        errors: dict[int, int] = defaultdict(int)
        for b, c in self._errors.items():
            errors[nb(b)] += c
        return BucketView(
            step=step,
            on_time=bool(self._on_time),
            first=int(self._lo // step),
            last=int(self._hi // step),
            per_pattern=dict(per_pattern),
            totals=dict(totals),
            errors=dict(errors),
            samples=samples,
            error_samples=err_samples,
            error_patterns=dict(error_patterns),
        )
