"""Group commit: concurrent upserts of one tenant share transactions, and nobody is told "done"
before their own work is written."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from logsum.store import PatternDelta, Store
from logsum.store.groupcommit import GroupCommit


def test_a_lone_caller_writes_at_once() -> None:
    writes: list[tuple[str, list[int]]] = []
    gc: GroupCommit[str, int] = GroupCommit(lambda key, works: writes.append((key, works)))
    gc.submit("t", 1)
    gc.submit("t", 2)
    assert writes == [("t", [1]), ("t", [2])]


def test_callers_arriving_during_a_write_are_written_together_and_only_once() -> None:
    release = threading.Event()
    writes: list[list[int]] = []
    returned: list[int] = []

    def write(_key: str, works: list[int]) -> None:
        writes.append(list(works))
        if works == [0]:
            release.wait(10)  # the first write is slow: the others queue up meanwhile

    gc: GroupCommit[str, int] = GroupCommit(write)

    def call(n: int) -> None:
        gc.submit("t", n)
        returned.append(n)

    first = threading.Thread(target=call, args=(0,))
    first.start()
    while not writes:
        time.sleep(0.001)
    others = [threading.Thread(target=call, args=(n,)) for n in range(1, 6)]
    for t in others:
        t.start()
    time.sleep(0.2)
    assert returned == []  # nobody returns before their work is written
    release.set()
    for t in [first, *others]:
        t.join(10)
    assert writes[0] == [0]
    assert sorted(writes[1]) == [1, 2, 3, 4, 5]  # the five waiting callers: one write
    assert len(writes) == 2
    assert sorted(returned) == [0, 1, 2, 3, 4, 5]


def test_every_caller_of_a_failed_write_gets_its_error_and_the_next_write_proceeds() -> None:
    release = threading.Event()
    calls: list[list[int]] = []

    def write(_key: str, works: list[int]) -> None:
        calls.append(list(works))
        if works == [0]:
            release.wait(10)
        elif 1 in works:
            raise RuntimeError("database unavailable")

    gc: GroupCommit[str, int] = GroupCommit(write)
    errors: dict[int, BaseException | None] = {}

    def call(n: int) -> None:
        try:
            gc.submit("t", n)
            errors[n] = None
        except RuntimeError as exc:
            errors[n] = exc

    first = threading.Thread(target=call, args=(0,))
    first.start()
    while not calls:
        time.sleep(0.001)
    waiting = [threading.Thread(target=call, args=(n,)) for n in (1, 2)]
    for t in waiting:
        t.start()
    time.sleep(0.2)
    release.set()
    for t in [first, *waiting]:
        t.join(10)
    assert errors[0] is None
    assert isinstance(errors[1], RuntimeError)
    assert isinstance(errors[2], RuntimeError)
    gc.submit("t", 3)  # the failure left no leader behind
    assert calls[-1] == [3]


def test_different_keys_do_not_wait_for_each_other() -> None:
    release = threading.Event()
    written: list[str] = []

    def write(key: str, _works: list[int]) -> None:
        if key == "slow":
            release.wait(10)
        written.append(key)

    gc: GroupCommit[str, int] = GroupCommit(write)
    slow = threading.Thread(target=gc.submit, args=("slow", 1))
    slow.start()
    time.sleep(0.05)
    gc.submit("fast", 1)  # returns while "slow" is still being written
    assert written == ["fast"]
    release.set()
    slow.join(10)
    assert written == ["fast", "slow"]


@pytest.mark.parametrize("threads", [8])
def test_many_threads_upserting_one_tenant_keep_every_count_time_and_example(
    store: Store, threads: int
) -> None:
    """Through the real store: batches merged by the group commit add up exactly, keep the
    earliest and latest times and the example values of every caller."""
    rounds = 40
    start = threading.Barrier(threads)

    def work(worker: int) -> None:
        start.wait()
        for i in range(rounds):
            at = datetime(2024, 5, 1, 0, worker, i, tzinfo=UTC)
            store.upsert_patterns(
                "tenant",
                [
                    PatternDelta("p1", "user <*> logged in", "info", 2, at, at, ((f"u{worker}",),)),
                    PatternDelta("p2", "disk <*> full", "error" if worker == 3 else "info", 1),
                ],
            )

    pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(60)
    p1 = store.get_pattern("tenant", "p1")
    p2 = store.get_pattern("tenant", "p2")
    assert p1 is not None and p2 is not None
    assert p1.count == 2 * threads * rounds
    assert p2.count == threads * rounds
    assert p2.severity == "error"
    assert p1.first_seen == datetime(2024, 5, 1, 0, 0, 0, tzinfo=UTC)
    assert p1.last_seen == datetime(2024, 5, 1, 0, threads - 1, rounds - 1, tzinfo=UTC)
    assert len(p1.examples[0]) == min(threads, 5)  # StoreLimits.max_examples_per_position
