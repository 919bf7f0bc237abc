"""The runner of one watch: follow the file, parse, group records, filter, batch, commit.

Data flow per line: :class:`~logsum.watch.follower.FileFollower` -> the tenant-seeded
:class:`~logsum.Engine` -> multi-line grouping (``LineResult.continuation``) -> the severity
filter -> a batch of events -> :meth:`WatchStore.commit_batch`, which writes the delivery and
the checkpoint in one transaction. Every committed line also goes to a streaming
:class:`logsum.core.analysis.Analyzer`; each analysis window (``analysis_window_s`` or
``analysis_max_lines``) ends with a report whose anomalies ride in the batch committed then.
The pattern counts are added to the tenant's store after the commit, at most every
``pattern_flush_s`` (so a crash can lose a few seconds of counts, never count a line twice;
likewise the anomalies of an unfinished window).

The checkpoint only ever covers *complete* records: the lines of a record that may still get
continuation lines are read again after a restart. A batch that cannot be committed (store
down) is kept and retried, and reading pauses meanwhile, so memory stays bounded.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import orjson

from logsum import Engine, EngineConfig, LineResult, Severity
from logsum.core.analysis import AnalysisOptions, Analyzer
from logsum.core.detect.base import DEFAULT_LIMITS
from logsum.core.state import StateError
from logsum.store import PatternDelta, Store, StoreError
from logsum.store.history import timelines
from logsum.timeutil import iso, utc_now
from logsum.watch.config import WatchConfig
from logsum.watch.errors import LeaseLost, SourcePathError
from logsum.watch.follower import FileFollower, Line
from logsum.watch.model import BatchCommit, OutboxItem, WatchSpec, WatchStatus
from logsum.watch.paths import under_roots
from logsum.watch.repo import WatchStore, new_webhook_id

log = logging.getLogger(__name__)

_LATER_WINDOWS = replace(DEFAULT_LIMITS, cold_start_share=0.0)
"""The limits of every analysis window after a watch's first: the stream started before."""

EVENT_TYPE = "logsum.watch.batch"
"""``type`` of every delivery body."""
STORE_RETRY_S = 1.0
"""Wait before retrying a commit after the store was unavailable."""
OUTBOX_CHECK_S = 1.0
"""How often the outbox size is checked (reading pauses while it is full)."""
FILE_RETRY_S = 1.0
"""Wait before retrying a file that could not be opened or read (permissions, I/O error)."""


@dataclass(slots=True)
class _Record:
    """A record being assembled: its first line's result and every line's text."""

    first: LineResult
    texts: list[str]
    results: list[LineResult]
    last: Line
    last_at: float
    truncated: bool = False
    chars: int = 0


@dataclass(slots=True)
class _Batch:
    events: list[dict[str, Any]] = field(default_factory=list)
    results: list[LineResult] = field(default_factory=list)
    patterns: dict[str, list[Any]] = field(default_factory=dict)
    """pattern id -> [count, first_seen, last_seen]."""
    lines: int = 0
    bytes: int = 0
    checkpoint: Line | None = None
    """The last line of the last complete record: the checkpoint is right after it."""
    started: float | None = None
    anomalies: list[dict[str, Any]] | None = None
    """Set once the batch went to the analysis window (a retried commit doesn't feed twice)."""
    closes_window: bool = False

    def empty(self) -> bool:
        return self.lines == 0 and self.checkpoint is None


