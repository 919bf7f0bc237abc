"""The watch repository on SQLite and PostgreSQL: atomic batch commits, leases, the outbox."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from logsum.core.model import Severity
from logsum.store import Store
from logsum.watch.errors import LeaseLost, WatchLimitReached
from logsum.watch.follower import Checkpoint, FileIdentity
from logsum.watch.model import BatchCommit, OutboxItem, WatchFilters, WatchStatus
from logsum.watch.repo import WatchStore, new_webhook_id


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


IDENT = FileIdentity(1, 2, "ab" * 32, 10)


def make(store: Store, clock: Clock) -> tuple[WatchStore, str]:
    repo = WatchStore(store, clock=clock, max_failed_kept=2)
    w = repo.create_watch(
        tenant_id="key_a",
        source="/logs/app.log",
        filters=WatchFilters((Severity.ERROR,)),
        webhook_url="http://127.0.0.1:9/h",
        secret="whsec_AAAA",
        from_beginning=False,
        checkpoint=Checkpoint(IDENT, 5),
    )
    return repo, w.id


def items(n: int) -> tuple[OutboxItem, ...]:
    return tuple(OutboxItem(new_webhook_id(), f'{{"n":{i}}}', 1) for i in range(n))


def test_create_get_list_delete_scoped_to_tenant(store: Store) -> None:
    repo, wid = make(store, Clock())
    w = repo.get_watch("key_a", wid)
    assert w is not None
    assert (w.status, w.offset, w.filters.to_json()) == (
        WatchStatus.PENDING,
        5,
        {"severity": ["error"]},
    )
    assert repo.get_watch("key_b", wid) is None
    assert [x.id for x in repo.list_watches("key_a")] == [wid]
    assert repo.list_watches("key_b") == []
    assert repo.delete_watch("key_b", wid) is False
    assert repo.delete_watch("key_a", wid) is True
    assert repo.get_watch("key_a", wid) is None
    assert repo.get_checkpoint(wid) is None


def test_commit_requires_the_lease_and_is_atomic(store: Store) -> None:
    clock = Clock()
    repo, wid = make(store, clock)
    with pytest.raises(LeaseLost):
        repo.commit_batch(wid, "p1", Checkpoint(IDENT, 50), BatchCommit(3, items(2)))
    assert repo.get_checkpoint(wid) == Checkpoint(IDENT, 5)
    assert repo.next_delivery(wid) is None

    assert repo.acquire_lease(wid, "p1", ttl_s=10)
    assert not repo.acquire_lease(wid, "p2", ttl_s=10)
    repo.commit_batch(wid, "p1", Checkpoint(IDENT, 50), BatchCommit(3, items(2)))
    w = repo.get_watch("key_a", wid)
    assert w is not None
    assert (w.offset, w.lines_read, w.events_count, w.pending_count) == (50, 3, 2, 2)

    # p1 dies; after expiry p2 takes over and p1 can no longer commit (fenced).
    clock.now += timedelta(seconds=11)
    assert repo.acquire_lease(wid, "p2", ttl_s=10)
    with pytest.raises(LeaseLost):
        repo.commit_batch(wid, "p1", Checkpoint(IDENT, 99), BatchCommit(1, items(1)))
    assert repo.get_checkpoint(wid) == Checkpoint(IDENT, 50)
    assert repo.lease_owner(wid) == "p2"
    repo.release_lease(wid, "p2")
    assert repo.lease_owner(wid) is None


def test_outbox_order_retry_delivered_failed(store: Store) -> None:
    clock = Clock()
    repo, wid = make(store, clock)
    assert repo.acquire_lease(wid, "p1", ttl_s=60)
    written = repo.commit_batch(wid, "p1", None, BatchCommit(4, items(4)))
    d = repo.next_delivery(wid)
    assert d is not None and d.id == written[0] and d.payload == '{"n":0}'
    later = clock.now + timedelta(seconds=30)
    repo.mark_retry(d, attempts=1, next_attempt_at=later, error="HTTP 500")
    d2 = repo.next_delivery(wid)
    assert d2 is not None and d2.id == d.id and d2.attempts == 1 and d2.next_attempt_at == later
    repo.mark_delivered(d2)
    repo.mark_delivered(d2)  # a second confirmation counts once
    for _ in range(3):
        nxt = repo.next_delivery(wid)
        assert nxt is not None
        repo.mark_failed(nxt, attempts=5, error="HTTP 503")
    assert repo.next_delivery(wid) is None
    w = repo.get_watch("key_a", wid)
    assert w is not None
    assert (w.delivered_count, w.failed_count, w.pending_count) == (1, 3, 0)
    assert w.last_error == "HTTP 503" and w.last_delivery_at == clock.now
    # only the newest `max_failed_kept` failed rows are kept
    assert [f[0] for f in repo.failed_deliveries(wid)] == written[3:1:-1]


def test_deleted_watch_cannot_be_leased_or_committed(store: Store) -> None:
    repo, wid = make(store, Clock())
    assert repo.acquire_lease(wid, "p1", ttl_s=60)
    repo.delete_watch("key_a", wid)
    assert not repo.acquire_lease(wid, "p1", ttl_s=60)
    with pytest.raises(LeaseLost):
        repo.commit_batch(wid, "p1", None, BatchCommit(1))


def test_renew_leases_in_one_go_and_free_watches(store: Store) -> None:
    clock = Clock()
    repo, w1 = make(store, clock)
    _, w2 = make(store, clock)
    assert sorted(repo.free_watches()) == sorted([w1, w2])
    assert repo.acquire_lease(w1, "p1", ttl_s=10)
    assert repo.acquire_lease(w2, "p2", ttl_s=10)
    assert repo.free_watches() == []
    clock.now += timedelta(seconds=8)
    assert repo.renew_leases([w1, w2], "p1", ttl_s=10) == {w1}  # w2 is p2's
    clock.now += timedelta(seconds=5)  # p2's lease expired, p1's was renewed
    assert repo.free_watches() == [w2]
    assert repo.lease_owner(w1) == "p1"
    repo.delete_watch("key_a", w1)
    assert repo.renew_leases([w1], "p1", ttl_s=10) == set()


def test_the_watch_limit_holds_under_concurrent_creates(store: Store) -> None:
    """The count and the insert are one transaction, creates of a tenant queued (issue 18)."""
    repo = WatchStore(store)
    barrier = threading.Barrier(16)

    def one(i: int) -> bool:
        barrier.wait()
        try:
            repo.create_watch(
                tenant_id="key_a",
                source=f"/logs/{i}.log",
                filters=WatchFilters(()),
                webhook_url="http://127.0.0.1:9/h",
                secret="whsec_AAAA",
                from_beginning=False,
                checkpoint=None,
                max_watches=5,
            )
        except WatchLimitReached:
            return False
        return True

    with ThreadPoolExecutor(16) as pool:
        made = list(pool.map(one, range(16)))
    assert made.count(True) == 5
    assert repo.count_watches("key_a") == 5
    assert repo.count_watches("key_b") == 0
