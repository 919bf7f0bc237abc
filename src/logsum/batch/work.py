"""What runs on a worker: pure functions of a partition (and of the merged patterns).

Dask may run a task twice (a worker died, a task was stolen or retried): these functions read
their partition and return a value, change nothing else, and their results are combined once,
on the client, one result per partition. So a retry never counts a line twice.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from logsum.batch.inputs import Part, read_part
from logsum.core.config import EngineConfig
from logsum.core.engine import Engine
from logsum.core.merge import Move, partition_state, route
from logsum.core.model import LineResult


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """How every partition's engine is built (the same for all of them)."""

    config: EngineConfig = field(default_factory=EngineConfig)
    message_only: bool = False
    log_format: str | None = None

    def engine(self) -> Engine:
        return Engine(self.config, message_only=self.message_only, log_format=self.log_format)

    @property
    def max_line_bytes(self) -> int:
        return self.config.max_line_chars * 4 + 4


@dataclass(frozen=True, slots=True)
class PartSummary:
    """What mining one partition gives: its engine's state (patterns, not lines)."""

    index: int
    lines: int
    bytes_read: int
    seconds: float
    state: dict[str, Any]
    cpu_seconds: float = 0.0
    """CPU time of the thread that mined it (wall time less what other processes took)."""


def mine_part(part: Part, options: EngineOptions) -> PartSummary:
    """Mine one partition with an engine of its own."""
    start = time.perf_counter()
    cpu = time.thread_time()
    engine = options.engine()
    compact = engine.process_compact
    size = 0
    for line in read_part(
        part, message_only=options.message_only, max_line_bytes=options.max_line_bytes
    ):
        compact(line)
        size += len(line) + 1
    state = partition_state(engine)
    return PartSummary(
        part.index,
        engine.line_count,
        size,
        time.perf_counter() - start,
        state,
        time.thread_time() - cpu,
    )


class LineRow(NamedTuple):
    """One line's result with the merged pattern: what the line results collection holds."""

    source: str
    line: int
    """1-based line number over all inputs, in input order."""
    pattern_id: str
    template: str | None
    severity: str
    timestamp: datetime | None
    params: tuple[str, ...]
    continuation: bool
    message: str


def part_results(
    part: Part,
    options: EngineOptions,
    merged_state: dict[str, Any],
    mapping: Mapping[str, str],
    first_line: int,
    split: Mapping[str, dict[str, str]] | None = None,
) -> list[LineResult]:
    """The partition's line results (mined again: the same engine on the same lines gives the
    same results), each naming its merged pattern through ``mapping`` (or, for a pattern in
    ``split``, through :func:`~logsum.core.merge.route`), numbered from ``first_line``, with
    its values read under the merged template (``LineResult.params``)."""
    return _results(part, options, merged_state, mapping, first_line, split or {})[0]


def part_moves(
    part: Part,
    options: EngineOptions,
    merged_state: dict[str, Any],
    mapping: Mapping[str, str],
    split: Mapping[str, dict[str, str]],
) -> list[Move]:
    """The lines of the partition's split patterns that :func:`~logsum.core.merge.route`
    sends to another merged pattern than ``mapping`` does, summed per (from, to) with their
    first and last times (for :func:`~logsum.core.merge.apply_moves`)."""
    moved: dict[tuple[str, str], list[Any]] = {}
    for src, dst, stamp in _results(part, options, merged_state, mapping, 1, split)[1]:
        entry = moved.setdefault((src, dst), [0, None, None])
        entry[0] += 1
        if stamp is not None:
            if entry[1] is None or stamp < entry[1]:
                entry[1] = stamp
            if entry[2] is None or stamp > entry[2]:
                entry[2] = stamp
    return [
        (
            src,
            dst,
            n,
            None if first is None else first.isoformat(),
            None if last is None else last.isoformat(),
        )
        for (src, dst), (n, first, last) in moved.items()
    ]


def _results(
    part: Part,
    options: EngineOptions,
    merged_state: dict[str, Any],
    mapping: Mapping[str, str],
    first_line: int,
    split: Mapping[str, dict[str, str]],
) -> tuple[list[LineResult], list[tuple[str, str, datetime | None]]]:
    engine = options.engine()
    merged = Engine.from_state(merged_state, options.config)
    process, version_of = engine.process_with_text, engine.version_of
    raw: list[tuple[LineResult, int, str]] = []
    for line in read_part(
        part, message_only=options.message_only, max_line_bytes=options.max_line_bytes
    ):
        # (the text the line's values are read from: a structured event name's message
        # followed by its context fields, as `logsum parse` reads them)
        r, text = process(line)
        # The template version the line's values were read under (see Engine.process_compact).
        raw.append((r, -1 if r.continuation else version_of(r.pattern_id), text))
    out: list[LineResult] = []
    moves: list[tuple[str, str, datetime | None]] = []
    # (partition pattern, merged id) -> version whose params hold when merged
    valid: dict[tuple[str, str], int] = {}
    head = ""  # merged id of the open record's first line (continuation lines follow it)
    for i, (r, version, text) in enumerate(raw):
        pid = mapping.get(r.pattern_id, r.pattern_id)
        params = r.params
        where = split.get(engine.resolve(r.pattern_id)) if split else None
        if where is not None:
            if r.continuation:
                pid = head or pid
            else:
                routed = route(where, pid, engine.masked_tokens(text), merged)
                if routed != pid:
                    moves.append((pid, routed, r.timestamp))
                    pid = routed
                    version = -3  # read its values under the pattern it went to
        if not r.continuation:
            head = pid
            ok = valid.get((r.pattern_id, pid))
            if ok is None:
                ok = valid[r.pattern_id, pid] = _valid_version(engine, merged, r.pattern_id, pid)
            if version != ok:
                try:
                    params = merged.params_of(pid, text)
                except KeyError:  # evicted before the end of its partition
                    params = ()
        out.append(
            LineResult(
                first_line + i,
                pid,
                r.severity,
                r.timestamp,
                r.message,
                params,
                r.header,
                r.continuation,
            )
        )
    return out, moves


def _valid_version(part: Engine, merged: Engine, pid: str, merged_id: str) -> int:
    """The partition's final template version of ``pid`` when the merged pattern has the same
    template (values read under it stand), else -2 (read them again)."""
    try:
        if part.template(pid) == merged.template(merged_id):
            return part.version_of(pid)
    except KeyError:
        pass
    return -2


def rows_of(results: list[LineResult], source: str, merged: Engine) -> list[LineRow]:
    """Line results as rows (times in UTC, the merged template of each line's pattern)."""
    templates: dict[str, str | None] = {}
    rows = []
    for r in results:
        t = templates.get(r.pattern_id, "")
        if t == "":
            try:
                t = merged.template(r.pattern_id)
            except KeyError:
                t = None
            templates[r.pattern_id] = t
        ts = r.timestamp.astimezone(UTC) if r.timestamp is not None else None
        rows.append(
            LineRow(
                source,
                r.line,
                r.pattern_id,
                t,
                r.severity.value,
                ts,
                () if r.continuation else r.params,
                r.continuation,
                r.message,
            )
        )
    return rows
