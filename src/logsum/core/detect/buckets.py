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
from itertools import repeat

from logsum.core.detect.base import DetectLimits
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
"""Line numbers remembered per (bucket, pattern) cell, and per cell of fault lines. With
``DetectLimits.max_cells`` this bounds the memory of the counter."""


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

    def line_span(self, start: int, end: int) -> tuple[int, int] | None:
        """The line numbers ``(first, last)`` of buckets ``start..end`` on the line axis (there
        a window has no time, so this says where), or ``None`` on the time axis."""
        if self.on_time:
            return None
        return max(1, start * self.step), (end + 1) * self.step - 1

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
    detail nor an input error (see :mod:`logsum.core.detect.faults`). Each (bucket, pattern)
    cell is one list ``[count, first lines...]`` (at most ``SAMPLES_PER_CELL`` lines), so a
    line costs one dictionary lookup; bucket totals are summed from the cells when asked."""

    def __init__(self, limits: DetectLimits, bucket_seconds: int | None = None) -> None:
        self._limits = limits
        self._fixed = bucket_seconds
        self._pending: list[LineResult] = []
        self._on_time: bool | None = None
        self._last_t: float | None = None
        self._res = bucket_seconds or STEPS[0]
        # bucket -> pattern -> [count, first lines...]; lines arrive mostly in time order, so
        # the current bucket's dictionary is looked up once per bucket, not once per line.
        self._cells: dict[int, dict[str, list[int]]] = {}
        self._errs: dict[int, dict[str, list[int]]] = {}
        self.cell_count = 0
        self._lo: float | None = None
        self._hi: float | None = None
        self.lines = 0
        self.kinds = KindCache()

    def feed(self, r: LineResult) -> None:
        """Count one line."""
        self.feed_many((r,))

    def feed_many(self, results: Sequence[LineResult]) -> None:
        """Count many lines."""
        if self._on_time is None:
            self._pending.extend(results)
            if len(self._pending) >= PROBE_LINES:
                self._decide()
            return
        self._add_many(results)

    def _decide(self) -> None:
        pending, self._pending = self._pending, []
        stamped = len([1 for r in pending if r.timestamp is not None])
        self._on_time = stamped * 2 > len(pending)
        seconds = None
        if self._on_time:
            seconds = _seconds(pending)
            times = [t for t in seconds if t is not None]
            # Leading lines without a timestamp take the first one.
            self._last_t = times[0]
            span = max(times) - min(times)
        else:
            span = float(pending[-1].line - pending[0].line)
        if self._fixed is None:
            # Start as coarse as is surely safe: the final bucket (about span / 100 of the whole
            # batch) is at least span / 100 of these first lines, so a thousandth of it loses
            # nothing and saves most coarsening passes on long streams.
            self._res = max([s for s in STEPS if s <= span / 1000] or [STEPS[0]])
        self._add_many(pending, seconds)

    def _add_many(
        self, results: Sequence[LineResult], seconds: Sequence[float | None] | None = None
    ) -> None:
        """The hot loop, with the state in locals. ``seconds``: each line's
        ``timestamp.timestamp()`` when already known (see :func:`_seconds`)."""
        if not results:
            return
        cells, errs = self._cells, self._errs
        kind = self.kinds.kind
        event = LineKind.EVENT
        err_a, err_b = Severity.ERROR, Severity.CRITICAL
        on_time, res, last_t = self._on_time, self._res, self._last_t
        lo = self._lo if self._lo is not None else math.inf
        hi = self._hi if self._hi is not None else -math.inf
        max_b, max_c = self._limits.max_buckets, self._limits.max_cells
        adaptive = self._fixed is None
        cap = SAMPLES_PER_CELL
        n_cells = self.cell_count
        last_dt = None
        cur_b: int | None = None
        cur: dict[str, list[int]] = {}
        for r, known in zip(results, repeat(None) if seconds is None else seconds, strict=False):
            if on_time:
                ts = r.timestamp
                if ts is not None and ts != last_dt:
                    last_dt = ts
                    last_t = ts.timestamp() if known is None else known
                pos = last_t if last_t is not None else 0.0
            else:
                pos = float(r.line)
            if pos < lo:
                lo = pos
            if pos > hi:
                hi = pos
            b = int(pos // res)
            if b != cur_b:
                cur_b = b
                got = cells.get(b)
                if got is None:
                    got = cells[b] = {}
                cur = got
            pid = r.pattern_id
            v = cur.get(pid)
            if v is None:
                cur[pid] = [1, r.line]
                n_cells += 1
                grow = n_cells > max_c or len(cells) > max_b
            else:
                v[0] += 1
                if len(v) <= cap:
                    v.append(r.line)
                grow = False
            sev = r.severity
            if (sev is err_a or sev is err_b) and kind(pid, r.message) is event:
                eb = errs.get(b)
                if eb is None:
                    eb = errs[b] = {}
                e = eb.get(pid)
                if e is None:
                    eb[pid] = [1, r.line]
                else:
                    e[0] += 1
                    if len(e) <= cap:
                        e.append(r.line)
            if grow and adaptive:
                self._lo, self._hi, self._last_t = lo, hi, last_t
                self._coarsen(self._next_step(self._res))
                cells, errs, res, n_cells = self._cells, self._errs, self._res, self.cell_count
                cur_b = None
        self.cell_count = n_cells
        self.lines += len(results)
        self._lo, self._hi, self._last_t = lo, hi, last_t

    @staticmethod
    def _next_step(res: int) -> int:
        for s in STEPS:
            if s > res:
                return s
        return res * 4

    def _coarsen(self, new: int) -> None:
        if new == self._res:
            return
        res = self._res
        self._cells = _rebucket(self._cells, res, new)
        self._errs = _rebucket(self._errs, res, new)
        self.cell_count = sum(len(d) for d in self._cells.values())
        self._res = new

    def choose_step(self) -> int:
        """The bucket size for the data seen so far: the caller's, when given, unless the data
        span more than ``max_buckets`` of them; then the smallest multiple of it that does not
        (minute buckets over logs spanning years would be millions of mostly empty buckets,
        which every detector walks)."""
        if self._lo is None or self._hi is None:
            return self._fixed or self._res
        if self._fixed is not None:
            # Bucket indices run from lo // step to hi // step: at most (hi - lo) // step + 2.
            room = max(1, self._limits.max_buckets - 1)
            return self._fixed * (int(self._hi - self._lo) // (self._fixed * room) + 1)
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
        cells = _rebucket(self._cells, self._res, step)
        errs = _rebucket(self._errs, self._res, step)
        per_pattern: dict[str, dict[int, int]] = defaultdict(dict)
        totals: dict[int, int] = {}
        samples: dict[tuple[int, str], list[int]] = {}
        for b, row in cells.items():
            total = 0
            for pid, v in row.items():
                per_pattern[pid][b] = v[0]
                total += v[0]
                samples[(b, pid)] = v[1:]
            totals[b] = total
        error_patterns: dict[int, dict[str, int]] = {}
        errors: dict[int, int] = {}
        err_samples: dict[int, list[int]] = {}
        for b, row in errs.items():
            error_patterns[b] = {pid: v[0] for pid, v in row.items()}
            errors[b] = sum(v[0] for v in row.values())
            err_samples[b] = sorted(ln for v in row.values() for ln in v[1:])
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


def _seconds(results: Sequence[LineResult]) -> list[float | None]:
    """``timestamp.timestamp()`` of each line (``None`` without one), converted once per run of
    the same datetime object (lines of one record or one instant often share it): the span of
    the first lines is read from these, and the same numbers are then counted, so each line's
    time is converted at most once."""
    out: list[float | None] = []
    prev: datetime | None = None
    t: float | None = None
    for r in results:
        ts = r.timestamp
        if ts is None:
            out.append(None)
            continue
        if ts is not prev:
            prev, t = ts, ts.timestamp()
        out.append(t)
    return out


def _rebucket(
    cells: dict[int, dict[str, list[int]]], res: int, step: int
) -> dict[int, dict[str, list[int]]]:
    """Cells at resolution ``res`` summed into buckets of ``step`` (a multiple of ``res``, or a
    step the bucket starts are mapped into), keeping the first lines of each."""
    if step == res:
        return cells
    f = step // res if step % res == 0 else 0
    out: dict[int, dict[str, list[int]]] = {}
    for b in sorted(cells):
        nb = b // f if f else (b * res) // step
        row = out.get(nb)
        if row is None:
            row = out[nb] = {}
        for pid, v in cells[b].items():
            w = row.get(pid)
            if w is None:
                row[pid] = list(v)
            else:
                w[0] += v[0]
                room = SAMPLES_PER_CELL + 1 - len(w)
                if room > 0:
                    w.extend(v[1 : 1 + room])
    return out
