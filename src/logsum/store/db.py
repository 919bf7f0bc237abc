"""The database layer under the pattern store and the watch store: one engine, its sessions,
transactions, retries, the SQLite writer lock and the mapping of driver errors.

::

    db = Database("sqlite:////var/lib/logsum/logsum.db")
    with db.read("listing keys") as conn:            # one read transaction
        rows = conn.execute(select(...)).all()
    db.write("revoking a key", lambda conn: conn.execute(update(...)))  # retried, see below

Writes run in one transaction each and are retried (the failed transaction was rolled back,
so a retry can't apply anything twice) when the database says the work may succeed later:
PostgreSQL's deadlock and serialization failures, SQLite's "locked". The waits grow by
:data:`RETRY_BACKOFF_S` per attempt.

A new SQLite database file is created by LogSum with mode 0600 before SQLite opens it (SQLite
gives its ``-wal`` and ``-shm`` files the database file's mode): it holds the webhook signing
secrets in clear, so only the service's user may read it.

SQLite runs in WAL mode (readers don't block the writer) with a busy timeout; write
transactions start with ``BEGIN IMMEDIATE`` so two processes queue for the write lock instead of
failing when they upgrade a read lock, and LogSum's own writers queue on a
:class:`~logsum.store.writerlock.WriterLock` first (handed over sooner than SQLite's busy
handler would).

Errors become the store's own (:mod:`logsum.store.errors`): :class:`StoreUnavailable` when the
database can't be reached or is locked, :class:`StoreError` for anything else; the cause is
kept as ``__cause__``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError, SQLAlchemyError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_fixed,
    wait_incrementing,
)

from logsum.store.errors import StoreError, StoreUnavailable
from logsum.store.writerlock import WriterLock

__all__ = ["PG_CONNECT_TIMEOUT_S", "RETRY_BACKOFF_S", "SQLITE_BUSY_TIMEOUT_S", "Database"]

log = logging.getLogger(__name__)

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_S = 15.0
"""How long a SQLite writer waits for another process's write lock before giving up."""
PG_CONNECT_TIMEOUT_S = 10
"""Seconds to wait for a PostgreSQL connection (so /readyz answers instead of hanging)."""
WRITE_ATTEMPTS = 3
"""Attempts of a write transaction that hits a deadlock or a locked database, by default."""
RETRY_BACKOFF_S = 0.05
"""The wait before the n-th retry of a write is n times this."""

PG_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
"""PostgreSQL's "deadlock detected" and "serialization failure": the transaction was rolled
back and may succeed when run again."""
SQLITE_LOCKED = " is locked"
"""In SQLite's "database is locked" (and "database table is locked"): another connection held
the lock for longer than the busy timeout, or a new database was being set up."""

DB_FILE_MODE = 0o600
"""Mode of a SQLite database file LogSum creates (its -wal and -shm files get the same)."""

_WAL_RETRY_S = 0.02
"""The wait between two tries to switch a new database to WAL."""
_MIGRATIONS = Path(__file__).with_name("migrations")


