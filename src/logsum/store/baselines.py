"""Each tenant's learned baseline (Alembic revision ``0005``): what its known-good logs taught.

One row per tenant in ``baselines``: the learned session profile as compact JSON (the core's
:meth:`~logsum.core.baseline.Baseline.to_dict`), with its size and the sessions and lines it
was learned from. A tenant's requests with ``learn_only`` merge into it; ``DELETE
/v1/baseline`` removes it. Bounded by :data:`MAX_BASELINE_BYTES` (a larger one is refused
with :class:`BaselineTooLarge`; the core bounds a profile well below that).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import BigInteger, Connection, Integer, String, Table, Text, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from logsum.store.db import Database
from logsum.store.errors import StoreError
from logsum.store.tables import Base, UTCDateTime
from logsum.timeutil import utc_now

__all__ = [
    "MAX_BASELINE_BYTES",
    "BaselineRow",
    "BaselineStore",
    "BaselineTooLarge",
    "StoredBaseline",
]

MAX_BASELINE_BYTES = 8 << 20
"""Largest stored baseline (its JSON)."""


class BaselineRow(Base):
    """A tenant's learned baseline."""

    __tablename__ = "baselines"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    """The baseline as compact JSON."""
    size_bytes: Mapped[int] = mapped_column(Integer)
    sessions: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


_table = cast(Table, BaselineRow.__table__)


class BaselineTooLarge(StoreError):
    """A baseline over :data:`MAX_BASELINE_BYTES`."""


@dataclass(frozen=True, slots=True)
class StoredBaseline:
    """A tenant's stored baseline."""

    payload: str
    size_bytes: int
    sessions: int
    lines: int
    updated_at: datetime


class BaselineStore:
    """Reads and writes the ``baselines`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, tenant_id: str) -> StoredBaseline | None:
        """The tenant's baseline, if it has one."""
        with self._db.read("reading a baseline") as conn:
            row = conn.execute(select(_table).where(_table.c.tenant_id == tenant_id)).first()
        if row is None:
            return None
        return StoredBaseline(row.payload, row.size_bytes, row.sessions, row.lines, row.updated_at)

    def put(self, tenant_id: str, payload: str, *, sessions: int, lines: int) -> StoredBaseline:
        """Store (replace) the tenant's baseline."""
        size = len(payload.encode("utf-8"))
        if size > MAX_BASELINE_BYTES:
            raise BaselineTooLarge(f"baseline of {size} bytes is over {MAX_BASELINE_BYTES}")
        now = utc_now()
        values = {
            "payload": payload,
            "size_bytes": size,
            "sessions": sessions,
            "lines": lines,
            "updated_at": now,
        }

        insert = sqlite.insert if self._db.dialect == "sqlite" else postgresql.insert
        statement = (
            insert(_table)
            .values(tenant_id=tenant_id, **values)
            .on_conflict_do_update(index_elements=[_table.c.tenant_id], set_=values)
        )

        def work(conn: Connection) -> None:
            conn.execute(statement)

        self._db.write("storing a baseline", work)
        return StoredBaseline(payload, size, sessions, lines, now)

    def delete(self, tenant_id: str) -> bool:
        """Remove the tenant's baseline; True when it had one."""

        def work(conn: Connection) -> bool:
            gone = conn.execute(delete(_table).where(_table.c.tenant_id == tenant_id))
            return bool(gone.rowcount)

        return self._db.write("deleting a baseline", work)
