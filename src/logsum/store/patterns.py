"""The SQL of a tenant's patterns: folding the journal into them with one upsert, the
per-tenant cap, the pattern history and the stored anomalies the journal carries, and rows to
:class:`~logsum.store.models.StoredPattern`.

Pattern counts are added with ``INSERT ... ON CONFLICT DO UPDATE SET count = patterns.count +
excluded.count``, so concurrent writers never lose a count. Everything here runs inside a
transaction of the caller (:meth:`logsum.store.db.Database.write`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import (
    Connection,
    Row,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from logsum.core.model import WILDCARD
from logsum.store import journal
from logsum.store.driver import DriverStatement
from logsum.store.journal import FUTURE_SLACK_SECONDS, SEVERITY_RANK, Merged
from logsum.store.models import StoredPattern, StoreLimits
from logsum.store.tables import AnomalyRow, PatternHistoryRow, PatternJournalRow, PatternRow

__all__ = ["PatternWriter", "stored_pattern"]

log = logging.getLogger(__name__)

patterns_table = cast(Table, PatternRow.__table__)
journal_table = cast(Table, PatternJournalRow.__table__)
history_table = cast(Table, PatternHistoryRow.__table__)
anomalies_table = cast(Table, AnomalyRow.__table__)
_p, _j, _h, _a = patterns_table, journal_table, history_table, anomalies_table

HISTORY_COLUMNS = ("tenant_id", "pattern_id", "bucket_seconds", "start", "count")
ANOMALY_COLUMNS = ("tenant_id", "found_at", "type", "severity", "source", "payload")

# Sets one row's merged examples; executed as executemany over all rows that changed.
_SET_EXAMPLES = (
    update(_p)
    .where(_p.c.tenant_id == bindparam("b_tenant"))
    .where(_p.c.pattern_id == bindparam("b_pattern"))
    .values(examples=bindparam("b_examples", type_=_p.c.examples.type))
)

_NO_EXAMPLES: list[list[str]] = []
"""One shared (never mutated) empty value, so a batch encodes it once (see DriverStatement)."""

UPSERT_COLUMNS = (
    "tenant_id",
    "pattern_id",
    "template",
    "severity",
    "count",
    "first_seen",
    "last_seen",
    "examples",
    "created_at",
    "updated_at",
)
"""The columns an upsert row gives, in the order of its tuple."""
_PID, _COUNT = UPSERT_COLUMNS.index("pattern_id"), UPSERT_COLUMNS.index("count")


class PatternWriter:
    """Folds journal rows into pattern rows, for one dialect and one set of limits."""

    def __init__(
        self, dialect: Dialect, limits: StoreLimits, clock: Callable[[], datetime]
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._upsert = DriverStatement(upsert_statement(dialect.name), dialect, UPSERT_COLUMNS)
        self._history = DriverStatement(history_statement(dialect.name), dialect, HISTORY_COLUMNS)
        self._add_anomaly = DriverStatement(_a.insert(), dialect, ANOMALY_COLUMNS)

    def fold_some(self, conn: Connection, tenant_id: str) -> bool:
        """Apply up to :attr:`StoreLimits.max_fold_rows` of the tenant's journal rows to its
        patterns, history and anomalies, and delete them; True when more may be left. The rows
        are locked (row locks on PostgreSQL, the write lock on SQLite), so no journal row is
        applied twice."""
        limit = self._limits.max_fold_rows
        q = (
            select(_j.c.id, _j.c.payload, _j.c.created_at, _j.c.anomalies)
            .where(_j.c.tenant_id == tenant_id)
            .order_by(_j.c.id)
            .limit(limit)
            .with_for_update()
        )
        rows = conn.execute(q).all()
        if not rows:
            return False
        merged = journal.fold([r[1] for r in rows], self._limits, [r[2] for r in rows])
        self.apply(conn, tenant_id, merged)
        self._store_anomalies(conn, tenant_id, [(r[2], r[3]) for r in rows if r[3]])
        ids = [r[0] for r in rows]
        step = self._limits.max_batch_rows
        for i in range(0, len(ids), step):
            conn.execute(delete(_j).where(_j.c.id.in_(ids[i : i + step])))
        return len(rows) == limit

    def apply(self, conn: Connection, tenant_id: str, merged: dict[str, Merged[datetime]]) -> None:
        """Add merged deltas to the tenant's pattern rows (inside the caller's transaction)."""
        now = self._clock()
        # One order for every writer: PostgreSQL locks rows in this order, so two batches
        # over the same patterns can't deadlock.
        items = sorted(merged.items())
        values = [
            (
                tenant_id,
                pid,
                d.template,
                d.severity,
                d.count,
                d.first_seen,
                d.last_seen,
                [list(p) for p in d.examples] if d.examples else _NO_EXAMPLES,
                now,
                now,
            )
            for pid, d in items
        ]
        rows = self._within_cap(conn, tenant_id, values)
        self._expire_history(conn, tenant_id, now)
        if not rows:
            return
        self._upsert.executemany(conn, rows)
        history = self._history_rows(tenant_id, [(r[_PID], merged[r[_PID]]) for r in rows], now)
        if history:
            self._history.executemany(conn, history)
        # The upsert above locked these rows (PostgreSQL row locks; SQLite's write lock)
        # until commit, so this read-merge-write of the examples can't race another writer.
        with_examples = {pid: d for pid, d in items if d.examples}
        ids = sorted(r[_PID] for r in rows if r[_PID] in with_examples)
        changes = self._example_changes(conn, tenant_id, ids, with_examples)
        if changes:
            conn.execute(_SET_EXAMPLES, changes)

    def _history_rows(
        self, tenant_id: str, admitted: list[tuple[str, Merged[datetime]]], now: datetime
    ) -> list[tuple[Any, ...]]:
        """Rows adding the admitted patterns' timelines to each resolution's buckets that are
        within its retention (and not beyond :data:`FUTURE_SLACK_SECONDS`)."""
        epoch = int(now.timestamp())
        newest = epoch + FUTURE_SLACK_SECONDS
        out: list[tuple[Any, ...]] = []
        for pid, d in admitted:
            for bucket, keep in self._limits.history:
                oldest = epoch - keep
                sums: dict[int, int] = {}
                for start, lines in d.timeline.items():
                    if oldest <= start <= newest:
                        b = start // bucket * bucket
                        sums[b] = sums.get(b, 0) + lines
                out.extend((tenant_id, pid, bucket, b, n) for b, n in sorted(sums.items()))
        return out

    def _expire_history(self, conn: Connection, tenant_id: str, now: datetime) -> None:
        """Delete the tenant's buckets older than their resolution's retention."""
        epoch = int(now.timestamp())
        for bucket, keep in self._limits.history:
            conn.execute(
                delete(_h).where(
                    _h.c.tenant_id == tenant_id,
                    _h.c.bucket_seconds == bucket,
                    _h.c.start < epoch - keep,
                )
            )

    def _store_anomalies(
        self, conn: Connection, tenant_id: str, written: list[tuple[datetime, str]]
    ) -> None:
        """Insert the anomalies of journal rows (``(written at, JSON)``, in journal order) and
        delete the tenant's oldest beyond :attr:`StoreLimits.max_anomalies_per_tenant`."""
        if not written:
            return
        rows: list[tuple[Any, ...]] = []
        for found_at, encoded in written:
            for source, anomaly in orjson.loads(encoded):
                payload = orjson.dumps(anomaly).decode()
                rows.append(
                    (tenant_id, found_at, anomaly["type"], anomaly["severity"], source, payload)
                )
        cap = self._limits.max_anomalies_per_tenant
        rows = rows[-cap:]
        self._add_anomaly.executemany(conn, rows)
        cutoff = conn.execute(
            select(_a.c.found_at, _a.c.id)
            .where(_a.c.tenant_id == tenant_id)
            .order_by(_a.c.found_at.desc(), _a.c.id.desc())
            .offset(cap)
            .limit(1)
        ).first()
        if cutoff is not None:
            conn.execute(
                delete(_a).where(
                    _a.c.tenant_id == tenant_id,
                    or_(
                        _a.c.found_at < cutoff[0],
                        and_(_a.c.found_at == cutoff[0], _a.c.id <= cutoff[1]),
                    ),
                )
            )

    def _example_changes(
        self,
        conn: Connection,
        tenant_id: str,
        ids: list[str],
        with_examples: dict[str, Merged[datetime]],
    ) -> list[dict[str, Any]]:
        """Parameters of :data:`_SET_EXAMPLES` for the stored patterns among ``ids`` whose
        examples the deltas change."""
        changes: list[dict[str, Any]] = []
        step = self._limits.max_batch_rows
        for i in range(0, len(ids), step):
            stored = conn.execute(
                select(_p.c.pattern_id, _p.c.template, _p.c.examples).where(
                    _p.c.tenant_id == tenant_id, _p.c.pattern_id.in_(ids[i : i + step])
                )
            ).all()
            for pid, template, old in stored:
                delta = with_examples[pid]
                if template != delta.template:
                    continue  # the stored template is more general: positions differ
                old_examples = journal.examples_from_json(old)
                new = journal.merge_examples(old_examples, delta.examples, self._limits)
                if new != old_examples:
                    ex = [list(p) for p in new]
                    changes.append({"b_tenant": tenant_id, "b_pattern": pid, "b_examples": ex})
        return changes

    def _within_cap(
        self, conn: Connection, tenant_id: str, rows: list[tuple[Any, ...]]
    ) -> list[tuple[Any, ...]]:
        """``rows`` without the new patterns that would take the tenant over
        :attr:`StoreLimits.max_patterns_per_tenant` (existing ones always count on).

        Exact on SQLite (writers are serialised); on PostgreSQL two batches racing at the cap
        may each add their new patterns, so the cap can be passed by one batch per writer.
        """
        cap = self._limits.max_patterns_per_tenant
        stored = conn.execute(
            select(func.count()).select_from(_p).where(_p.c.tenant_id == tenant_id)
        ).scalar_one()
        if int(stored) + len(rows) <= cap:
            return rows  # room for all of them, whichever are new: no need to find out
        step = self._limits.max_batch_rows
        ids = [r[_PID] for r in rows]
        existing: set[str] = set()
        for i in range(0, len(ids), step):
            existing.update(
                conn.execute(
                    select(_p.c.pattern_id).where(
                        _p.c.tenant_id == tenant_id, _p.c.pattern_id.in_(ids[i : i + step])
                    )
                ).scalars()
            )
        new = [r for r in rows if r[_PID] not in existing]
        room = max(0, cap - int(stored))
        if len(new) <= room:
            return rows
        # The most frequent new patterns get the remaining room.
        admitted = sorted(new, key=lambda r: (-r[_COUNT], r[_PID]))[:room]
        keep = existing | {r[_PID] for r in admitted}
        log.warning(
            "tenant %s is at its limit of %d patterns: %d new patterns not stored",
            tenant_id,
            cap,
            len(new) - len(admitted),
        )
        return [r for r in rows if r[_PID] in keep]


