"""The pattern store: API keys and each tenant's accumulated patterns, in SQLite or PostgreSQL.

One synchronous :class:`Store` per process, built by the composition root from a URL. Its
methods open a short transaction each (through :class:`~logsum.store.db.Database`, which the
watch store shares) and are safe to call from several threads (the API calls them from a thread
pool) and from several processes at once.

Pattern writes are journaled: a batch of deltas is committed as one row of ``pattern_journal``
(one insert, however many patterns; :mod:`logsum.store.journal`), and the journal is folded into
``patterns`` (an upsert for the merged deltas of many writes; :mod:`logsum.store.patterns`) by
every reader of the tenant first and by every ``fold_every``-th write of a process. A service
writes on every request and reads rarely, so most requests cost one insert instead of an upsert
per pattern; a reader still sees every committed write, and a crash loses nothing that was
committed.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import ColumnElement, Connection, Engine, Table, bindparam, func, select, update

from logsum.store import history, journal, keys
from logsum.store.baselines import BaselineStore
from logsum.store.db import Database
from logsum.store.driver import DriverQuery, DriverStatement
from logsum.store.groupcommit import GroupCommit
from logsum.store.journal import Merged, check_id, check_severity
from logsum.store.models import (
    ApiKeyRecord,
    HistoryPoints,
    PatternDelta,
    StoredAnomaly,
    StoredPattern,
    StoreLimits,
    Tier,
)
from logsum.store.patterns import PatternWriter, journal_table, patterns_table, stored_pattern
from logsum.store.tables import ApiKeyRow
from logsum.timeutil import as_utc, utc_now

__all__ = ["Store"]

_keys = cast(Table, ApiKeyRow.__table__)
_patterns, _journal = patterns_table, journal_table


class Store:
    """API keys and per-tenant patterns, persisted in SQLite or PostgreSQL.

    ``url`` is an SQLAlchemy URL: ``sqlite:////abs/path/logsum.db`` or
    ``postgresql+psycopg://user:pass@host:5432/db`` (``postgresql://`` and ``postgres://`` mean
    the same). Nothing is connected until the first call. Call :meth:`migrate` once at start-up.
    """

    def __init__(
        self,
        url: str,
        *,
        limits: StoreLimits | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db = Database(url)
        self._limits = limits or StoreLimits()
        self._clock = clock
        dialect = self._db.engine.dialect
        self._patterns = PatternWriter(dialect, self._limits, clock)
        self._key_query = (
            DriverQuery(select(_keys).where(_keys.c.key_hash == bindparam("digest")), dialect)
            if self.dialect == "sqlite"
            else None
        )
        self._append = DriverStatement(
            _journal.insert(), dialect, ("tenant_id", "payload", "created_at", "anomalies")
        )
        # Concurrent upserts of one tenant in this process share a journal row.
        self._pattern_commits: GroupCommit[str, _Work] = GroupCommit(self._write_journal)
        self._journal_guard = threading.Lock()
        self._journal_writes: dict[str, int] = {}
        """Journal rows written per tenant since this process last folded it."""

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._db.dialect

    @property
    def url(self) -> str:
        """The database URL with any password hidden (safe to log)."""
        return self._db.url

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (read-only)."""
        return self._db.engine

    @property
    def database(self) -> Database:
        """The database layer, shared by repositories over the same database (its writer lock
        orders all their writes)."""
        return self._db

    @property
    def baselines(self) -> BaselineStore:
        """Each tenant's learned baseline (:mod:`logsum.store.baselines`)."""
        return BaselineStore(self._db)

    @property
    def limits(self) -> StoreLimits:
        """The bounds this store applies."""
        return self._limits

    def migrate(self) -> None:
        """Bring the schema to the newest revision (``alembic upgrade head``).

        Safe to call from several processes at once: SQLite serialises on its write lock and
        PostgreSQL on an advisory lock, and the later caller then finds nothing to do.
        """
        self._db.migrate()

    def ping(self) -> None:
        """Check that the database answers; raises :class:`StoreUnavailable` when it doesn't."""
        self._db.ping()

    def close(self) -> None:
        """Close all pooled connections. The store reconnects if used again."""
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- API keys ----------------------------------------------------------------------------

    def create_key(self, name: str, tier: Tier | str) -> tuple[ApiKeyRecord, str]:
        """Create a key; returns its record and the plaintext, which is never stored or shown
        again. Raises ``ValueError`` for an empty or over-long name or an unknown tier."""
        name = _clean_name(name, self._limits.max_key_name_chars)
        try:
            tier = Tier(tier)
        except ValueError:
            allowed = ", ".join(t.value for t in Tier)
            raise ValueError(f"unknown tier {tier!r}; expected one of: {allowed}") from None
        plaintext = keys.generate_key()
        record = ApiKeyRecord(
            id=keys.new_key_id(),
            name=name,
            tier=tier,
            prefix=keys.key_display_prefix(plaintext),
            created_at=self._clock(),
            revoked_at=None,
        )
        row = {
            "id": record.id,
            "name": record.name,
            "tier": record.tier.value,
            "key_hash": keys.hash_key(plaintext),
            "prefix": record.prefix,
            "created_at": record.created_at,
            "revoked_at": None,
        }
        self._db.write("creating a key", lambda conn: conn.execute(_keys.insert().values(row)))
        return _with_utc(record), plaintext

    def authenticate(self, plaintext: str) -> ApiKeyRecord | None:
        """The active key whose plaintext this is, or ``None`` (unknown, malformed, revoked)."""
        if not isinstance(plaintext, str) or not keys.looks_like_key(plaintext):
            return None
        digest = keys.hash_key(plaintext)
        row: Any
        if self._key_query is not None:
            # Every request authenticates: on SQLite, one SELECT straight on the driver (a
            # fraction of the cost of a pooled SQLAlchemy transaction around it).
            with self._db.direct("authenticating a key") as db:
                row = self._key_query.first(db, (digest,))
        else:
            with self._db.read("authenticating a key") as conn:
                row = conn.execute(select(_keys).where(_keys.c.key_hash == digest)).first()
        if row is None or not keys.hashes_match(row.key_hash, plaintext):
            return None
        record = _key_record(row)
        return record if record.active else None

    def list_keys(self) -> list[ApiKeyRecord]:
        """All keys, revoked ones included, oldest first."""
        with self._db.read("listing keys") as conn:
            rows = conn.execute(select(_keys).order_by(_keys.c.created_at, _keys.c.id)).all()
        return [_key_record(r) for r in rows]

    def revoke_key(self, key_id: str) -> bool:
        """Revoke a key; it stops authenticating at once. Idempotent: True when the key exists
        (revoked now or before, keeping the first revocation time), False when it doesn't."""
        now = self._clock()

        def work(conn: Connection) -> bool:
            conn.execute(
                update(_keys)
                .where(_keys.c.id == key_id, _keys.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            found = conn.execute(select(_keys.c.id).where(_keys.c.id == key_id)).first()
            return found is not None

        return self._db.write("revoking a key", work)

    def has_keys(self) -> bool:
        """True once any key has been created (revoked ones count): "is this the first start?"."""
        with self._db.read("counting keys") as conn:
            return conn.execute(select(_keys.c.id).limit(1)).first() is not None

    # -- patterns ----------------------------------------------------------------------------

    def upsert_patterns(
        self,
        tenant_id: str,
        deltas: Sequence[PatternDelta],
        anomalies: Sequence[dict[str, Any]] = (),
        *,
        source: str = "analyze",
    ) -> None:
        """Add a batch of deltas to the tenant's patterns, atomically and durably.

        A new pattern is inserted; an existing one gets ``count += delta.count``, the earlier
        ``first_seen`` and later ``last_seen`` (``None`` never replaces a time), the delta's
        template unless it has fewer ``<*>`` than the stored one (templates only generalise, so
        a writer seeded before another generalised the pattern can't undo it), the more severe
        severity, and new example values appended up to
        :attr:`StoreLimits.max_examples_per_position` (reset when the template changed, since
        positions may have moved). Concurrent callers in other threads or
        processes lose no counts. Raises ``ValueError`` for an invalid delta, before writing.

        The batch is committed as one row of the pattern journal (one insert, however many
        patterns it holds); every read of the tenant's patterns first folds the journal into
        them, and so does every :attr:`StoreLimits.fold_every`-th write of the tenant in this
        process. A caller never sees a difference, except that it is fast.

        The fold also adds each delta's lines to the pattern's history buckets (by its
        ``timeline``; lines it leaves out count now) in the same transaction as its ``count``,
        and stores ``anomalies`` (dicts as ``POST /v1/analyze`` returns them, found by
        ``source``: ``"analyze"`` or ``"watch:<id>"``) for :meth:`list_anomalies`.
        """
        check_id("tenant id", tenant_id, self._limits.max_tenant_id_chars)
        merged = journal.coalesce(deltas, self._limits, self._clock())
        found = _encode_anomalies(anomalies, source)
        if not merged and found is None:
            return
        self._pattern_commits.submit(tenant_id, (merged, found))
        with self._journal_guard:
            written = self._journal_writes.get(tenant_id, 0) + 1
            due = written >= self._limits.fold_every
            self._journal_writes[tenant_id] = 0 if due else written
        if due:
            self.fold(tenant_id)

    def _write_journal(self, tenant_id: str, works: list[_Work]) -> None:
        """One journal row for the merged deltas (and the anomalies) of one or more concurrent
        callers."""
        batches = [m for m, _a in works if m]
        payload = journal.encode(journal.merge_batches(batches, self._limits) if batches else {})
        found = [a for _m, a in works if a is not None]
        anomalies = None if not found else found[0] if len(found) == 1 else _join_json(found)
        row = (tenant_id, payload, self._clock(), anomalies)
        if self.dialect != "sqlite":
            self._db.write("storing patterns", lambda conn: self._append.executemany(conn, [row]))
            return
        # SQLite: one autocommitted statement on the driver's connection (see write_direct).
        (params,) = self._append.parameters([row])
        self._db.write_direct("storing patterns", self._append.sql, params)

    def fold(self, tenant_id: str) -> None:
        """Apply the tenant's journal to its patterns and empty it, one bounded transaction at
        a time.

        Called by readers and periodically by writers; callers of the store need not. Two
        processes folding at once wait for each other (row locks on PostgreSQL, the write lock
        on SQLite), so no journal row is applied twice.
        """
        while self._db.write(
            "folding stored patterns", lambda conn: self._patterns.fold_some(conn, tenant_id)
        ):
            pass  # a long journal: one bounded transaction at a time

    def _fold_pending(self, tenant_id: str) -> None:
        """Fold the tenant's journal if it has rows (a cheap check first: reads are common)."""
        q = select(_journal.c.id).where(_journal.c.tenant_id == tenant_id).limit(1)
        with self._db.read("checking stored patterns") as conn:
            pending = conn.execute(q).first() is not None
        if pending:
            self.fold(tenant_id)

    def list_patterns(
        self,
        tenant_id: str,
        *,
        limit: int,
        offset: int = 0,
        severity: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        order: str = "count",
    ) -> tuple[list[StoredPattern], int]:
        """One page of the tenant's patterns and the total matching ``severity`` (when given).

        With ``since`` and/or ``until``, ``count`` is the pattern's lines in that range (by
        the history: the range widened to whole buckets of the finest resolution that reaches
        back to ``since``), and only patterns with lines in it are listed.

        Order (``order``): ``"count"``, ``count`` descending; ``"last_seen"``, the latest
        ``last_seen`` first (patterns without one last); then ``pattern_id`` ascending (stable
        across pages while counts don't change). Raises ``ValueError`` for ``limit < 1``,
        ``offset < 0``, an unknown severity or order, or an empty range.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive integer, got {limit!r}")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValueError(f"offset must be a non-negative integer, got {offset!r}")
        if order not in ("count", "last_seen"):
            raise ValueError(f"unknown order {order!r}; expected count or last_seen")
        conds: list[ColumnElement[bool]] = [_patterns.c.tenant_id == tenant_id]
        if severity is not None:
            conds.append(_patterns.c.severity == check_severity(severity))
        count_col: Any = _patterns.c.count
        source: Any = _patterns
        if since is not None or until is not None:
            rng = history.count_range(self._limits.history, self._clock(), since, until)
            counts = history.range_counts(tenant_id, rng)
            source = _patterns.join(counts, counts.c.pattern_id == _patterns.c.pattern_id)
            count_col = counts.c.n
        first = count_col.desc() if order == "count" else _patterns.c.last_seen.desc().nulls_last()
        page_q = (
            select(_patterns, count_col.label("range_count"))
            .select_from(source)
            .where(*conds)
            .order_by(first, _patterns.c.pattern_id.asc())
            .limit(limit)
            .offset(offset)
        )
        total_q = select(func.count()).select_from(source).where(*conds)
        self._fold_pending(tenant_id)
        with self._db.read("listing patterns") as conn:
            rows = conn.execute(page_q).all()
            total = conn.execute(total_q).scalar_one()
        return [_with_count(stored_pattern(r), r.range_count) for r in rows], int(total)

    def pattern_history(
        self,
        tenant_id: str,
        pattern_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        bucket_seconds: int | None = None,
    ) -> HistoryPoints | None:
        """The pattern's lines per time bucket from ``since`` to ``until`` (default: the last
        day), or ``None`` when the tenant has no such pattern. ``bucket_seconds`` must be a
        multiple of a stored resolution (default: chosen for at most 720 points); the range is
        widened to whole buckets. Raises ``ValueError`` for an empty range, a bucket size no
        resolution divides, or more than :data:`~logsum.store.history.MAX_POINTS` buckets."""
        now = self._clock()
        rng = history.plan_range(self._limits.history, now, since, until, bucket_seconds)
        exists = select(_patterns.c.pattern_id).where(
            _patterns.c.tenant_id == tenant_id, _patterns.c.pattern_id == pattern_id
        )
        self._fold_pending(tenant_id)
        with self._db.read("reading a pattern's history") as conn:
            if conn.execute(exists).first() is None:
                return None
            return history.history_points(conn, tenant_id, pattern_id, rng)

    def list_anomalies(
        self,
        tenant_id: str,
        *,
        limit: int,
        offset: int = 0,
        since: datetime | None = None,
        until: datetime | None = None,
        type_: str | None = None,
        severity: str | None = None,
    ) -> tuple[list[StoredAnomaly], int]:
        """One page of the anomalies stored for the tenant, newest first (by when they were
        found), and how many match. Raises ``ValueError`` for a bad limit or offset."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive integer, got {limit!r}")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValueError(f"offset must be a non-negative integer, got {offset!r}")
        if severity is not None:
            check_severity(severity)
        self._fold_pending(tenant_id)
        with self._db.read("listing anomalies") as conn:
            return history.anomalies_page(
                conn,
                tenant_id,
                since=since,
                until=until,
                type_=type_,
                severity=severity,
                limit=limit,
                offset=offset,
            )

    def get_pattern(self, tenant_id: str, pattern_id: str) -> StoredPattern | None:
        """The tenant's pattern with this id, or ``None`` (unknown, or another tenant's)."""
        q = select(_patterns).where(
            _patterns.c.tenant_id == tenant_id, _patterns.c.pattern_id == pattern_id
        )
        self._fold_pending(tenant_id)
        with self._db.read("reading a pattern") as conn:
            row = conn.execute(q).first()
        return None if row is None else stored_pattern(row)

    def known_patterns(self, tenant_id: str) -> list[tuple[str, str, str]]:
        """``(pattern_id, template, severity)`` of all the tenant's patterns, most frequent
        first: what an engine needs to seed itself so ids stay stable across restarts."""
        q = (
            select(_patterns.c.pattern_id, _patterns.c.template, _patterns.c.severity)
            .where(_patterns.c.tenant_id == tenant_id)
            .order_by(_patterns.c.count.desc(), _patterns.c.pattern_id.asc())
        )
        self._fold_pending(tenant_id)
        with self._db.read("reading known patterns") as conn:
            return [(r[0], r[1], r[2]) for r in conn.execute(q)]

    def patterns_since(
        self, tenant_id: str, journal_id: int = 0
    ) -> tuple[list[tuple[str, str, str]], int]:
        """:meth:`known_patterns` without a write, for an engine that read them before:
        ``(pattern_id, template, severity)`` of the tenant's pattern rows, most frequent first,
        then of the patterns only its journal rows after ``journal_id`` hold (with the template
        a fold would keep), and the last journal id read (pass it next time).

        The journal is not folded here (a service syncing many tenants' engines would
        otherwise turn every sync into a write), and each journal row is read once per
        caller. On PostgreSQL a journal row committed after a later one was read is seen once
        it is folded into the pattern rows (the next read of the tenant's patterns, or every
        ``fold_every``-th write)."""
        q = (
            select(_patterns.c.pattern_id, _patterns.c.template, _patterns.c.severity)
            .where(_patterns.c.tenant_id == tenant_id)
            .order_by(_patterns.c.count.desc(), _patterns.c.pattern_id.asc())
        )
        pending_q = (
            select(_journal.c.id, _journal.c.payload)
            .where(_journal.c.tenant_id == tenant_id, _journal.c.id > journal_id)
            .order_by(_journal.c.id)
        )
        with self._db.read("reading known patterns") as conn:
            rows = [(r[0], r[1], r[2]) for r in conn.execute(q)]
            pending_rows = conn.execute(pending_q).all()
        if not pending_rows:
            return rows, journal_id
        pending = journal.pending_templates([r[1] for r in pending_rows])
        out = []
        for pid, template, severity in rows:
            m = pending.pop(pid, None)
            if m is not None and journal.more_general(m[0], template):
                template = m[0]
            out.append((pid, template, severity))
        out.extend((pid, m[0], m[1]) for pid, m in pending.items())
        return out, int(pending_rows[-1][0])