class WatchRunner:
    """Runs one watch in the calling thread until ``stop`` is set or the lease is lost."""

    def __init__(
        self,
        spec: WatchSpec,
        *,
        repo: WatchStore,
        store: Store,
        config: WatchConfig,
        owner: str,
        stop: threading.Event,
        on_commit: Callable[[], None] = lambda: None,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.spec = spec
        self.repo = repo
        self.store = store
        self.config = config
        self.owner = owner
        self.stop = stop
        self.on_commit = on_commit
        self._mono = monotonic
        self._clock = clock
        self._record: _Record | None = None
        self._batch = _Batch()
        self._known: set[str] = set()
        self._state_saved = self._mono()
        self._engine = self._build_engine()
        self._status: WatchStatus | None = None
        self._analyzer = self._new_analyzer(first=True)
        self._window_started = self._mono()
        self._window_lines = 0
        self._window_pids: set[str] = set()
        self._pending_patterns: dict[str, list[Any]] = {}
        self._pending_timelines: dict[str, dict[int, int]] = {}
        self._pending_anomalies: list[dict[str, Any]] = []
        self._outbox_checked = float("-inf")
        self._last_ts: datetime | None = None
        self._last_ts_text: str | None = None
        self._backlog: list[Line] = []
        self._outbox_was_full = False
        self._patterns_flushed = self._mono()

    # -- setup -------------------------------------------------------------------------------

    def _build_engine(self) -> Engine:
        config = EngineConfig(
            max_line_chars=self.config.max_line_bytes,
            max_record_lines=self.config.max_record_lines,
            default_year=self._clock().year,
            today=self._clock().date(),
            timezone=self.spec.timezone,
        )
        engine = self._saved_engine(config) or Engine(config)
        known = self.store.known_patterns(self.spec.tenant_id)
        self._known = {pid for pid, _, _ in known}
        seed = getattr(engine, "add_pattern", None)
        if seed is not None:
            for pattern_id, template, severity in known:
                seed(pattern_id, template, Severity(severity))
        return engine

    def _saved_engine(self, config: EngineConfig) -> Engine | None:
        """The engine saved by this watch's last runner (see ``WatchConfig.engine_state_s``),
        or ``None`` (none saved, or one this version can not read: the watch then starts
        with a new engine, as a watch created before engine states were saved)."""
        data = self.repo.get_engine_state(self.spec.id)
        if data is None:
            return None
        try:
            state = orjson.loads(zlib.decompress(data))
            engine = Engine.from_state(state, config)
        except (zlib.error, orjson.JSONDecodeError, StateError) as exc:
            log.warning("watch %s: saved engine state not used: %s", self.spec.id, exc)
            return None
        # Lines after the checkpoint are read again: a record still open at the save starts
        # afresh, as this runner's records do.
        engine.end_record()
        return engine

    def _engine_state(self) -> bytes:
        """The engine's state as stored (zlib-compressed JSON)."""
        return zlib.compress(orjson.dumps(self._engine.to_state()), 6)

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> None:
        """Follow, process and commit until stopped. Raises :class:`LeaseLost` when another
        process owns the watch now (the caller stops this watch's threads)."""
        follower = self._open_follower()
        if follower is None:
            return
        try:
            while not self.stop.is_set():
                if self._outbox_full():
                    self.stop.wait(self.config.poll_interval_s)
                    continue
                if self._backlog:
                    lines, self._backlog = self._backlog, []
                else:
                    try:
                        lines = follower.poll()
                    except OSError as exc:  # e.g. permission denied: say so, keep trying
                        self._set_status(
                            WatchStatus.ERROR, f"cannot read {self.spec.source}: {exc}"
                        )
                        self.stop.wait(FILE_RETRY_S)
                        continue
                now = self._mono()
                for i, line in enumerate(lines):
                    self._feed(line, now)
                    if self._full():
                        self._flush_until_done(follower)
                        if self._outbox_full(force=True):
                            # Keep the rest of this poll's lines (bounded by one poll's read)
                            # until the receiver has caught up.
                            self._backlog = lines[i + 1 :]
                            break
                if follower.refused is not None:
                    self._set_status(WatchStatus.ERROR, f"not followed: {follower.refused}")
                else:
                    self._set_status(
                        WatchStatus.FOLLOWING if follower.has_file else WatchStatus.WAITING
                    )
                if self._due(now):
                    self._flush_until_done(follower)
                elif self._pending_patterns or self._pending_anomalies:
                    self._store_patterns(_Batch())  # an idle stream's counts are not held back
                if not lines:
                    self.stop.wait(self.config.poll_interval_s)
            self._close_record()
            self._flush_until_done(follower)
            self._store_patterns(_Batch(), force=True)
            self._save_engine_state()
        finally:
            follower.close()

    def _save_engine_state(self) -> None:
        """Save the engine's state as the runner stops (its last batch committed): the next
        runner of this watch reads the lines after the checkpoint as this one would have."""
        if not self._batch.empty():
            return  # the last batch was not committed (store down): its lines are read again
        try:
            self.repo.commit_batch(
                self.spec.id, self.owner, None, BatchCommit(engine_state=self._engine_state())
            )
        except (StoreError, LeaseLost) as exc:
            # (a process that took the watch over saves its own engine)
            log.warning("watch %s: engine state not saved: %s", self.spec.id, exc)

    def _open_follower(self) -> FileFollower | None:
        """The follower at the stored checkpoint; retried while the file can't be opened."""
        checkpoint = self.repo.get_checkpoint(self.spec.id)
        while not self.stop.is_set():
            try:
                # Walked from its root at every open (see logsum.watch.paths).
                source = under_roots(self.spec.source, self.config.roots)
            except SourcePathError as exc:  # LOGSUM_WATCH_ROOTS changed since the creation
                self._set_status(WatchStatus.ERROR, f"{self.spec.source}: {exc}")
                self.stop.wait(FILE_RETRY_S)
                continue
            try:
                # Without a checkpoint the file did not exist when the watch was created (the
                # creation stores one otherwise, at the end or the start as asked): everything
                # in it is new, so it is read from its start.
                return FileFollower(
                    source,
                    checkpoint=checkpoint,
                    from_beginning=True,
                    max_line_bytes=self.config.max_line_bytes,
                )
            except OSError as exc:
                self._set_status(WatchStatus.ERROR, f"cannot open {self.spec.source}: {exc}")
                self.stop.wait(FILE_RETRY_S)
        return None

    def _outbox_full(self, *, force: bool = False) -> bool:
        """True while ``max_pending_deliveries`` wait in the outbox."""
        now = self._mono()
        # While paused, look at every poll (resume promptly); while flowing, once a second.
        if not force and not self._outbox_was_full and now - self._outbox_checked < OUTBOX_CHECK_S:
            return False
        self._outbox_checked = now
        try:
            pending = self.repo.pending_count(self.spec.id)
        except StoreError:
            return self._outbox_was_full
        self._outbox_was_full = pending >= self.config.max_pending_deliveries
        return self._outbox_was_full

    def _set_status(self, status: WatchStatus, error: str | None = None) -> None:
        if status != self._status:
            self._status = status
            self.repo.set_status(self.spec.id, status, error=error)

    # -- records -----------------------------------------------------------------------------

    def _feed(self, line: Line, now: float) -> None:
        result = self._engine.process(line.text)
        rec = self._record
        if (
            rec is not None
            and result.continuation
            and len(rec.results) < self.config.max_record_lines
        ):
            rec.results.append(result)
            rec.last = line
            rec.last_at = now
            rec.truncated |= line.truncated
            if rec.chars < self.config.max_event_chars:
                rec.texts.append(line.text)
                rec.chars += len(line.text) + 1
            else:
                rec.truncated = True
            return
        if rec is not None:
            self._close_record()
        self._record = _Record(result, [line.text], [result], line, now, line.truncated)
        if self._batch.started is None:
            self._batch.started = now

    def _close_record(self) -> None:
        rec = self._record
        if rec is None:
            return
        self._record = None
        b = self._batch
        if b.started is None:  # the record may have begun before the last flush
            b.started = rec.last_at
        b.lines += len(rec.results)
        b.checkpoint = rec.last
        b.results.extend(rec.results)
        patterns = b.patterns
        if len(rec.results) == 1:  # the common case, without the loop
            r = rec.first
            acc = patterns.get(r.pattern_id)
            ts = r.timestamp
            if acc is None:
                patterns[r.pattern_id] = [1, ts, ts]
            else:
                acc[0] += 1
                if ts is not None:
                    if acc[1] is None or ts < acc[1]:
                        acc[1] = ts
                    if acc[2] is None or ts > acc[2]:
                        acc[2] = ts
            results: list[LineResult] = []
        else:
            results = rec.results
        for r in results:
            acc = patterns.get(r.pattern_id)
            if acc is None:
                acc = patterns[r.pattern_id] = [0, None, None]
            acc[0] += 1
            ts = r.timestamp
            if ts is not None:
                if acc[1] is None or ts < acc[1]:
                    acc[1] = ts
                if acc[2] is None or ts > acc[2]:
                    acc[2] = ts
        first = rec.first
        if not self.spec.filters.matches(first.severity):
            return
        text = rec.texts[0] if len(rec.texts) == 1 else "\n".join(rec.texts)
        if len(text) > self.config.max_event_chars:
            text = text[: self.config.max_event_chars]
            rec.truncated = True
        message = first.message[: self.config.max_event_chars]
        ts = first.timestamp
        if ts != self._last_ts or self._last_ts_text is None:  # consecutive lines share times
            self._last_ts, self._last_ts_text = ts, iso(ts)
        event = {
            "pattern_id": first.pattern_id,
            "template": self._engine.template(first.pattern_id),
            "severity": first.severity.value,
            "timestamp": self._last_ts_text,
            "message": message,
            "text": text,
            "line_count": len(rec.results),
            "truncated": rec.truncated,
            "offset": rec.last.offset,
        }
        b.events.append(event)
        b.bytes += len(text) + len(message) + 200

    # -- batching ----------------------------------------------------------------------------

    def _full(self) -> bool:
        b = self._batch
        return (
            len(b.events) >= self.config.batch_max_events
            or b.bytes >= self.config.max_payload_bytes
            or b.lines >= self.config.max_batch_lines
        )

    def _due(self, now: float) -> bool:
        rec = self._record
        if rec is not None and now - rec.last_at >= self.config.record_idle_s:
            self._close_record()
        b = self._batch
        if b.started is None:
            return self._window_due()  # an idle stream still gets its window's anomalies
        return now - b.started >= self.config.batch_max_wait_s and not b.empty()

    def _flush_until_done(self, follower: FileFollower) -> None:
        """Commit the batch; while the store is unavailable, keep the batch and retry (reading
        pauses, so memory stays bounded). Raises :class:`LeaseLost`."""
        while True:
            try:
                self._flush()
                return
            except LeaseLost:
                raise
            except StoreError as exc:
                log.warning("watch %s: can't commit a batch, retrying: %s", self.spec.id, exc)
                if self.stop.wait(STORE_RETRY_S):
                    return  # stopping: the batch is read again after a restart

    def _flush(self) -> None:
        b = self._batch
        if b.empty() and not self._window_due():
            self._batch = _Batch()
            return
        if b.anomalies is None:
            b.anomalies = self._anomalies(b)
        anomalies = b.anomalies
        items: tuple[OutboxItem, ...] = ()
        if b.events or anomalies:
            webhook_id = new_webhook_id()
            body = {
                "type": EVENT_TYPE,
                "timestamp": iso(self._clock()),
                "data": {
                    "watch_id": self.spec.id,
                    "source": self.spec.source,
                    "events": b.events,
                    "anomalies": anomalies,
                },
            }
            payload = orjson.dumps(body).decode("utf-8")
            items = (OutboxItem(webhook_id, payload, len(b.events)),)
        now = self._mono()
        state_due = now - self._state_saved >= self.config.engine_state_s
        self.repo.commit_batch(
            self.spec.id,
            self.owner,
            None if b.checkpoint is None else b.checkpoint.end,
            BatchCommit(
                lines_read=b.lines,
                items=items,
                anomalies=len(anomalies),
                engine_state=self._engine_state() if state_due else None,
            ),
        )
        if state_due:
            self._state_saved = now
        self._after_commit(b)
        self._batch = _Batch()
        if items:
            self.on_commit()
        self._store_patterns(b)

    # -- anomalies ---------------------------------------------------------------------------

    def _new_analyzer(self, first: bool = False) -> Analyzer:
        # Only the watch's first window is the start of its stream (no cold-start quiet later).
        return Analyzer(
            AnalysisOptions(find_anomalies=True, generate_insights=False),
            known_pattern_ids=frozenset(self._known),
            limits=DEFAULT_LIMITS if first else _LATER_WINDOWS,
        )

    def _anomalies(self, b: _Batch) -> list[dict[str, Any]]:
        """Feed the batch to the analysis window; when the window is over, its anomalies, to be
        committed with this batch (:meth:`_after_commit` then starts the next window)."""
        if b.results:
            self._analyzer.feed_many(b.results)
            self._window_lines += len(b.results)
            self._window_pids.update(b.patterns)
        if not self._window_due():
            return []
        b.closes_window = True
        patterns = []
        for pid in self._window_pids:
            p = self._engine.pattern(pid)
            if p is not None:
                patterns.append(p)
        try:
            report = self._analyzer.report(patterns)
        except Exception:  # a detector bug must not stop the delivery of lines
            log.exception("watch %s: anomaly detection failed", self.spec.id)
            return []
        return [a.to_dict() for a in report.anomalies]

    def _window_due(self) -> bool:
        return self._window_lines > 0 and (
            self._window_lines >= self.config.analysis_max_lines
            or self._mono() - self._window_started >= self.config.analysis_window_s
        )

    def _after_commit(self, b: _Batch) -> None:
        """Start a new analysis window if this batch closed the last one."""
        if not b.closes_window:
            return
        self._known.update(self._window_pids)
        self._analyzer = self._new_analyzer()
        self._window_started = self._mono()
        self._window_lines = 0
        self._window_pids = set()

    def _store_patterns(self, b: _Batch, *, force: bool = False) -> None:
        """Merge the committed batch's counts (with their timeline) and anomalies into the
        pending ones, and write them to the store every ``pattern_flush_s`` (one upsert per
        interval, not per batch)."""
        pending = self._pending_patterns
        if b.anomalies:
            self._pending_anomalies.extend(b.anomalies)
        # Ids and lines as the counts are kept (the results' own ids, continuation lines
        # included): the deltas below use them.
        bucket = self.store.limits.history[0][0]
        for pid, counts in timelines(b.results, None, bucket, continuations=True).items():
            into = self._pending_timelines.setdefault(pid, {})
            for start, n in counts.items():
                into[start] = into.get(start, 0) + n
        for pid, (count, first_seen, last_seen) in b.patterns.items():
            acc = pending.get(pid)
            if acc is None:
                pending[pid] = [count, first_seen, last_seen]
                continue
            acc[0] += count
            if first_seen is not None and (acc[1] is None or first_seen < acc[1]):
                acc[1] = first_seen
            if last_seen is not None and (acc[2] is None or last_seen > acc[2]):
                acc[2] = last_seen
        now = self._mono()
        if not (pending or self._pending_anomalies) or (
            not force and now - self._patterns_flushed < self.config.pattern_flush_s
        ):
            return
        self._patterns_flushed = now
        self._pending_patterns = {}
        pending_timelines, self._pending_timelines = self._pending_timelines, {}
        anomalies, self._pending_anomalies = self._pending_anomalies, []
        deltas = []
        for pid, (count, first_seen, last_seen) in pending.items():
            p = self._engine.pattern(pid)
            if p is None:  # evicted from the engine since
                continue
            examples = tuple(tuple(ps.examples) for ps in sorted(p.params, key=lambda s: s.index))
            deltas.append(
                PatternDelta(
                    pattern_id=pid,
                    template=p.template,
                    severity=str(p.severity),
                    count=count,
                    first_seen=first_seen,
                    last_seen=last_seen,
                    examples=examples,
                    timeline=tuple(pending_timelines.get(pid, {}).items()),
                )
            )
        if not (deltas or anomalies):
            return
        try:
            self.store.upsert_patterns(
                self.spec.tenant_id, deltas, anomalies, source=f"watch:{self.spec.id}"
            )
        except (StoreError, ValueError) as exc:
            log.warning("watch %s: pattern counts not stored: %s", self.spec.id, exc)
