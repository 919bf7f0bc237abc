"""The pattern history and the stored anomalies: bucketed by the lines' own times, folded with
the counts (so the two agree exactly, also with several writer processes), bounded by retention
and per-tenant caps, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from logsum.store import PatternDelta, Store, StoreLimits
from logsum.store.patterns import journal_table

NOW = datetime(2026, 12, 7, 12, 0, 30, tzinfo=UTC)


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def hstore(db_url: str, clock: Clock) -> Iterator[Store]:
    s = Store(db_url, clock=clock, limits=StoreLimits(max_anomalies_per_tenant=5))
    s.migrate()
    try:
        yield s
    finally:
        s.close()


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


def _delta(pid: str, count: int, *at: tuple[datetime, int]) -> PatternDelta:
    return PatternDelta(
        pid, f"{pid} <*>", "info", count, timeline=tuple((_epoch(t), n) for t, n in at)
    )


def test_history_counts_lines_by_their_own_minute_and_arrival_when_untimed(
    hstore: Store,
) -> None:
    ten_ago = NOW - timedelta(minutes=10)
    # 3 lines ten minutes ago, 2 a minute later, 4 with no timestamp (counted on arrival).
    hstore.upsert_patterns("t", [_delta("a", 9, (ten_ago, 3), (ten_ago + timedelta(minutes=1), 2))])
    h = hstore.pattern_history("t", "a", since=NOW - timedelta(minutes=30), bucket_seconds=60)
    assert h is not None
    assert h.bucket_seconds == 60
    got = {s: n for s, n in h.points if n}
    assert got == {
        ten_ago.replace(second=0): 3,
        ten_ago.replace(second=0) + timedelta(minutes=1): 2,
        NOW.replace(second=0): 4,
    }
    assert h.total == 9 == hstore.get_pattern("t", "a").count  # type: ignore[union-attr]
    # Every bucket of the range is there, empty ones included, oldest first.
    starts = [s for s, _n in h.points]
    assert starts == sorted(starts)
    assert len(starts) == 31
    assert all(b - a == timedelta(minutes=1) for a, b in itertools.pairwise(starts))


def test_bucket_sizes_add_up_and_month_ranges_read_hour_rows(hstore: Store) -> None:
    times = [NOW - timedelta(hours=h, minutes=7) for h in range(0, 24 * 20, 5)]
    hstore.upsert_patterns("t", [_delta("a", len(times), *[(t, 1) for t in times])])
    month = hstore.pattern_history("t", "a", since=NOW - timedelta(days=30), bucket_seconds=3600)
    assert month is not None and month.total == len(times)
    assert len(month.points) == 30 * 24 + 1
    # The last two days at minute resolution, in 15-minute buckets: the lines of those days.
    recent = hstore.pattern_history("t", "a", since=NOW - timedelta(days=2), bucket_seconds=900)
    assert recent is not None
    assert recent.total == sum(1 for t in times if t >= NOW - timedelta(days=2, minutes=15))
    # Default bucket: at most 720 points.
    auto = hstore.pattern_history("t", "a", since=NOW - timedelta(days=30))
    assert auto is not None and len(auto.points) <= 720 and auto.total == len(times)


def test_retention_drops_old_buckets_and_far_future_lines(hstore: Store, clock: Clock) -> None:
    hstore.upsert_patterns(
        "t",
        [
            _delta(
                "a",
                4,
                (NOW - timedelta(days=40), 1),  # older than every retention
                (NOW - timedelta(days=3), 1),  # hours only
                (NOW, 1),
                (NOW + timedelta(days=5), 1),  # beyond the clock skew allowed
            )
        ],
    )
    assert hstore.get_pattern("t", "a").count == 4  # type: ignore[union-attr]
    month = hstore.pattern_history("t", "a", since=NOW - timedelta(days=60), bucket_seconds=3600)
    assert month is not None and month.total == 2
    # Three days later the minute bucket of NOW is gone, its hour bucket is not.
    clock.now = NOW + timedelta(days=3)
    hstore.upsert_patterns("t", [_delta("a", 1, (clock.now, 1))])
    minutes = hstore.pattern_history(
        "t", "a", since=NOW - timedelta(hours=1), until=NOW + timedelta(hours=1), bucket_seconds=60
    )
    assert minutes is not None and minutes.bucket_seconds == 60
    assert minutes.total == 0
    hours = hstore.pattern_history("t", "a", since=NOW - timedelta(days=6), bucket_seconds=3600)
    assert hours is not None and hours.total == 3


def test_bad_ranges_and_buckets_are_refused(hstore: Store) -> None:
    hstore.upsert_patterns("t", [_delta("a", 1)])
    with pytest.raises(ValueError, match="before"):
        hstore.pattern_history("t", "a", since=NOW, until=NOW - timedelta(hours=1))
    with pytest.raises(ValueError, match="multiple"):
        hstore.pattern_history("t", "a", bucket_seconds=90)
    with pytest.raises(ValueError, match="at most"):
        hstore.pattern_history("t", "a", since=NOW - timedelta(days=30), bucket_seconds=60)
    assert hstore.pattern_history("t", "nope") is None
    assert hstore.pattern_history("other", "a") is None
    with pytest.raises(ValueError, match="more than"):
        hstore.upsert_patterns("t", [_delta("a", 1, (NOW, 2))])


def test_journal_rows_from_before_the_history_count_at_their_time(
    hstore: Store, clock: Clock
) -> None:
    written = NOW - timedelta(minutes=5)
    old = json.dumps([["a", "a <*>", "info", 7, None, None, []]])
    with hstore.engine.begin() as conn:
        conn.execute(insert(journal_table).values(tenant_id="t", payload=old, created_at=written))
    h = hstore.pattern_history("t", "a", since=NOW - timedelta(hours=1), bucket_seconds=60)
    assert h is not None
    assert {s: n for s, n in h.points if n} == {written.replace(second=0): 7}


def test_patterns_in_a_range_count_only_its_lines(hstore: Store) -> None:
    hour_ago = NOW - timedelta(hours=1)
    hstore.upsert_patterns(
        "t",
        [
            _delta("a", 5, (hour_ago, 5)),
            _delta("b", 3, (NOW, 3)),
            _delta("c", 4, (hour_ago, 1), (NOW, 3)),
        ],
    )
    page, total = hstore.list_patterns("t", limit=10, since=NOW - timedelta(minutes=10))
    assert total == 2
    assert [(p.id, p.count) for p in page] == [("b", 3), ("c", 3)]
    page, total = hstore.list_patterns("t", limit=10, until=NOW - timedelta(minutes=10))
    assert [(p.id, p.count) for p in page] == [("a", 5), ("c", 1)]
    page, _ = hstore.list_patterns("t", limit=10)
    assert [(p.id, p.count) for p in page] == [("a", 5), ("c", 4), ("b", 3)]
    with pytest.raises(ValueError):
        hstore.list_patterns("t", limit=10, order="template")


def _anomaly(i: int, severity: str = "warning", type_: str = "volume_spike") -> dict[str, object]:
    return {
        "id": f"an{i}",
        "type": type_,
        "severity": severity,
        "score": 0.7,
        "message": f"spike {i}",
        "pattern_ids": ["a"],
        "window": None,
        "evidence": {"n": i},
        "lines": [1],
        "line_count": 1,
    }


def test_anomalies_are_stored_newest_first_filtered_and_bounded(
    hstore: Store, clock: Clock
) -> None:
    for i in range(7):
        clock.now = NOW + timedelta(minutes=i)
        severity = "error" if i % 2 else "warning"
        hstore.upsert_patterns("t", [_delta("a", 1)], [_anomaly(i, severity)])
    hstore.upsert_patterns("t", [], [_anomaly(99, type_="new_pattern")], source="watch:w1")
    page, total = hstore.list_anomalies("t", limit=50)
    assert total == 5  # max_anomalies_per_tenant
    assert [a.anomaly["id"] for a in page] == ["an99", "an6", "an5", "an4", "an3"]
    assert page[0].source == "watch:w1" and page[1].source == "analyze"
    assert page[1].found_at == NOW + timedelta(minutes=6)
    errors, n = hstore.list_anomalies("t", limit=50, severity="error")
    assert n == 2 and {a.anomaly["id"] for a in errors} == {"an5", "an3"}
    _, n = hstore.list_anomalies("t", limit=50, type_="new_pattern")
    assert n == 1
    window, n = hstore.list_anomalies(
        "t", limit=50, since=NOW + timedelta(minutes=4), until=NOW + timedelta(minutes=6)
    )
    assert [a.anomaly["id"] for a in window] == ["an5", "an4"]
    assert hstore.list_anomalies("other", limit=5) == ([], 0)
    with pytest.raises(ValueError):
        hstore.upsert_patterns("t", [], [{"type": "x", "severity": "loud"}])


# A separate interpreter per writer: only the database in between.
_WORKER = """
import sys, time
from datetime import UTC, datetime, timedelta
from logsum.store import PatternDelta, Store