_Work = tuple[dict[str, Merged[datetime]], str | None]
"""One caller's write: its merged deltas, and its anomalies as a JSON array (or None)."""

_MAX_SOURCE_CHARS = 80
_MAX_TYPE_CHARS = 64


def _encode_anomalies(anomalies: Sequence[dict[str, Any]], source: str) -> str | None:
    """The journal's JSON of ``anomalies`` found by ``source`` (``[[source, anomaly], ...]``),
    or None when there are none; raises ``ValueError`` for a malformed one."""
    if not anomalies:
        return None
    check_id("anomaly source", source, _MAX_SOURCE_CHARS)
    for a in anomalies:
        if not isinstance(a, dict):
            raise ValueError("an anomaly must be a dict")
        check_id("anomaly type", a.get("type"), _MAX_TYPE_CHARS)  # type: ignore[arg-type]
        check_severity(a.get("severity"))  # type: ignore[arg-type]
    return orjson.dumps(
        [[source, a] for a in anomalies], option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC
    ).decode()


def _join_json(arrays: list[str]) -> str:
    """One JSON array of the items of several non-empty ones."""
    return "[" + ",".join(a[1:-1] for a in arrays) + "]"


def _with_count(p: StoredPattern, count: Any) -> StoredPattern:
    """``p`` with ``count`` replaced by a count in a range (when one was read)."""
    n = int(count)
    return p if n == p.count else dataclasses.replace(p, count=n)


def _clean_name(name: str, max_chars: int) -> str:
    if not isinstance(name, str):
        raise ValueError("key name must be a string")
    name = name.strip()
    if not name:
        raise ValueError("key name must not be empty")
    if len(name) > max_chars:
        raise ValueError(f"key name is longer than {max_chars} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValueError("key name must not contain control characters")
    return name


def _key_record(row: Any) -> ApiKeyRecord:
    """The record of an ``api_keys`` row (a SQLAlchemy row, or a :class:`DriverQuery` one)."""
    return ApiKeyRecord(
        id=row.id,
        name=row.name,
        tier=Tier(row.tier),
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def _with_utc(record: ApiKeyRecord) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=record.id,
        name=record.name,
        tier=record.tier,
        prefix=record.prefix,
        created_at=as_utc(record.created_at),
        revoked_at=as_utc(record.revoked_at),
    )
