"""Shared fixtures.

Databases (store): ``pg_url`` starts ONE real PostgreSQL server per test session on a free
loopback port (a throwaway cluster, deleted at the end); ``db_url`` is a fresh, empty database
per test, parametrised over SQLite and PostgreSQL (there: a fresh schema, selected by the URL's
search_path); ``store`` is a migrated :class:`logsum.store.Store` on it. The PostgreSQL
binaries come from the Debian ``postgresql`` package, which ``make test`` installs
(``scripts/system-deps.sh``).

Data: ``loghub`` is the in-repository copy of the Loghub-2k logs and labels the tests read
(``tests/data/loghub-2k``, see its README), so a plain clone runs every test. The benchmarks
read their own copy beside the project (``bench/loghub.py``).
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from logsum.store import Store

# -- Data ---------------------------------------------------------------------------------------

LOGHUB = Path(__file__).resolve().parent / "data" / "loghub-2k"
"""The Loghub-2k raw logs and ground truth the tests use (an unmodified copy, in the repo)."""


@pytest.fixture(scope="session")
def loghub() -> Path:
    """The Loghub-2k folder in the repository: ``<X>/<X>_2k.log`` and
    ``<X>/<X>_2k.log_structured.csv`` for the eight public systems."""
    if not (LOGHUB / "OpenSSH" / "OpenSSH_2k.log").is_file():
        pytest.fail(f"the test data are missing from the checkout: {LOGHUB}")
    return LOGHUB


# -- Databases ----------------------------------------------------------------------------------

_PG_USER = "postgres"
_db_counter = itertools.count(1)


def _pg_bin_dir() -> Path | None:
    """The newest installed PostgreSQL server's bin directory (Debian layout), if any."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], as_user: list[str]) -> None:
    done = subprocess.run(as_user + cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")


# Stops the server and deletes its cluster if pytest dies without running its finalizers
# (killed, or timed out with os._exit), so no stray PostgreSQL outlives the test session.
_WATCHDOG = """
import os, shutil, subprocess, sys, time
parent, data, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
while True:
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        break
    time.sleep(1)
subprocess.run(stop, capture_output=True)
shutil.rmtree(data, ignore_errors=True)
"""


def _start_watchdog(stop: list[str], data: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(data), *stop],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C in the terminal must not kill it first
    )


class PgServer:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (tests may stop and start it again)."""

    def __init__(self, bin_dir: Path, data: Path, as_user: list[str]) -> None:
        self.bin_dir, self.data, self.as_user = bin_dir, data, as_user
        self.port = 0

    @property
    def url(self) -> str:
        """The admin database's URL (no password: the cluster trusts loopback)."""
        return f"postgresql+psycopg://{_PG_USER}@127.0.0.1:{self.port}/postgres"

    def ctl(self, *args: str) -> list[str]:
        """A pg_ctl command line for this cluster, run as the right user."""
        return [*self.as_user, str(self.bin_dir / "pg_ctl"), "-D", str(self.data), *args]

    def init(self) -> None:
        """Create the cluster (trust auth, no fsync: it lives for one session)."""
        initdb = [str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", _PG_USER, "-A"]
        _run([*initdb, "trust", "-E", "UTF8", "--no-sync"], self.as_user)

    def start(self) -> None:
        """Start on a free port the first time, on the same port after a stop."""
        for attempt in range(3):  # another process may grab the free port before we bind it
            port = self.port or _free_port()
            # Durability settings off: a throwaway test cluster.
            opts = (
                f"-p {port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
                " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            log = self.data / "server.log"
            try:
                _run(self.ctl("-o", opts, "-l", str(log), "-w", "-t", "60", "start"), [])
                self.port = port
                return
            except RuntimeError:
                if attempt == 2:
                    tail = log.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"PostgreSQL did not start:\n{tail}") from None

    def stop(self) -> None:
        """Stop the server, cutting every connection. (A "fast" shutdown: an immediate one
        could lose the last commits, since this cluster runs with synchronous_commit off.)"""
        _run(self.ctl("-m", "fast", "stop"), [])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A real PostgreSQL server on 127.0.0.1, started once for this session."""
    bin_dir = _pg_bin_dir()
    if bin_dir is None:
        if os.geteuid() == 0:
            pytest.fail("PostgreSQL binaries missing; `bash scripts/system-deps.sh` installs them")
        pytest.skip("PostgreSQL binaries not found; run `bash scripts/system-deps.sh` as root")
    as_user: list[str] = []
    # Under /tmp even when TMPDIR points elsewhere: the postgres user must reach it, and the
    # server's Unix socket lives in it (socket paths are limited to ~100 characters).
    data = Path(tempfile.mkdtemp(prefix="logsum-pg-", dir="/tmp"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            pw = pwd.getpwnam(_PG_USER)
        except KeyError:
            pytest.fail(f"running as root but there is no {_PG_USER!r} user to run PostgreSQL")
        os.chown(data, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", _PG_USER, "--"]
    server = PgServer(bin_dir, data, as_user)
    try:
        server.init()
        server.start()
        watchdog = _start_watchdog(server.ctl("-m", "immediate", "stop"), data)
        try:
            yield server
        finally:
            watchdog.kill()
            watchdog.wait()
            subprocess.run(server.ctl("-m", "immediate", "stop"), capture_output=True)
    finally:
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_url(pg_server: PgServer) -> str:
    """URL of the session's PostgreSQL server (its ``postgres`` admin database); use
    ``db_url`` for a fresh, empty database per test."""
    return pg_server.url


@pytest.fixture(scope="session")
def _pg_test_db(pg_url: str) -> str:
    """One database for the session's tests; each test gets its own schema in it."""
    import psycopg

    admin = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE logsum_test")
    return pg_url.rsplit("/", 1)[0] + "/logsum_test"


def _fresh_pg_schema(db: str) -> str:
    """A new empty schema, made the connection's search_path through the URL (a fresh schema
    costs milliseconds where CREATE DATABASE costs a quarter of a second)."""
    import psycopg

    name = f"t{os.getpid()}_{next(_db_counter)}"
    with psycopg.connect(db.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    return f"{db}?options=-csearch_path%3D{name}"


@pytest.fixture
def pg_db_url(_pg_test_db: str) -> str:
    """A fresh, empty PostgreSQL database (schema) only, for PostgreSQL-specific tests."""
    return _fresh_pg_schema(_pg_test_db)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty (unmigrated) database: SQLite in tmp_path, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'logsum.db'}"
    return _fresh_pg_schema(request.getfixturevalue("_pg_test_db"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated store on a fresh database (both backends)."""
    s = Store(db_url)
    s.migrate()
    try:
        yield s
    finally:
        s.close()
