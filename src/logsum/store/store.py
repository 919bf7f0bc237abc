"""The pattern store: API keys and each tenant's accumulated patterns, in SQLite or PostgreSQL.

One synchronous :class:`Store` per process, built by the composition root from a URL. Its
methods open a short transaction each and are safe to call from several threads (the API calls
them from a thread pool) and from several processes at once: pattern counts are added with
``INSERT ... ON CONFLICT DO UPDATE SET count = patterns.count + excluded.count``, so concurrent
writers never lose a count.

Pattern writes are journaled: a batch of deltas is committed as one row of ``pattern_journal``
(one insert, however many patterns), and the journal is folded into ``patterns`` (the upsert
above, for the merged deltas of many writes) by every reader of the tenant first and by every
``fold_every``-th write of a process. A service writes on every request and reads rarely, so most
requests cost one insert instead of an upsert per pattern; a reader still sees every committed
write, and a crash loses nothing that was committed.

SQLite runs in WAL mode (readers don't block the writer) with a busy timeout, and write
transactions start with ``BEGIN IMMEDIATE`` so two processes queue for the write lock instead of
failing when they upgrade a read lock.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Generic, TypeVar, cast

import orjson
from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    Table,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError, SQLAlchemyError

from logsum.core.model import WILDCARD, Severity
from logsum.store import keys
from logsum.store.errors import StoreError, StoreUnavailable
from logsum.store.groupcommit import GroupCommit
from logsum.store.models import ApiKeyRecord, PatternDelta, StoredPattern, StoreLimits, Tier
from logsum.store.tables import ApiKeyRow, PatternJournalRow, PatternRow
from logsum.store.writerlock import WriterLock

__all__ = ["Store"]

log = logging.getLogger(__name__)

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_S = 15.0
"""How long a SQLite writer waits for another process's write lock before giving up."""
PG_CONNECT_TIMEOUT_S = 10
"""Seconds to wait for a PostgreSQL connection (so /readyz answers instead of hanging)."""
WRITE_ATTEMPTS = 3
"""A write transaction that hits a deadlock or a locked database is retried this many times."""
_RETRY_BACKOFF_S = 0.05
_MIGRATIONS = Path(__file__).with_name("migrations")

_SEVERITIES = frozenset(s.value for s in Severity)
_SEVERITY_RANK = {s.value: s.rank for s in Severity}
_UTC_SUFFIX = "+00:00"
"""Journal rows hold times as ISO 8601 text in UTC, as ``datetime.isoformat`` (and orjson)
write them: ``YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00``. In that one form, text order is time order
(the fields are zero-padded, and a whole second's ``+`` sorts before a fraction's ``.``), so a
fold compares them as text and parses only its merged results."""

_keys = cast(Table, ApiKeyRow.__table__)
_patterns = cast(Table, PatternRow.__table__)
_journal = cast(Table, PatternJournalRow.__table__)


# Sets one row's merged examples; executed as executemany over all rows that changed.
_SET_EXAMPLES = (
    update(_patterns)
    .where(_patterns.c.tenant_id == bindparam("b_tenant"))
    .where(_patterns.c.pattern_id == bindparam("b_pattern"))
    .values(examples=bindparam("b_examples", type_=_patterns.c.examples.type))
)


_NO_EXAMPLES: list[list[str]] = []
"""One shared (never mutated) empty value, so a batch encodes it once (see _DriverStatement)."""