def upsert_statement(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT DO UPDATE`` of one pattern row, merging as
    :meth:`Merged.absorb` does (``dialect``: ``"sqlite"`` or ``"postgresql"``)."""
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    ins = insert(_p)
    new, cur = ins.excluded, _p.c
    rank_new = case(SEVERITY_RANK, value=new.severity, else_=len(SEVERITY_RANK))
    rank_cur = case(SEVERITY_RANK, value=cur.severity, else_=len(SEVERITY_RANK))
    # A writer whose engine was seeded before another one generalised the pattern must not
    # undo that: the new template wins unless it has fewer wildcards than the stored one.
    accept = _wildcard_chars(new.template) >= _wildcard_chars(cur.template)
    return ins.on_conflict_do_update(
        index_elements=[cur.tenant_id, cur.pattern_id],
        set_={
            "count": cur.count + new.count,
            "template": case((accept, new.template), else_=cur.template),
            "severity": case((rank_new < rank_cur, new.severity), else_=cur.severity),
            "first_seen": case(
                (new.first_seen.is_(None), cur.first_seen),
                (cur.first_seen.is_(None), new.first_seen),
                (new.first_seen < cur.first_seen, new.first_seen),
                else_=cur.first_seen,
            ),
            "last_seen": case(
                (new.last_seen.is_(None), cur.last_seen),
                (cur.last_seen.is_(None), new.last_seen),
                (new.last_seen > cur.last_seen, new.last_seen),
                else_=cur.last_seen,
            ),
            # SET sees the row as it was, so these compare with the OLD template.
            "examples": case(
                (cur.template == new.template, cur.examples),
                (accept, new.examples),
                else_=cur.examples,
            ),
            "updated_at": new.updated_at,
        },
    )


def history_statement(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT DO UPDATE SET count = count + excluded.count`` of one history
    bucket (``dialect``: ``"sqlite"`` or ``"postgresql"``)."""
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    ins = insert(_h)
    return ins.on_conflict_do_update(
        index_elements=[_h.c.tenant_id, _h.c.pattern_id, _h.c.bucket_seconds, _h.c.start],
        set_={"count": _h.c.count + ins.excluded["count"]},
    )


def _wildcard_chars(template: Any) -> Any:
    """SQL: characters taken by ``<*>`` in ``template`` (3 per wildcard), in SQLite and
    PostgreSQL alike."""
    return func.length(template) - func.length(func.replace(template, WILDCARD, ""))


def stored_pattern(row: Row[Any]) -> StoredPattern:
    """The value of a ``patterns`` row."""
    return StoredPattern(
        id=row.pattern_id,
        template=row.template,
        count=int(row._mapping["count"]),  # ``row.count`` is the tuple method
        severity=row.severity,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        examples=journal.examples_from_json(row.examples),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
