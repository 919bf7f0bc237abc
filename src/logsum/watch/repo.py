"""The watch repository: watches, checkpoints, the delivery outbox and leases, in the store's
database (the same :class:`~logsum.store.db.Database` as :class:`logsum.store.Store`: its
transactions, retries and SQLite writer lock; tables of :mod:`logsum.store.watch_tables`).

The guarantees the rest of the feature stands on:

- :meth:`WatchStore.commit_batch` writes the outbox rows of a batch, the checkpoint after it and
  the counters in ONE transaction, and only while the caller still holds the watch's lease. A
  crash before the commit loses nothing (the lines are read again from the old checkpoint); a
  crash after it loses nothing either (the rows are in the outbox). A process whose lease
  expired cannot commit, so two processes never both write a watch's batches.
- Leases (:meth:`WatchStore.acquire_lease`) are taken with a write transaction that reads the
  lease row and replaces it only if it is free, expired, or already the caller's.
- The per-key watch limit is checked in the transaction that inserts the watch, with the
  inserts of that tenant serialised (SQLite: its one writer; PostgreSQL: a transaction-scoped
  advisory lock per tenant), so concurrent creates cannot pass it together.
- Delivered rows are deleted (and counted on the watch), so the outbox holds only pending and
  failed deliveries; failed ones beyond ``max_failed_kept`` per watch are pruned oldest first.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Table, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from logsum.core.timestamps import DEFAULT_ZONE
from logsum.store import Store, StoreError
from logsum.store.watch_tables import (
    WatchCheckpointRow,
    WatchDeliveryRow,
    WatchEngineStateRow,
    WatchLeaseRow,
    WatchRow,
)
from logsum.timeutil import as_utc, utc_now
from logsum.watch.errors import LeaseLost, WatchLimitReached
from logsum.watch.follower import Checkpoint, FileIdentity
from logsum.watch.model import (
    BatchCommit,
    Delivery,
    DeliveryStatus,
    WatchFilters,
    WatchRecord,
    WatchSpec,
    WatchStatus,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

_w = cast(Table, WatchRow.__table__)
_cp = cast(Table, WatchCheckpointRow.__table__)
_d = cast(Table, WatchDeliveryRow.__table__)
_l = cast(Table, WatchLeaseRow.__table__)
_es = cast(Table, WatchEngineStateRow.__table__)

WRITE_ATTEMPTS = 5
"""Attempts of a write that hits a locked database or a deadlock (leases are contended by
every process of the service, so more than the pattern store's)."""
MAX_ERROR_CHARS = 500
"""``last_error`` texts are cut to this length."""
DEFAULT_MAX_FAILED_KEPT = 100
"""Failed deliveries kept per watch for inspection; older ones are pruned."""
PG_WATCH_LIMIT_LOCK = 0x4C6F6753
"""First key of the PostgreSQL advisory lock taken per tenant while a watch is created (the
second is a hash of the tenant id); the two-key space does not meet the migrations' lock."""


def new_watch_id() -> str:
    """A new watch id, ``wat_`` + 24 hex characters."""
    return "wat_" + secrets.token_hex(12)


def new_webhook_id() -> str:
    """A new delivery (``webhook-id``) id, ``msg_`` + 32 hex characters."""
    return "msg_" + secrets.token_hex(16)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


class WatchStore:
    """Reads and writes the watch tables over the engine of ``store``. Thread-safe."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] = utc_now,
        max_failed_kept: int = DEFAULT_MAX_FAILED_KEPT,
    ) -> None:
        self._db = store.database
        self._clock = clock
        self._max_failed_kept = max_failed_kept

    # -- plumbing ----------------------------------------------------------------------------

    def _write(self, what: str, work: Callable[[Connection], T]) -> T:
        """``work`` in one write transaction of the shared database layer (the writer lock,
        retries after a deadlock or a locked database: see :class:`logsum.store.db.Database`)."""
        return self._db.write(what, work, attempts=WRITE_ATTEMPTS)

    # -- watches -----------------------------------------------------------------------------

    def create_watch(
        self,
        *,
        tenant_id: str,
        source: str,
        filters: WatchFilters,
        webhook_url: str,
        secret: str,
        from_beginning: bool,
        checkpoint: Checkpoint | None,
        timezone: str = DEFAULT_ZONE,
        max_watches: int | None = None,
    ) -> WatchRecord:
        """Insert a watch (and its starting checkpoint, so "start at the end" means the end at
        creation time, not whenever a runner first opens the file).

        With ``max_watches``, raise :class:`WatchLimitReached` when the tenant already has that
        many: counted in the inserting transaction, concurrent creates of one tenant queued
        (see the module docstring)."""
        now = self._clock()
        watch_id = new_watch_id()
        row = {
            "id": watch_id,
            "tenant_id": tenant_id,
            "source": source,
            "filters": filters.to_json(),
            "webhook_url": webhook_url,
            "secret": secret,
            "from_beginning": from_beginning,
            "timezone": timezone,
            "status": WatchStatus.PENDING.value,
            "created_at": now,
            "updated_at": now,
            "lines_read": 0,
            "events_count": 0,
            "anomalies_count": 0,
            "delivered_count": 0,
            "failed_count": 0,
            "next_seq": 1,
            "last_delivery_at": None,
            "last_error": None,
            "last_error_at": None,
        }

        def work(conn: Connection) -> None:
            if max_watches is not None:
                self._lock_tenant(conn, tenant_id)
                q = select(func.count()).select_from(_w).where(_w.c.tenant_id == tenant_id)
                if int(conn.execute(q).scalar_one()) >= max_watches:
                    raise WatchLimitReached(
                        f"this key already has {max_watches} watches, the most allowed"
                    )
            conn.execute(insert(_w).values(row))
            if checkpoint is not None:
                conn.execute(insert(_cp).values(_checkpoint_row(watch_id, checkpoint, now)))

        self._write("creating a watch", work)
        record = self.get_watch(tenant_id, watch_id)
        assert record is not None
        return record

    def _lock_tenant(self, conn: Connection, tenant_id: str) -> None:
        """Queue this transaction behind other watch creations of the tenant until it ends.
        SQLite needs nothing: its write transactions (BEGIN IMMEDIATE) already run one at a
        time. PostgreSQL's default isolation would let two transactions count the same rows."""
        if conn.dialect.name != "postgresql":
            return
        digest = hashlib.sha256(tenant_id.encode()).digest()
        key = int.from_bytes(digest[:4], "big", signed=True)
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": PG_WATCH_LIMIT_LOCK, "b": key}
        )

    def count_watches(self, tenant_id: str) -> int:
        """How many watches the tenant has."""
        with self._db.read("counting watches") as conn:
            q = select(func.count()).select_from(_w).where(_w.c.tenant_id == tenant_id)
            return int(conn.execute(q).scalar_one())

    def list_watches(self, tenant_id: str) -> list[WatchRecord]:
        """The tenant's watches, oldest first."""
        with self._db.read("listing watches") as conn:
            rows = conn.execute(
                select(_w).where(_w.c.tenant_id == tenant_id).order_by(_w.c.created_at, _w.c.id)
            ).all()
            return [self._record(conn, r) for r in rows]

    def get_watch(self, tenant_id: str, watch_id: str) -> WatchRecord | None:
        """The tenant's watch, or ``None`` (unknown, or another tenant's)."""
        with self._db.read("reading a watch") as conn:
            row = conn.execute(
                select(_w).where(_w.c.id == watch_id, _w.c.tenant_id == tenant_id)
            ).first()
            return None if row is None else self._record(conn, row)

    def delete_watch(self, tenant_id: str, watch_id: str) -> bool:
        """Delete the tenant's watch with its checkpoint, outbox rows, lease and engine state.
        The runner notices at its next lease renewal or commit and stops. False when not
        found."""

        def work(conn: Connection) -> bool:
            gone = conn.execute(
                delete(_w).where(_w.c.id == watch_id, _w.c.tenant_id == tenant_id)
            ).rowcount
            if not gone:
                return False
            for table in (_cp, _d, _l, _es):
                conn.execute(delete(table).where(table.c.watch_id == watch_id))
            return True

        return self._write("deleting a watch", work)

    def watch_ids(self) -> list[str]:
        """Every watch id (for the service's supervisor)."""
        with self._db.read("listing watch ids") as conn:
            return list(conn.execute(select(_w.c.id).order_by(_w.c.id)).scalars())

    def get_spec(self, watch_id: str) -> WatchSpec | None:
        """What a runner needs for this watch, or ``None`` if it was deleted."""
        with self._db.read("reading a watch") as conn:
            r = conn.execute(select(_w).where(_w.c.id == watch_id)).first()
        if r is None:
            return None
        return WatchSpec(
            id=r.id,
            tenant_id=r.tenant_id,
            source=r.source,
            filters=WatchFilters.from_json(r.filters),
            webhook_url=r.webhook_url,
            secret=r.secret,
            from_beginning=bool(r.from_beginning),
            timezone=r.timezone,
        )

    def get_checkpoint(self, watch_id: str) -> Checkpoint | None:
        """The watch's stored checkpoint, or ``None``."""
        with self._db.read("reading a checkpoint") as conn:
            r = conn.execute(select(_cp).where(_cp.c.watch_id == watch_id)).first()
        if r is None:
            return None
        ident = FileIdentity(int(r.dev), int(r.inode), r.fingerprint, int(r.fingerprint_len))
        return Checkpoint(ident, int(r.offset))

    def get_engine_state(self, watch_id: str) -> bytes | None:
        """The engine state saved with the watch's last commit that carried one, or ``None``."""
        with self._db.read("reading a watch's engine state") as conn:
            state = conn.execute(
                select(_es.c.state).where(_es.c.watch_id == watch_id)
            ).scalar_one_or_none()
        return None if state is None else bytes(state)

    def set_status(self, watch_id: str, status: WatchStatus, *, error: str | None = None) -> None:
        """Record the runner's status (and an error message, kept until replaced)."""
        now = self._clock()
        values: dict[str, Any] = {"status": status.value, "updated_at": now}
        if error is not None:
            values.update(last_error=_cut(error), last_error_at=now)
        self._write(
            "updating a watch status",
            lambda conn: conn.execute(update(_w).where(_w.c.id == watch_id).values(values)),
        )

    # -- the batch commit --------------------------------------------------------------------

    def commit_batch(
        self, watch_id: str, owner: str, checkpoint: Checkpoint | None, batch: BatchCommit
    ) -> list[str]:
        """Atomically: outbox rows, checkpoint, counters (and the engine state, when the batch
        carries one). Returns the ids written.

        Raises :class:`LeaseLost` (and writes nothing) when ``owner`` no longer holds the lease
        or the watch was deleted.
        """
        now = self._clock()

        def work(conn: Connection) -> list[str]:
            self._check_lease(conn, watch_id, owner, now)
            row = conn.execute(select(_w.c.next_seq).where(_w.c.id == watch_id)).first()
            if row is None:
                raise LeaseLost(f"watch {watch_id} was deleted")
            seq = int(row.next_seq)
            if batch.items:
                conn.execute(
                    insert(_d),
                    [
                        {
                            "id": item.id,
                            "watch_id": watch_id,
                            "seq": seq + i,
                            "status": DeliveryStatus.PENDING.value,
                            "attempts": 0,
                            "next_attempt_at": now,
                            "last_error": None,
                            "payload": item.payload,
                            "event_count": item.event_count,
                            "created_at": now,
                        }
                        for i, item in enumerate(batch.items)
                    ],
                )
            values: dict[str, Any] = {
                "next_seq": seq + len(batch.items),
                "lines_read": _w.c.lines_read + batch.lines_read,
                "events_count": _w.c.events_count + sum(i.event_count for i in batch.items),
                "anomalies_count": _w.c.anomalies_count + batch.anomalies,
                "updated_at": now,
            }
            if batch.status is not None:
                values["status"] = batch.status.value
            conn.execute(update(_w).where(_w.c.id == watch_id).values(values))
            if checkpoint is not None:
                self._put_checkpoint(conn, watch_id, checkpoint, now)
            if batch.engine_state is not None:
                values = {"watch_id": watch_id, "state": batch.engine_state, "updated_at": now}
                changed = conn.execute(
                    update(_es).where(_es.c.watch_id == watch_id).values(values)
                ).rowcount
                if not changed:
                    conn.execute(insert(_es).values(values))
            return [item.id for item in batch.items]

        return self._write("committing a watch batch", work)

    def _put_checkpoint(
        self, conn: Connection, watch_id: str, cp: Checkpoint, now: datetime
    ) -> None:
        values = _checkpoint_row(watch_id, cp, now)
        changed = conn.execute(
            update(_cp).where(_cp.c.watch_id == watch_id).values(values)
        ).rowcount
        if not changed:
            conn.execute(insert(_cp).values(values))

    def _check_lease(self, conn: Connection, watch_id: str, owner: str, now: datetime) -> None:
        q = select(_l.c.owner, _l.c.expires_at).where(_l.c.watch_id == watch_id)
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        lease = conn.execute(q).first()
        if lease is None or lease.owner != owner or as_utc(lease.expires_at) <= now:
            raise LeaseLost(f"lease on watch {watch_id} is not held by {owner}")

    # -- leases ------------------------------------------------------------------------------

    def acquire_lease(self, watch_id: str, owner: str, ttl_s: float) -> bool:
        """Take or renew the lease on a watch for ``ttl_s`` seconds.

        True when ``owner`` holds it afterwards: it was free, expired, or already ``owner``'s.
        False when another live process holds it, or the watch no longer exists.
        """
        now = self._clock()
        expires = now + timedelta(seconds=ttl_s)

        def work(conn: Connection) -> bool:
            if conn.execute(select(_w.c.id).where(_w.c.id == watch_id)).first() is None:
                return False
            q = select(_l.c.owner, _l.c.expires_at).where(_l.c.watch_id == watch_id)
            if conn.dialect.name == "postgresql":
                q = q.with_for_update()
            lease = conn.execute(q).first()
            if lease is None:
                conn.execute(insert(_l).values(watch_id=watch_id, owner=owner, expires_at=expires))
                return True
            if lease.owner != owner and as_utc(lease.expires_at) > now:
                return False
            conn.execute(
                update(_l).where(_l.c.watch_id == watch_id).values(owner=owner, expires_at=expires)
            )
            return True

        try:
            return self._write("taking a watch lease", work)
        except StoreError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                return False  # another process inserted the lease first (PostgreSQL)
            raise

    def renew_leases(self, watch_ids: Collection[str], owner: str, ttl_s: float) -> set[str]:
        """Extend, in one transaction, the unexpired leases ``owner`` holds among ``watch_ids``;
        returns the ids renewed (a missing one was lost: expired and taken, or deleted)."""
        if not watch_ids:
            return set()
        now = self._clock()
        expires = now + timedelta(seconds=ttl_s)

        def work(conn: Connection) -> set[str]:
            q = select(_l.c.watch_id).where(
                _l.c.owner == owner, _l.c.expires_at > now, _l.c.watch_id.in_(sorted(watch_ids))
            )
            if conn.dialect.name == "postgresql":
                q = q.with_for_update()
            held = set(conn.execute(q).scalars())
            if held:
                conn.execute(
                    update(_l)
                    .where(_l.c.owner == owner, _l.c.watch_id.in_(sorted(held)))
                    .values(expires_at=expires)
                )
            return held

        return self._write("renewing watch leases", work)

    def free_watches(self) -> list[str]:
        """Ids of watches whose lease is missing or expired (one read, for the supervisor)."""
        now = self._clock()
        with self._db.read("listing free watches") as conn:
            live = select(_l.c.watch_id).where(_l.c.expires_at > now)
            q = select(_w.c.id).where(_w.c.id.not_in(live)).order_by(_w.c.id)
            return list(conn.execute(q).scalars())

    def release_lease(self, watch_id: str, owner: str) -> None:
        """Give the lease up (on shutdown) so another process can take over at once."""
        self._write(
            "releasing a watch lease",
            lambda conn: conn.execute(
                delete(_l).where(_l.c.watch_id == watch_id, _l.c.owner == owner)
            ),
        )

    def lease_owner(self, watch_id: str) -> str | None:
        """The current (unexpired) lease owner of a watch, or ``None``."""
        now = self._clock()
        with self._db.read("reading a lease") as conn:
            r = conn.execute(select(_l).where(_l.c.watch_id == watch_id)).first()
        if r is None or as_utc(r.expires_at) <= now:
            return None
        return str(r.owner)

    # -- the outbox --------------------------------------------------------------------------

    def next_delivery(self, watch_id: str) -> Delivery | None:
        """The oldest pending delivery of the watch (due or not), or ``None``."""
        with self._db.read("reading the outbox") as conn:
            r = conn.execute(
                select(_d)
                .where(_d.c.watch_id == watch_id, _d.c.status == DeliveryStatus.PENDING.value)
                .order_by(_d.c.seq)
                .limit(1)
            ).first()
        if r is None:
            return None
        return Delivery(
            id=r.id,
            watch_id=r.watch_id,
            seq=int(r.seq),
            attempts=int(r.attempts),
            next_attempt_at=as_utc(r.next_attempt_at) or self._clock(),
            payload=r.payload,
            event_count=int(r.event_count),
        )

    def mark_delivered(self, delivery: Delivery) -> None:
        """The receiver confirmed (2xx): drop the row, count it, clear the watch's error."""
        now = self._clock()

        def work(conn: Connection) -> None:
            gone = conn.execute(
                delete(_d).where(
                    _d.c.id == delivery.id, _d.c.status == DeliveryStatus.PENDING.value
                )
            ).rowcount
            if gone:
                conn.execute(
                    update(_w)
                    .where(_w.c.id == delivery.watch_id)
                    .values(delivered_count=_w.c.delivered_count + 1, last_delivery_at=now)
                )

        self._write("marking a delivery delivered", work)

    def mark_retry(
        self, delivery: Delivery, *, attempts: int, next_attempt_at: datetime, error: str
    ) -> None:
        """An attempt failed; try again at ``next_attempt_at``."""
        now = self._clock()

        def work(conn: Connection) -> None:
            conn.execute(
                update(_d)
                .where(_d.c.id == delivery.id)
                .values(attempts=attempts, next_attempt_at=next_attempt_at, last_error=_cut(error))
            )
            conn.execute(
                update(_w)
                .where(_w.c.id == delivery.watch_id)
                .values(last_error=_cut(error), last_error_at=now)
            )

        self._write("scheduling a delivery retry", work)

    def mark_failed(self, delivery: Delivery, *, attempts: int, error: str) -> None:
        """The last attempt failed: the delivery is ``failed`` for good (visible in the API)."""
        now = self._clock()

        def work(conn: Connection) -> None:
            changed = conn.execute(
                update(_d)
                .where(_d.c.id == delivery.id, _d.c.status == DeliveryStatus.PENDING.value)
                .values(
                    status=DeliveryStatus.FAILED.value, attempts=attempts, last_error=_cut(error)
                )
            ).rowcount
            if not changed:
                return
            conn.execute(
                update(_w)
                .where(_w.c.id == delivery.watch_id)
                .values(
                    failed_count=_w.c.failed_count + 1, last_error=_cut(error), last_error_at=now
                )
            )
            keep = (
                select(_d.c.seq)
                .where(
                    _d.c.watch_id == delivery.watch_id,
                    _d.c.status == DeliveryStatus.FAILED.value,
                )
                .order_by(_d.c.seq.desc())
                .offset(self._max_failed_kept)
                .limit(1)
            )
            cutoff = conn.execute(keep).scalar()
            if cutoff is not None:
                conn.execute(
                    delete(_d).where(
                        _d.c.watch_id == delivery.watch_id,
                        _d.c.status == DeliveryStatus.FAILED.value,
                        _d.c.seq <= cutoff,
                    )
                )

        self._write("marking a delivery failed", work)

    def pending_count(self, watch_id: str) -> int:
        """Deliveries of the watch waiting in the outbox."""
        with self._db.read("counting pending deliveries") as conn:
            q = (
                select(func.count())
                .select_from(_d)
                .where(_d.c.watch_id == watch_id, _d.c.status == DeliveryStatus.PENDING.value)
            )
            return int(conn.execute(q).scalar_one())

    def failed_deliveries(self, watch_id: str, limit: int = 20) -> list[tuple[str, int, str]]:
        """``(webhook_id, attempts, last_error)`` of the newest failed deliveries."""
        with self._db.read("listing failed deliveries") as conn:
            rows = conn.execute(
                select(_d.c.id, _d.c.attempts, _d.c.last_error)
                .where(_d.c.watch_id == watch_id, _d.c.status == DeliveryStatus.FAILED.value)
                .order_by(_d.c.seq.desc())
                .limit(limit)
            ).all()
        return [(r.id, int(r.attempts), r.last_error or "") for r in rows]

    # -- rows to values ----------------------------------------------------------------------

    def _record(self, conn: Connection, r: Any) -> WatchRecord:
        pending = conn.execute(
            select(func.count())
            .select_from(_d)
            .where(_d.c.watch_id == r.id, _d.c.status == DeliveryStatus.PENDING.value)
        ).scalar_one()
        offset = conn.execute(select(_cp.c.offset).where(_cp.c.watch_id == r.id)).scalar()
        expires = conn.execute(select(_l.c.expires_at).where(_l.c.watch_id == r.id)).scalar()
        status = WatchStatus(r.status)
        # No live process runs it (not picked up yet, or its process died and the lease has
        # not been taken over yet): a stored "following"/"waiting" is stale.
        live = expires is not None and as_utc(expires) > self._clock()
        if not live and status in (WatchStatus.FOLLOWING, WatchStatus.WAITING):
            status = WatchStatus.PENDING
        return WatchRecord(
            id=r.id,
            tenant_id=r.tenant_id,
            source=r.source,
            filters=WatchFilters.from_json(r.filters),
            webhook_url=r.webhook_url,
            status=status,
            created_at=as_utc(r.created_at),
            updated_at=as_utc(r.updated_at),
            from_beginning=bool(r.from_beginning),
            lines_read=int(r.lines_read),
            events_count=int(r.events_count),
            anomalies_count=int(r.anomalies_count),
            delivered_count=int(r.delivered_count),
            failed_count=int(r.failed_count),
            pending_count=int(pending),
            offset=None if offset is None else int(offset),
            last_delivery_at=as_utc(r.last_delivery_at),
            last_error=r.last_error,
            last_error_at=as_utc(r.last_error_at),
            timezone=r.timezone,
        )


def _checkpoint_row(watch_id: str, cp: Checkpoint, now: datetime) -> dict[str, Any]:
    return {
        "watch_id": watch_id,
        "dev": cp.identity.dev,
        "inode": cp.identity.inode,
        "fingerprint": cp.identity.fingerprint,
        "fingerprint_len": cp.identity.fingerprint_len,
        "offset": cp.offset,
        "updated_at": now,
    }