def _now() -> datetime:
    return datetime.now(UTC)


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
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._url = _normalise_url(url)
        self._limits = limits or StoreLimits()
        self._clock = clock
        self._engine = _create_engine(self._url)
        # SQLite writers of this store queue on a lock file beside the database file.
        self._writer: contextlib.AbstractContextManager[object] = (
            WriterLock(Path(f"{self._url.database}.writer"))
            if self.dialect == "sqlite"
            else contextlib.nullcontext()
        )
        self._upsert = _DriverStatement(
            self._upsert_statement(), self._engine.dialect, _UPSERT_COLUMNS
        )
        self._key_query = (
            _DriverQuery(
                select(_keys).where(_keys.c.key_hash == bindparam("digest")), self._engine.dialect
            )
            if self.dialect == "sqlite"
            else None
        )
        self._append = _DriverStatement(
            _journal.insert(), self._engine.dialect, ("tenant_id", "payload", "created_at")
        )
        # Concurrent upserts of one tenant in this process share a journal row.
        self._pattern_commits: GroupCommit[str, dict[str, _Merged[datetime]]] = GroupCommit(
            self._write_journal
        )
        self._journal_guard = threading.Lock()
        self._journal_writes: dict[str, int] = {}
        """Journal rows written per tenant since this process last folded it."""

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    @property
    def url(self) -> str:
        """The database URL with any password hidden (safe to log)."""
        return self._url.render_as_string(hide_password=True)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (read-only), shared by repositories over the same database."""
        return self._engine

    @property
    def limits(self) -> StoreLimits:
        """The bounds this store applies."""
        return self._limits

    def migrate(self) -> None:
        """Bring the schema to the newest revision (``alembic upgrade head``).

        Safe to call from several processes at once: SQLite serialises on its write lock and
        PostgreSQL on an advisory lock, and the later caller then finds nothing to do.
        """
        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        with self._errors("migrating the database"), self._engine.connect() as conn:
            conn.execution_options(logsum_write=True)
            cfg.attributes["connection"] = conn
            try:
                command.upgrade(cfg, "head")
            except CommandError as exc:
                raise StoreError(
                    f"can't migrate the database ({exc}); was it written by a newer LogSum?"
                ) from exc
            if conn.in_transaction():
                conn.commit()

    def ping(self) -> None:
        """Check that the database answers; raises :class:`StoreUnavailable` when it doesn't."""
        with self._errors("checking the database"), self._engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1").scalar_one()

    def close(self) -> None:
        """Close all pooled connections. The store reconnects if used again."""
        self._engine.dispose()
        if isinstance(self._writer, WriterLock):
            self._writer.close()

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
        self._write("creating a key", lambda conn: conn.execute(_keys.insert().values(row)))
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
            with self._sqlite_errors("authenticating a key"):
                row = self._key_query.first(self._engine, (digest,))
        else:
            with self._read("authenticating a key") as conn:
                row = conn.execute(select(_keys).where(_keys.c.key_hash == digest)).first()
        if row is None or not keys.hashes_match(row.key_hash, plaintext):
            return None
        record = _key_record(row)
        return record if record.active else None

    def list_keys(self) -> list[ApiKeyRecord]:
        """All keys, revoked ones included, oldest first."""
        with self._read("listing keys") as conn:
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

        return self._write("revoking a key", work)

    def has_keys(self) -> bool:
        """True once any key has been created (revoked ones count): "is this the first start?"."""
        with self._read("counting keys") as conn:
            return conn.execute(select(_keys.c.id).limit(1)).first() is not None

    # -- patterns ----------------------------------------------------------------------------

    def upsert_patterns(self, tenant_id: str, deltas: Sequence[PatternDelta]) -> None:
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
        """
        _check_id("tenant id", tenant_id, self._limits.max_tenant_id_chars)
        merged = _coalesce(deltas, self._limits)
        if not merged:
            return
        self._pattern_commits.submit(tenant_id, merged)
        with self._journal_guard:
            written = self._journal_writes.get(tenant_id, 0) + 1
            due = written >= self._limits.fold_every
            self._journal_writes[tenant_id] = 0 if due else written
        if due:
            self.fold(tenant_id)

    def _write_journal(self, tenant_id: str, batches: list[dict[str, _Merged[datetime]]]) -> None:
        """One journal row for the merged deltas of one or more concurrent callers."""
        merged = _merge_batches(batches, self._limits)
        payload = orjson.dumps(
            [
                (pid, d.template, d.severity, d.count, d.first_seen, d.last_seen, d.examples)
                for pid, d in merged.items()
            ]
        ).decode()
        row = (tenant_id, payload, self._clock())
        if self.dialect != "sqlite":
            self._write("storing patterns", lambda conn: self._append.executemany(conn, [row]))
            return
        # SQLite: one autocommitted statement on the driver's connection. SQLite's write lock
        # is then held only inside that one C call, never while this thread waits for the
        # interpreter lock behind an analysis (a BEGIN ... COMMIT transaction would hold it
        # across several such waits, and writers of other processes would queue behind).
        (params,) = self._append.parameters([row])
        with self._writer, self._sqlite_errors("storing patterns"), _driver(self._engine) as db:
            db.execute(self._append.sql, params)

    @contextmanager
    def _sqlite_errors(self, what: str) -> Iterator[None]:
        """The store's own exceptions for errors of the sqlite3 driver used directly."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                raise StoreError(f"{what}: {exc} (run migrate first)") from exc
            raise StoreUnavailable(f"{what}: database unavailable: {exc}") from exc
        except sqlite3.Error as exc:
            raise StoreError(f"{what}: {exc}") from exc

    def fold(self, tenant_id: str) -> None:
        """Apply the tenant's journal to its patterns and empty it, in one transaction.

        Called by readers and periodically by writers; callers of the store need not. Two
        processes folding at once wait for each other (row locks on PostgreSQL, the write lock
        on SQLite), so no journal row is applied twice.
        """
        limit = self._limits.max_fold_rows

        def work(conn: Connection) -> bool:
            q = (
                select(_journal.c.id, _journal.c.payload)
                .where(_journal.c.tenant_id == tenant_id)
                .order_by(_journal.c.id)
                .limit(limit)
                .with_for_update()
            )
            rows = conn.execute(q).all()
            if not rows:
                return False
            self._apply(conn, tenant_id, _fold_journal([p for _id, p in rows], self._limits))
            ids = [r[0] for r in rows]
            step = self._limits.max_batch_rows
            for i in range(0, len(ids), step):
                conn.execute(delete(_journal).where(_journal.c.id.in_(ids[i : i + step])))
            return len(rows) == limit

        while self._write("folding stored patterns", work):
            pass  # a long journal: one bounded transaction at a time

    def _fold_pending(self, tenant_id: str) -> None:
        """Fold the tenant's journal if it has rows (a cheap check first: reads are common)."""
        q = select(_journal.c.id).where(_journal.c.tenant_id == tenant_id).limit(1)
        with self._read("checking stored patterns") as conn:
            pending = conn.execute(q).first() is not None
        if pending:
            self.fold(tenant_id)

    def _apply(
        self, conn: Connection, tenant_id: str, merged: dict[str, _Merged[datetime]]
    ) -> None:
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
        with_examples = {pid: d for pid, d in items if d.examples}
        step = self._limits.max_batch_rows
        rows = self._within_cap(conn, tenant_id, values)
        if not rows:
            return
        self._upsert.executemany(conn, rows)
        # The upsert above locked these rows (PostgreSQL row locks; SQLite's write lock)
        # until commit, so this read-merge-write of the examples can't race another writer.
        ids = sorted(r[_PID] for r in rows if r[_PID] in with_examples)
        changes: list[dict[str, Any]] = []
        for i in range(0, len(ids), step):
            stored = conn.execute(
                select(_patterns.c.pattern_id, _patterns.c.template, _patterns.c.examples).where(
                    _patterns.c.tenant_id == tenant_id,
                    _patterns.c.pattern_id.in_(ids[i : i + step]),
                )
            ).all()
            for pid, template, old in stored:
                delta = with_examples[pid]
                if template != delta.template:
                    continue  # the stored template is more general: positions differ
                old_examples = _examples_from_json(old)
                new = _merge_examples(old_examples, delta.examples, self._limits)
                if new != old_examples:
                    ex = [list(p) for p in new]
                    changes.append({"b_tenant": tenant_id, "b_pattern": pid, "b_examples": ex})
        if changes:
            conn.execute(_SET_EXAMPLES, changes)

    def list_patterns(
        self, tenant_id: str, *, limit: int, offset: int = 0, severity: str | None = None
    ) -> tuple[list[StoredPattern], int]:
        """One page of the tenant's patterns and the total matching ``severity`` (when given).

        Order: ``count`` descending, then ``pattern_id`` ascending (stable across pages while
        counts don't change). Raises ``ValueError`` for ``limit < 1``, ``offset < 0`` or an
        unknown severity.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive integer, got {limit!r}")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValueError(f"offset must be a non-negative integer, got {offset!r}")
        conds: list[ColumnElement[bool]] = [_patterns.c.tenant_id == tenant_id]
        if severity is not None:
            conds.append(_patterns.c.severity == _check_severity(severity))
        page_q = (
            select(_patterns)
            .where(*conds)
            .order_by(_patterns.c.count.desc(), _patterns.c.pattern_id.asc())
            .limit(limit)
            .offset(offset)
        )
        total_q = select(func.count()).select_from(_patterns).where(*conds)
        self._fold_pending(tenant_id)
        with self._read("listing patterns") as conn:
            rows = conn.execute(page_q).all()
            total = conn.execute(total_q).scalar_one()
        return [_stored_pattern(r) for r in rows], int(total)

    def get_pattern(self, tenant_id: str, pattern_id: str) -> StoredPattern | None:
        """The tenant's pattern with this id, or ``None`` (unknown, or another tenant's)."""
        q = select(_patterns).where(
            _patterns.c.tenant_id == tenant_id, _patterns.c.pattern_id == pattern_id
        )
        self._fold_pending(tenant_id)
        with self._read("reading a pattern") as conn:
            row = conn.execute(q).first()
        return None if row is None else _stored_pattern(row)

    def known_patterns(self, tenant_id: str) -> list[tuple[str, str, str]]:
        """``(pattern_id, template, severity)`` of all the tenant's patterns, most frequent
        first: what an engine needs to seed itself so ids stay stable across restarts."""
        q = (
            select(_patterns.c.pattern_id, _patterns.c.template, _patterns.c.severity)
            .where(_patterns.c.tenant_id == tenant_id)
            .order_by(_patterns.c.count.desc(), _patterns.c.pattern_id.asc())
        )
        self._fold_pending(tenant_id)
        with self._read("reading known patterns") as conn:
            return [(r[0], r[1], r[2]) for r in conn.execute(q)]

    # -- internals ---------------------------------------------------------------------------

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
            select(func.count()).select_from(_patterns).where(_patterns.c.tenant_id == tenant_id)
        ).scalar_one()
        if int(stored) + len(rows) <= cap:
            return rows  # room for all of them, whichever are new: no need to find out
        step = self._limits.max_batch_rows
        ids = [r[_PID] for r in rows]
        existing: set[str] = set()
        for i in range(0, len(ids), step):
            existing.update(
                conn.execute(
                    select(_patterns.c.pattern_id).where(
                        _patterns.c.tenant_id == tenant_id,
                        _patterns.c.pattern_id.in_(ids[i : i + step]),
                    )
                ).scalars()
            )
        new = [r for r in rows if r[_PID] not in existing]
        if not new:
            return rows
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

    def _upsert_statement(self) -> Any:
        insert = sqlite.insert if self.dialect == "sqlite" else postgresql.insert
        ins = insert(_patterns)
        new, cur = ins.excluded, _patterns.c
        rank_new = case(_SEVERITY_RANK, value=new.severity, else_=len(_SEVERITY_RANK))
        rank_cur = case(_SEVERITY_RANK, value=cur.severity, else_=len(_SEVERITY_RANK))
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

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Turn database exceptions into the store's own (see :mod:`logsum.store.errors`)."""
        try:
            yield
        except (OperationalError, InterfaceError) as exc:
            if "no such table" in str(exc.orig):  # SQLite's way to say "not migrated"
                raise StoreError(f"{what}: {_brief(exc)} (run migrate first)") from exc
            raise StoreUnavailable(f"{what}: database unavailable: {_brief(exc)}") from exc
        except SQLAlchemyError as exc:
            hint = " (run migrate first)" if "does not exist" in _brief(exc) else ""
            raise StoreError(f"{what}: {_brief(exc)}{hint}") from exc

    @contextmanager
    def _read(self, what: str) -> Iterator[Connection]:
        with self._errors(what), self._engine.connect() as conn, conn.begin():
            yield conn

    def _write(self, what: str, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction, retrying it after a deadlock or lock timeout
        (the transaction was rolled back, so a retry can't apply anything twice)."""
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self._writer, self._errors(what), self._engine.connect() as conn:
                    conn.execution_options(logsum_write=True)
                    with conn.begin():
                        return work(conn)
            except StoreUnavailable as exc:
                if attempt == WRITE_ATTEMPTS or not _retryable(exc.__cause__):
                    raise
                log.warning("%s: retrying after %s (attempt %d)", what, _brief(exc), attempt)
                time.sleep(_RETRY_BACKOFF_S * attempt)
        raise AssertionError("unreachable")  # pragma: no cover


# -- helpers ------------------------------------------------------------------------------------


class _DriverStatement:
    """A statement compiled once for the store's dialect and run as an executemany straight on
    the driver.

    ``conn.execute(statement, rows)`` re-processes every parameter of every row through
    SQLAlchemy's generic machinery, which costs several times the database's own work for the
    hundred-odd rows a request upserts. Here the compiled SQL and the statement's constant
    parameters are fixed once, and each row only goes through its columns' own bind processors
    (the very functions SQLAlchemy would call: dates and JSON are stored identically).
    Rows are tuples in the order of ``columns``.
    """

    def __init__(self, statement: Any, dialect: Any, columns: Sequence[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        self._sql = str(compiled)
        processors: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            processor = bind.type._cached_bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        constants = {
            name: processors[name](value) if name in processors else value
            for name, value in compiled.params.items()
            if name not in columns
        }
        # Positional drivers (SQLite) take tuples, named ones (psycopg) dicts: either way a
        # template of the constants, with each column's value put in its slot(s).
        self._template: list[Any] | dict[str, Any]
        if compiled.positional:
            order = list(compiled.positiontup)
            self._template = [constants.get(n) for n in order]
            slots: list[list[Any]] = [[i for i, n in enumerate(order) if n == c] for c in columns]
        else:
            self._template = constants
            slots = [[c] for c in columns]
        self._plan = [(k, slots[k], processors.get(c)) for k, c in enumerate(columns) if slots[k]]

    @property
    def sql(self) -> str:
        """The statement as the driver takes it."""
        return self._sql

    def executemany(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
        """Run the statement once per row of ``rows``."""
        conn.exec_driver_sql(self._sql, self.parameters(rows))

    def parameters(self, rows: Sequence[Sequence[Any]]) -> list[Any]:
        """The driver's parameters for ``rows`` (a tuple or a dict per row)."""
        done: dict[tuple[int, int], Any] = {}  # objects shared by rows are processed once
        params: list[Any] = []
        template, plan = self._template, self._plan
        positional = isinstance(template, list)
        for row in rows:
            out = template.copy()
            for k, slots, processor in plan:
                value = row[k]
                if processor is not None and value is not None:
                    key = (k, id(value))
                    cached = done.get(key, done)
                    if cached is done:
                        cached = done[key] = processor(value)
                    value = cached
                for slot in slots:
                    out[slot] = value
            params.append(tuple(out) if positional else out)
        return params


@contextmanager
def _driver(engine: Engine) -> Iterator[sqlite3.Connection]:
    """A pooled connection's sqlite3 connection, for single autocommitted statements (the
    pool's connect hook turned pysqlite's implicit transactions off)."""
    raw = engine.raw_connection()
    try:
        yield cast(sqlite3.Connection, raw.driver_connection)
    finally:
        raw.close()


class _DriverQuery:
    """A SELECT compiled once for SQLite and run as one statement on the driver's connection
    (autocommitted: a consistent snapshot in WAL mode), with each column's own result processor
    applied (dates come back exactly as SQLAlchemy would return them)."""

    def __init__(self, statement: Any, dialect: Any) -> None:
        self._sql = str(statement.compile(dialect=dialect))
        columns = list(statement.selected_columns)
        self._names = [c.key for c in columns]
        self._processors = [c.type._cached_result_processor(dialect, None) for c in columns]

    def first(self, engine: Engine, params: tuple[Any, ...]) -> SimpleNamespace | None:
        """The first row for ``params`` (attributes named as the columns), or ``None``."""
        with _driver(engine) as db:
            found = db.execute(self._sql, params).fetchone()
        if found is None:
            return None
        values = (v if p is None else p(v) for v, p in zip(found, self._processors, strict=True))
        return SimpleNamespace(**dict(zip(self._names, values, strict=True)))


_UPSERT_COLUMNS = (
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
_PID, _COUNT = _UPSERT_COLUMNS.index("pattern_id"), _UPSERT_COLUMNS.index("count")


def _normalise_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(f"invalid database URL: {exc}") from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(
            f"unsupported database {backend!r}: use sqlite:///PATH or postgresql+psycopg://..."
        )
    if backend == "sqlite" and (
        parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"
    ):
        # Every pooled connection would get its own empty database.
        raise StoreError("in-memory SQLite is not supported: give a file, sqlite:////abs/path.db")
    return parsed


def _create_engine(url: URL) -> Engine:
    try:
        if url.get_backend_name() == "sqlite":
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
            _configure_sqlite(engine)
            return engine
        connect_args: dict[str, Any] = {}
        if "connect_timeout" not in url.query:
            connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"can't use database URL: {exc}") from exc


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite's own implicit
        # BEGIN is deferred and would make concurrent writers fail instead of wait).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            _enable_wal(cur)
            cur.execute("PRAGMA synchronous = NORMAL")  # durable enough with WAL; much faster
            cur.execute("PRAGMA foreign_keys = ON")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("logsum_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _enable_wal(cursor: Any) -> None:
    """Switch the database to WAL. Two processes opening a NEW database at once can't both
    switch it, and SQLite then reports "locked" at once instead of waiting: retry a while."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _wildcard_chars(template: Any) -> Any:
    """SQL: characters taken by ``<*>`` in ``template`` (3 per wildcard), in SQLite and
    PostgreSQL alike."""
    return func.length(template) - func.length(func.replace(template, WILDCARD, ""))


def _retryable(exc: BaseException | None) -> bool:
    if not isinstance(exc, OperationalError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in ("40P01", "40001"):  # deadlock detected, serialization failure
        return True
    return "database is locked" in str(orig)


def _brief(exc: BaseException) -> str:
    """The driver's message without the SQL statement and parameters."""
    cause = getattr(exc, "orig", None) or exc.__cause__ or exc
    text = str(cause).strip().splitlines()
    return text[0] if text else type(cause).__name__


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


def _check_id(what: str, value: str, max_chars: int) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    if len(value) > max_chars:
        raise ValueError(f"{what} is longer than {max_chars} characters")


def _check_severity(value: str) -> str:
    if value not in _SEVERITIES:
        raise ValueError(
            f"unknown severity {value!r}; expected one of: {', '.join(s.value for s in Severity)}"
        )
    return str(value)


def _check_time(what: str, value: datetime | None) -> datetime | None:
    """``value`` in UTC (naive values are taken as UTC), or None."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ValueError(f"{what} must be a datetime or None")
    return _as_utc(value)


Time = TypeVar("Time", datetime, str)
"""A time in merged deltas: a datetime in UTC, or a journal row's text in its one UTC form
(:data:`_UTC_SUFFIX`), where text order is time order."""


def _earlier(a: Time | None, b: Time | None) -> Time | None:
    """The earlier of two times in UTC (None counts as unknown)."""
    return b if a is None else a if b is None or a <= b else b


def _later(a: Time | None, b: Time | None) -> Time | None:
    """The later of two times in UTC (None counts as unknown)."""
    return b if a is None else a if b is None or a >= b else b


def _as_utc(value: datetime) -> datetime:
    tz = value.tzinfo
    if tz is UTC:
        return value
    return value.replace(tzinfo=UTC) if tz is None else value.astimezone(UTC)


@dataclass(slots=True)
class _Merged(Generic[Time]):
    """The deltas of one pattern within a batch, combined before they reach SQL (PostgreSQL
    refuses to update one row twice in a single INSERT ... ON CONFLICT). Times are in UTC:
    datetimes, or text while a fold merges journal rows."""

    template: str
    severity: str
    count: int
    first_seen: Time | None
    last_seen: Time | None
    examples: Sequence[Sequence[str]] = field(default=())

    def absorb(self, other: _Merged[Time], limits: StoreLimits) -> None:
        """Add ``other`` (deltas of the same pattern) into this one."""
        self.count += other.count
        self.first_seen = _earlier(self.first_seen, other.first_seen)
        self.last_seen = _later(self.last_seen, other.last_seen)
        if _SEVERITY_RANK[other.severity] < _SEVERITY_RANK[self.severity]:
            self.severity = other.severity
        if other.template == self.template:
            if other.examples:
                self.examples = _merge_examples(self.examples, other.examples, limits)
        elif other.template.count(WILDCARD) >= self.template.count(WILDCARD):
            self.template, self.examples = other.template, other.examples


def _coalesce(deltas: Sequence[PatternDelta], limits: StoreLimits) -> dict[str, _Merged[datetime]]:
    out: dict[str, _Merged[datetime]] = {}
    for d in deltas:
        if not isinstance(d, PatternDelta):
            raise ValueError(f"expected PatternDelta, got {type(d).__name__}")
        _check_id("pattern id", d.pattern_id, limits.max_pattern_id_chars)
        if not isinstance(d.template, str):
            raise ValueError("template must be a string")
        severity = _check_severity(d.severity)
        if isinstance(d.count, bool) or not isinstance(d.count, int) or d.count < 0:
            raise ValueError(f"count must be a non-negative integer, got {d.count!r}")
        first = _check_time("first_seen", d.first_seen)
        last = _check_time("last_seen", d.last_seen)
        examples = _merge_examples((), _check_examples(d.examples), limits) if d.examples else ()
        _add(
            out, d.pattern_id, _Merged(d.template, severity, d.count, first, last, examples), limits
        )
    return out


def _merge_batches(
    batches: list[dict[str, _Merged[datetime]]], limits: StoreLimits
) -> dict[str, _Merged[datetime]]:
    """One dict of the merged deltas of several batches (the first batch's objects absorb the
    others': they are the store's own, made by :func:`_coalesce`)."""
    merged = batches[0]
    for other in batches[1:]:
        for pid, m in other.items():
            _add(merged, pid, m, limits)
    return merged


def _add(into: dict[str, _Merged[Time]], pid: str, m: _Merged[Time], limits: StoreLimits) -> None:
    """Put ``m`` in ``into``, or absorb it into the deltas already there for ``pid``."""
    cur = into.get(pid)
    if cur is None:
        into[pid] = m
    else:
        cur.absorb(m, limits)


def _fold_journal(payloads: Sequence[str], limits: StoreLimits) -> dict[str, _Merged[datetime]]:
    """The merged deltas of journal rows (written by ``Store._write_journal``, validated then).

    A fold reads many rows that mostly repeat the same patterns: they are merged with their
    times as text (see :data:`_UTC_SUFFIX`), and only the merged results are parsed.
    """
    merged: dict[str, _Merged[str]] = {}
    for payload in payloads:
        for pid, template, severity, count, first, last, examples in orjson.loads(payload):
            m = _Merged(
                template, severity, count, _journal_time(first), _journal_time(last), examples
            )
            _add(merged, pid, m, limits)
    return {
        pid: _Merged(
            m.template,
            m.severity,
            m.count,
            None if m.first_seen is None else datetime.fromisoformat(m.first_seen),
            None if m.last_seen is None else datetime.fromisoformat(m.last_seen),
            tuple(tuple(pos) for pos in m.examples),
        )
        for pid, m in merged.items()
    }


def _journal_time(value: Any) -> str | None:
    """A journal time in the one text form a fold compares (:data:`_UTC_SUFFIX`): other ISO
    8601 spellings (``Z``, other offsets, naive taken as UTC) and integer microseconds since
    the epoch (rows of a development version) are rewritten into it."""
    if value is None or (value.__class__ is str and value[-6:] == _UTC_SUFFIX):
        return value
    if isinstance(value, int):
        return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=value)).isoformat()
    return _as_utc(datetime.fromisoformat(value)).isoformat()


def _check_examples(examples: Any) -> tuple[tuple[str, ...], ...]:
    try:
        out = tuple(tuple(v for v in pos) for pos in examples)
    except TypeError:
        raise ValueError("examples must be a sequence of sequences of strings") from None
    if not all(isinstance(v, str) for pos in out for v in pos):
        raise ValueError("example values must be strings")
    return out


def _merge_examples(
    old: Sequence[Sequence[str]], new: Sequence[Sequence[str]], limits: StoreLimits
) -> tuple[tuple[str, ...], ...]:
    """Keep the old values, append unseen new ones; bounded per position and in positions."""
    positions = min(max(len(old), len(new)), limits.max_positions)
    out: list[tuple[str, ...]] = []
    for i in range(positions):
        kept = list(old[i][: limits.max_examples_per_position]) if i < len(old) else []
        for value in new[i] if i < len(new) else ():
            if len(kept) >= limits.max_examples_per_position:
                break
            value = value[: limits.max_example_chars]
            if value not in kept:
                kept.append(value)
        out.append(tuple(kept))
    return tuple(out)


def _examples_from_json(value: Any) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list):
        return ()
    return tuple(tuple(str(v) for v in pos) if isinstance(pos, list) else () for pos in value)


def _key_record(row: Any) -> ApiKeyRecord:
    """The record of an ``api_keys`` row (a SQLAlchemy row, or a :class:`_DriverQuery` one)."""
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
        created_at=_as_utc(record.created_at),
        revoked_at=None if record.revoked_at is None else _as_utc(record.revoked_at),
    )


def _stored_pattern(row: Row[Any]) -> StoredPattern:
    return StoredPattern(
        id=row.pattern_id,
        template=row.template,
        count=int(row._mapping["count"]),  # ``row.count`` is the tuple method
        severity=row.severity,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        examples=_examples_from_json(row.examples),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