class Database:
    """One SQLAlchemy engine over SQLite or PostgreSQL, with LogSum's transactions on it.

    ``url`` is an SQLAlchemy URL: ``sqlite:////abs/path/logsum.db`` or
    ``postgresql+psycopg://user:pass@host:5432/db`` (``postgresql://`` and ``postgres://`` mean
    the same). Nothing is connected until the first call. Thread-safe; share one per database
    and process (its writer lock orders the writers of every repository over it).
    """

    def __init__(self, url: str) -> None:
        self._url = _normalise_url(url)
        self._engine = _create_engine(self._url)
        # SQLite writers queue on a lock file beside the database file.
        self._writer: contextlib.AbstractContextManager[object] = (
            WriterLock(Path(f"{self._url.database}.writer"))
            if self.dialect == "sqlite"
            else contextlib.nullcontext()
        )
        self._retrying: dict[int, Retrying] = {}

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
        """The SQLAlchemy engine."""
        return self._engine

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def read(self, what: str) -> Iterator[Connection]:
        """A connection in a read transaction; ``what`` (``"listing keys"``) names the work in
        error messages."""
        with self.errors(what), self._engine.connect() as conn, conn.begin():
            yield conn

    def write(
        self, what: str, work: Callable[[Connection], T], *, attempts: int = WRITE_ATTEMPTS
    ) -> T:
        """``work(conn)`` in one write transaction, under the writer lock, committed when it
        returns; run again (up to ``attempts`` times in all) after a deadlock or lock timeout.
        ``work`` must do nothing but database work, since it may run more than once."""
        retrying = self._retrying.get(attempts)
        if retrying is None:
            retrying = self._retrying[attempts] = Retrying(
                stop=stop_after_attempt(attempts),
                wait=wait_incrementing(start=RETRY_BACKOFF_S, increment=RETRY_BACKOFF_S),
                retry=retry_if_exception(_worth_retrying),
                before_sleep=_log_retry,
                reraise=True,
            )
        result: T = retrying(self._transaction, what, work)
        return result

    def _transaction(self, what: str, work: Callable[[Connection], T]) -> T:
        with self._writer, self.errors(what), self._engine.connect() as conn:
            conn.execution_options(logsum_write=True)  # BEGIN IMMEDIATE on SQLite
            with conn.begin():
                return work(conn)

    @contextmanager
    def errors(self, what: str) -> Iterator[None]:
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

    # -- the driver's own connection (SQLite) ----------------------------------------------

    @contextmanager
    def direct(self, what: str) -> Iterator[sqlite3.Connection]:
        """A pooled connection's sqlite3 connection, for single autocommitted statements (the
        pool's connect hook turned pysqlite's implicit transactions off). SQLite only."""
        with _sqlite_errors(what):
            raw = self._engine.raw_connection()
            try:
                yield raw.driver_connection  # type: ignore[misc]
            finally:
                raw.close()

    def write_direct(self, what: str, sql: str, params: Sequence[Any]) -> None:
        """One autocommitted statement on the driver's connection, under the writer lock.

        SQLite's write lock is then held only inside that one C call, never while this thread
        waits for the interpreter lock behind an analysis (a BEGIN ... COMMIT transaction would
        hold it across several such waits, and writers of other processes would queue behind).
        """
        with self._writer, self.direct(what) as db:
            db.execute(sql, params)

    # -- lifecycle -------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to the newest revision (``alembic upgrade head``).

        Safe to call from several processes at once: SQLite serialises on its write lock and
        PostgreSQL on an advisory lock, and the later caller then finds nothing to do.
        """
        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        with self.errors("migrating the database"), self._engine.connect() as conn:
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
        with self.errors("checking the database"), self._engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1").scalar_one()

    def close(self) -> None:
        """Close all pooled connections. The database reconnects if used again."""
        self._engine.dispose()
        if isinstance(self._writer, WriterLock):
            self._writer.close()


def retryable(exc: BaseException | None) -> bool:
    """True for a driver error after which the same transaction may succeed: a PostgreSQL
    deadlock or serialization failure, or SQLite's "locked"."""
    if not isinstance(exc, OperationalError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in PG_RETRYABLE_SQLSTATES:
        return True
    return isinstance(orig, sqlite3.OperationalError) and SQLITE_LOCKED in str(orig)


def _worth_retrying(exc: BaseException) -> bool:
    return isinstance(exc, StoreUnavailable) and retryable(exc.__cause__)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    what = state.args[0] if state.args else "writing"
    log.warning("%s: retrying after %s (attempt %d)", what, exc, state.attempt_number)


def _brief(exc: BaseException) -> str:
    """The driver's message without the SQL statement and parameters."""
    cause = getattr(exc, "orig", None) or exc.__cause__ or exc
    text = str(cause).strip().splitlines()
    return text[0] if text else type(cause).__name__


@contextmanager
def _sqlite_errors(what: str) -> Iterator[None]:
    """The store's own exceptions for errors of the sqlite3 driver used directly."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            raise StoreError(f"{what}: {exc} (run migrate first)") from exc
        raise StoreUnavailable(f"{what}: database unavailable: {exc}") from exc
    except sqlite3.Error as exc:
        raise StoreError(f"{what}: {exc}") from exc


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
    database = engine.url.database

    @event.listens_for(engine, "do_connect")
    def _create_private(*_args: Any) -> None:
        # Before SQLite creates the file with the process's umask (0644 usually).
        if database:
            create_private_file(Path(database))

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


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with :data:`DB_FILE_MODE` unless it exists (SQLite takes an empty
    file for a new database). A missing directory is left to SQLite to report."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, DB_FILE_MODE)
    except (FileExistsError, FileNotFoundError, NotADirectoryError):
        return
    os.close(fd)


def _enable_wal(cursor: Any) -> None:
    """Switch the database to WAL. Two processes opening a NEW database at once can't both
    switch it, and SQLite then reports "locked" at once instead of waiting: retry a while."""
    Retrying(
        stop=stop_after_delay(SQLITE_BUSY_TIMEOUT_S),
        wait=wait_fixed(_WAL_RETRY_S),
        retry=retry_if_exception(
            lambda exc: isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)
        ),
        reraise=True,
    )(cursor.execute, "PRAGMA journal_mode = WAL")
