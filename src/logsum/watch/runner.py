"""The runner of one watch: follow the file, parse, group records, filter, batch, commit.

Data flow per line: :class:`~logsum.watch.follower.FileFollower` -> the tenant-seeded
:class:`~logsum.Engine` -> multi-line grouping (``LineResult.continuation``) -> the severity
filter -> a batch of events (+ anomalies from :func:`logsum.core.analysis.analyze_batch` over
every line of the batch) -> :meth:`WatchStore.commit_batch`, which writes the delivery and the
checkpoint in one transaction. The pattern counts are added to the tenant's store after the
commit (so a crash can lose a batch's counts, never count it twice).

The checkpoint only ever covers *complete* records: the lines of a record that may still get
continuation lines are read again after a restart. A batch that cannot be committed (store
down) is kept and retried, and reading pauses meanwhile, so memory stays bounded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from logsum import Engine, EngineConfig, LineResult, Severity
from logsum.store import PatternDelta, Store, StoreError
from logsum.watch.config import WatchConfig
from logsum.watch.errors import LeaseLost
from logsum.watch.follower import Checkpoint, FileFollower, Line
from logsum.watch.model import BatchCommit, OutboxItem, WatchSpec, WatchStatus
from logsum.watch.repo import WatchStore, new_webhook_id

log = logging.getLogger(__name__)

try:  # the anomaly detectors (another part of the core); optional at runtime
    from logsum.core.analysis import AnalysisOptions, analyze_batch
except ImportError:  # pragma: no cover
    analyze_batch = None  # type: ignore[assignment]

EVENT_TYPE = "logsum.watch.batch"
"""``type`` of every delivery body."""
STORE_RETRY_S = 1.0
"""Wait before retrying a commit after the store was unavailable."""


def iso(ts: datetime | None) -> str | None:
    """ISO 8601 UTC with ``Z``, or ``None``."""
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(slots=True)
class _Record:
    """A record being assembled: its first line's result and every line's text."""

    first: LineResult
    texts: list[str]
    results: list[LineResult]
    end: Checkpoint
    last_at: float
    truncated: bool = False
    chars: int = 0


@dataclass(slots=True)
class _PatternAcc:
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None


@dataclass(slots=True)
class _Batch:
    events: list[dict[str, Any]] = field(default_factory=list)
    results: list[LineResult] = field(default_factory=list)
    patterns: dict[str, _PatternAcc] = field(default_factory=dict)
    lines: int = 0
    bytes: int = 0
    checkpoint: Checkpoint | None = None
    started: float | None = None

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
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
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
        self._engine = self._build_engine()
        self._status: WatchStatus | None = None

    # -- setup -------------------------------------------------------------------------------

    def _build_engine(self) -> Engine:
        config = EngineConfig(
            max_line_chars=self.config.max_line_bytes,
            max_record_lines=self.config.max_record_lines,
            default_year=self._clock().year,
        )
        engine = Engine(config)
        known = self.store.known_patterns(self.spec.tenant_id)
        self._known = {pid for pid, _, _ in known}
        seed = getattr(engine, "add_pattern", None)
        if seed is not None:
            for pattern_id, template, severity in known:
                seed(pattern_id, template, Severity(severity))
        return engine

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> None:
        """Follow, process and commit until stopped. Raises :class:`LeaseLost` when another
        process owns the watch now (the caller stops this watch's threads)."""
        checkpoint = self.repo.get_checkpoint(self.spec.id)
        follower = FileFollower(
            self.spec.source,
            checkpoint=checkpoint,
            from_beginning=self.spec.from_beginning,
            max_line_bytes=self.config.max_line_bytes,
        )
        try:
            while not self.stop.is_set():
                lines = follower.poll()
                now = self._mono()
                for line in lines:
                    self._feed(line, now)
                    if self._full():
                        self._flush_until_done(follower)
                self._set_status(
                    WatchStatus.FOLLOWING if follower.has_file else WatchStatus.WAITING
                )
                if self._due(now):
                    self._flush_until_done(follower)
                if not lines:
                    self.stop.wait(self.config.poll_interval_s)
            self._close_record()
            self._flush_until_done(follower)
        finally:
            follower.close()

    def _set_status(self, status: WatchStatus) -> None:
        if status != self._status:
            self._status = status
            self.repo.set_status(self.spec.id, status)

    # -- records -----------------------------------------------------------------------------

    def _feed(self, line: Line, now: float) -> None:
        result = self._engine.process(line.text)
        rec = self._record
        if (
            rec is not None
            and result.continuation
            and len(rec.texts) < self.config.max_record_lines
        ):
            rec.results.append(result)
            rec.end = line.end
            rec.last_at = now
            rec.truncated |= line.truncated
            if rec.chars < self.config.max_event_chars:
                rec.texts.append(line.text)
                rec.chars += len(line.text) + 1
            else:
                rec.truncated = True
            return
        self._close_record()
        self._record = _Record(
            first=result,
            texts=[line.text],
            results=[result],
            end=line.end,
            last_at=now,
            truncated=line.truncated,
            chars=len(line.text),
        )
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
        b.checkpoint = rec.end
        b.results.extend(rec.results)
        for r in rec.results:
            acc = b.patterns.setdefault(r.pattern_id, _PatternAcc())
            acc.count += 1
            if r.timestamp is not None:
                if acc.first_seen is None or r.timestamp < acc.first_seen:
                    acc.first_seen = r.timestamp
                if acc.last_seen is None or r.timestamp > acc.last_seen:
                    acc.last_seen = r.timestamp
        first = rec.first
        if not self.spec.filters.matches(first.severity):
            return
        text = "\n".join(rec.texts)
        if len(text) > self.config.max_event_chars:
            text = text[: self.config.max_event_chars]
            rec.truncated = True
        event = {
            "pattern_id": first.pattern_id,
            "template": self._engine.template(first.pattern_id),
            "severity": str(first.severity),
            "timestamp": iso(first.timestamp),
            "message": first.message[: self.config.max_event_chars],
            "text": text,
            "line_count": len(rec.results),
            "truncated": rec.truncated,
            "offset": rec.end.offset,
        }
        b.events.append(event)
        b.bytes += len(text) + len(event["message"]) + 200

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
            return False
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
        if b.empty():
            self._batch = _Batch()
            return
        anomalies = self._anomalies(b)
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
        self.repo.commit_batch(
            self.spec.id,
            self.owner,
            b.checkpoint,
            BatchCommit(lines_read=b.lines, items=items, anomalies=len(anomalies)),
        )
        self._batch = _Batch()
        if items:
            self.on_commit()
        self._store_patterns(b)

    def _anomalies(self, b: _Batch) -> list[dict[str, Any]]:
        if analyze_batch is None or not b.results:
            return []
        patterns = []
        for pid in b.patterns:
            p = self._engine.pattern(pid)
            if p is not None:
                patterns.append(p)
        try:
            report = analyze_batch(
                b.results,
                patterns,
                known_pattern_ids=frozenset(self._known),
                options=AnalysisOptions(find_anomalies=True, generate_insights=False),
            )
        except Exception:  # a detector bug must not stop the delivery of lines
            log.exception("watch %s: anomaly detection failed", self.spec.id)
            return []
        finally:
            self._known.update(b.patterns)
        return [a.to_dict() for a in report.anomalies]

    def _store_patterns(self, b: _Batch) -> None:
        deltas = []
        for pid, acc in b.patterns.items():
            p = self._engine.pattern(pid)
            if p is None:  # evicted from the engine since
                continue
            examples = tuple(tuple(ps.examples) for ps in sorted(p.params, key=lambda s: s.index))
            deltas.append(
                PatternDelta(
                    pattern_id=pid,
                    template=p.template,
                    severity=str(p.severity),
                    count=acc.count,
                    first_seen=acc.first_seen,
                    last_seen=acc.last_seen,
                    examples=examples,
                )
            )
        if not deltas:
            return
        try:
            self.store.upsert_patterns(self.spec.tenant_id, deltas)
        except (StoreError, ValueError) as exc:
            log.warning("watch %s: pattern counts not stored: %s", self.spec.id, exc)
