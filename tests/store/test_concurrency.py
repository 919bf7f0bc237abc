"""Counts stay exact when several OS processes (service workers) or threads write at once."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

from logsum.store import PatternDelta, Store

ROUNDS = 150
PATTERNS = 6
BASE = datetime(2024, 5, 1, tzinfo=UTC)

# A separate interpreter: no shared pool, no shared GIL, just the database in between. It says
# "ready" once connected, waits for "go" so both writers start together, and reports when it
# started and ended so the test can check that the two really overlapped.
_WORKER = """
import json, sys, time
from datetime import UTC, datetime, timedelta
from logsum.store import PatternDelta, Store

url, tenant, worker, rounds, patterns = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
base = datetime(2024, 5, 1, tzinfo=UTC)
store = Store(url)
store.ping()
print("ready", flush=True)
sys.stdin.readline()
started = time.time()
ids = list(range(patterns))
if worker % 2:
    ids.reverse()  # the store must not deadlock when batches list rows in another order
for i in range(rounds):
    at = base + timedelta(minutes=i, seconds=worker)
    store.upsert_patterns(tenant, [
        PatternDelta(f"p{j}", "user <*> logged in", "info", 1 + j % 3, at, at,
                     ((f"w{worker}r{i}",),))
        for j in ids
    ])
print(json.dumps({"started": started, "ended": time.time()}), flush=True)
store.close()
"""


def _run_workers(url: str, tenant: str, workers: int) -> list[dict[str, float]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, url, tenant, str(w), str(ROUNDS), str(PATTERNS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    try:
        for p in procs:
            assert p.stdout is not None
            assert p.stdout.readline().strip() == "ready", p.stderr and p.stderr.read()
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        reports = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            reports.append(json.loads(out.strip().splitlines()[-1]))
        return reports
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


def test_two_processes_upserting_the_same_patterns_lose_no_counts(store: Store) -> None:
    reports = _run_workers(store.url, "tenant-a", workers=2)
    # The two writers really ran at the same time (else this would prove nothing).
    assert max(r["started"] for r in reports) < min(r["ended"] for r in reports)

    page, total = store.list_patterns("tenant-a", limit=100)
    assert total == PATTERNS
    counts = {p.id: p.count for p in page}
    assert counts == {f"p{j}": 2 * ROUNDS * (1 + j % 3) for j in range(PATTERNS)}
    for p in page:
        assert p.first_seen == BASE
        assert p.last_seen == BASE + timedelta(minutes=ROUNDS - 1, seconds=1)
        assert len(p.examples[0]) == store.limits.max_examples_per_position


def test_threads_sharing_one_store_lose_no_counts(store: Store) -> None:
    """The API calls the store from a thread pool."""
    threads, rounds = 4, 40
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(rounds):
                store.upsert_patterns("t", [PatternDelta("a", "x", "info", 1, BASE, BASE)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=60)
    assert errors == []
    stored = store.get_pattern("t", "a")
    assert stored is not None
    assert stored.count == threads * rounds
