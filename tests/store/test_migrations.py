"""The shipped Alembic migrations build the schema the store's tables describe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text

import logsum.store
from logsum.store import Store, StoreError, StoreLimits
from logsum.store.tables import Base


def _engine(url: str) -> Engine:
    return create_engine(url)


def _head() -> str:
    """The newest revision shipped in the package; the chain starts at the store's "0001"."""
    scripts = ScriptDirectory(str(Path(logsum.store.__file__).with_name("migrations")))
    head = scripts.get_current_head()
    assert head is not None
    assert [r.revision for r in scripts.walk_revisions()][-1] == "0001"
    return head


def test_migrate_creates_the_schema_at_head(db_url: str) -> None:
    store = Store(db_url)
    store.migrate()
    store.close()
    engine = _engine(db_url)
    try:
        insp = inspect(engine)
        assert {"api_keys", "patterns", "alembic_version"} <= set(insp.get_table_names())
        assert {c["name"] for c in insp.get_columns("patterns")} >= {
            "tenant_id", "pattern_id", "template", "severity", "count",
            "first_seen", "last_seen", "examples", "created_at", "updated_at",
        }  # fmt: skip
        assert insp.get_pk_constraint("patterns")["constrained_columns"] == [
            "tenant_id",
            "pattern_id",
        ]
        assert "ix_patterns_tenant_count" in {i["name"] for i in insp.get_indexes("patterns")}
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            assert set(versions) == {_head()}
    finally:
        engine.dispose()


def test_migrations_match_the_tables(db_url: str) -> None:
    """Autogenerate finds nothing to change: migrations and tables.py agree."""
    store = Store(db_url)
    store.migrate()
    store.close()
    engine = _engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_migrate_twice_is_a_no_op_and_keeps_data(store: Store) -> None:
    record, _ = store.create_key("ops", "free")
    store.migrate()
    assert [k.id for k in store.list_keys()] == [record.id]


_MIGRATE = """
import sys
from logsum.store import Store
store = Store(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
store.migrate()
"""


def test_processes_migrating_at_once_all_succeed(db_url: str) -> None:
    """Several service workers may each call migrate() at start-up on a fresh database."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _MIGRATE, db_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for p in procs:  # all imported and ready: then start them together
        assert p.stdout is not None
        assert p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    with Store(db_url) as store:
        assert store.list_patterns("t", limit=1) == ([], 0)


def test_downgrade_to_base_and_upgrade_again(store: Store) -> None:
    """Every shipped revision can be undone (a release can be rolled back)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(logsum.store.__file__).with_name("migrations")))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    with store.engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    store.migrate()
    record, plaintext = store.create_key("after", "free")
    assert store.authenticate(plaintext) == record


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="max_patterns_per_tenant"):
        StoreLimits(max_patterns_per_tenant=0)


def test_a_database_from_a_newer_release_is_refused_clearly(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer LogSum"):
        store.migrate()