url, worker, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
store = Store(url)
store.ping()
print("ready", flush=True)
sys.stdin.readline()
now = int(time.time())
for i in range(rounds):
    at = now - (i * 37 + worker * 11) % 7200
    store.upsert_patterns("t", [
        PatternDelta(f"p{j}", "job <*> done", "info", 1 + (i + j) % 3,
                     timeline=((at, 1 + (i + j) % 3 - (j == 0)),))
        for j in range(4)
    ], [{"type": "volume_spike", "severity": "warning", "id": f"{worker}-{i}"}] if i % 10 == 0
       else [])
print("done", flush=True)
store.close()
"""


def test_several_processes_history_totals_equal_stored_counts(db_url: str) -> None:
    setup = Store(db_url)
    setup.migrate()
    workers, rounds = 3, 20
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, db_url, str(w), str(rounds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        for p in procs:
            _out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    page, _ = setup.list_patterns("t", limit=10)
    expected = {f"p{j}": workers * sum(1 + (i + j) % 3 for i in range(rounds)) for j in range(4)}
    assert {p.id: p.count for p in page} == expected
    now = datetime.now(UTC)
    for j in range(4):
        for bucket in (60, 3600):
            h = setup.pattern_history(
                "t", f"p{j}", since=now - timedelta(hours=3), bucket_seconds=bucket
            )
            assert h is not None
            assert h.total == expected[f"p{j}"], (j, bucket)
    in_range, _ = setup.list_patterns("t", limit=10, since=now - timedelta(hours=3))
    assert {p.id: p.count for p in in_range} == expected
    assert setup.list_anomalies("t", limit=1)[1] == workers * rounds // 10
    setup.close()


def test_timelines_count_each_line_in_its_own_minute_in_any_order() -> None:
    from logsum import Engine, EngineConfig
    from logsum.store.history import timelines

    rnd = __import__("random").Random(3)
    base = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    stamps = [base + timedelta(seconds=rnd.randrange(0, 600)) for _ in range(300)]
    stamps[100:200] = sorted(stamps[100:200])  # runs in order, and jumps back and forth
    lines = [f"{t:%Y-%m-%d %H:%M:%S} INFO job {i % 5} done in {i} ms" for i, t in enumerate(stamps)]
    lines += ["no stamp on this line 1", "  continued detail"]
    engine = Engine(EngineConfig())
    results = engine.process_many(lines)
    got = timelines(results, None, 60)
    expected: dict[str, dict[int, int]] = {}
    for r in results:
        if r.timestamp is None or r.continuation:
            continue
        start = int(r.timestamp.timestamp()) // 60 * 60
        per = expected.setdefault(r.pattern_id, {})
        per[start] = per.get(start, 0) + 1
    assert got == expected
    assert sum(sum(v.values()) for v in got.values()) == 300
    # Ids the mapping lacks are left out; mapped ids are renamed.
    (pid,) = {r.pattern_id for r in results[:300]}
    assert timelines(results, {pid: "renamed"}, 60) == {"renamed": expected[pid]}
    assert timelines(results, {}, 60) == {}
