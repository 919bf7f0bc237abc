"""Alembic environment for the store.

``Store.migrate()`` passes an open connection in ``config.attributes["connection"]``; no
``alembic.ini`` is needed. For development, ``sqlalchemy.url`` in the config works too.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, text

from logsum.store.tables import Base

# Serialises concurrent migrations on PostgreSQL (SQLite has its write lock).
PG_MIGRATION_LOCK = 0x4C6F6753756D

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite can't ALTER much
        # One transaction for the whole upgrade on both databases. Alembic assumes SQLite
        # can't roll back DDL and would commit after each revision, letting a second migrator
        # run a revision twice; SQLite can, and the store begins it with BEGIN IMMEDIATE, so
        # concurrent migrators queue and the later one finds nothing to do.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Held to the end of this transaction; the second migrator then sees the new
            # version and has nothing to do.
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the given connection, or on ``sqlalchemy.url``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url configured")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
