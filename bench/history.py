"""Pattern history reads at scale, side by side with ``GET /v1/patterns``, over real HTTP.

    python bench/history.py                 # 10,000 patterns, SQLite
    python bench/history.py --patterns 2000 # smaller

A tenant with ``--patterns`` stored patterns, each with a month of history written through
the store's own write path (``Store.upsert_patterns`` with timelines, folded as in production):
every pattern has a line every 10 hours for 30 days, and the pattern read has a line in every
minute of the last two days and every hour of the month. Then ``logsum serve`` on that store,
and one keep-alive client alternating the requests compared (so both see the same machine
load): a month of hourly buckets for one pattern, a day at the default bucket, ``GET
/v1/patterns`` (first page of 50, all time, and counted over the last day). Also the storage a
history row costs (SQLite file growth over the rows written).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from logsum.store import PatternDelta, Store, Tier

LOGSUM = str(Path(sys.executable).parent / "logsum")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fill(store: Store, tenant: str, patterns: int) -> tuple[str, int, float]:
    """Store the tenant's patterns and their month; returns the read pattern's id, the history
    rows written and the seconds it took."""
    now = int(time.time())
    hour, minute = 3_600, 60
    started = time.perf_counter()
    rows = 0
    chunk = 500
    for first in range(0, patterns, chunk):
        deltas = []
        for j in range(first, min(first + chunk, patterns)):
            times = [now - k * 10 * hour - (j % 600) * minute for k in range(72)]
            if j == 0:
                times += [now - k * minute for k in range(2 * 24 * 60)]
                times += [now - k * hour for k in range(30 * 24)]
            timeline = tuple((t, 1) for t in times)
            deltas.append(
                PatternDelta(
                    f"p{j:05d}",
                    f"service {j} handled request <*> in <*> ms",
                    "info",
                    len(times),
                    timeline=timeline,
                )
            )
            recent = sum(1 for t in times if t > now - 2 * 86_400)
            rows += len({t // hour for t in times}) + recent
        store.upsert_patterns(tenant, deltas)
        store.fold(tenant)
    return "p00000", rows, time.perf_counter() - started


def timed(client: httpx.Client, path: str, params: dict[str, str]) -> float:
    t0 = time.perf_counter()
    r = client.get(path, params=params)
    elapsed = time.perf_counter() - t0
    if r.status_code != 200:
        raise RuntimeError(f"{path}: {r.status_code} {r.text[:200]}")
    return elapsed * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patterns", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="logsum-bench-history-"))
    proc = None
    try:
        data = work / "data"
        data.mkdir()
        db = data / "logsum.db"
        store = Store(f"sqlite:///{db}")
        store.migrate()
        record, key = store.create_key("bench", Tier.ENTERPRISE)
        before = db.stat().st_size
        pid, rows, took = fill(store, record.id, args.patterns)
        with store.engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT count(*) FROM pattern_history").scalar_one()
        store.close()
        size = db.stat().st_size - before
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOGSUM_")}
        env.update(
            LOGSUM_DATA_DIR=str(data),
            LOGSUM_PORT=str(port),
            LOGSUM_RATE_LIMIT_ENTERPRISE="10000000",
            LOGSUM_LOG_LEVEL="warning",
        )
        proc = subprocess.Popen(
            [LOGSUM, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(url + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        month_ago = (datetime.now(UTC) - timedelta(days=30)).isoformat()
        day_ago = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        cases = {
            "history: 30 days, hourly (720 points)": (
                f"/v1/patterns/{pid}/history",
                {"since": month_ago, "bucket": "3600"},
            ),
            "history: last day, default bucket (288 points)": (
                f"/v1/patterns/{pid}/history",
                {"since": day_ago},
            ),
            "GET /v1/patterns (first 50, all time)": ("/v1/patterns", {"limit": "50"}),
            "GET /v1/patterns?since=1 day ago (first 50)": (
                "/v1/patterns",
                {"limit": "50", "since": day_ago},
            ),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as c:
            month = c.get(
                cases["history: 30 days, hourly (720 points)"][0],
                params=cases["history: 30 days, hourly (720 points)"][1],
            ).json()
            for path, params in cases.values():
                timed(c, path, params)  # warm
            for _ in range(args.requests):
                for name, (path, params) in cases.items():
                    times[name].append(timed(c, path, params))
        print(
            f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores "
            f"(shared with other work), Python {platform.python_version()}. "
            f"{args.patterns:,} patterns; {stored:,} history rows "
            f"(filled in {took:.1f} s through Store.upsert_patterns); the month read holds "
            f"{month['total']:,} lines in {len(month['points'])} points."
        )
        print(
            f"SQLite file growth per history row: {size / max(stored, 1):.0f} bytes "
            f"({size / 1e6:.1f} MB for {stored:,} rows and {args.patterns:,} patterns)"
        )
        print()
        print("| request | p50 (ms) | p95 (ms) | max (ms) |")
        print("|---|---|---|---|")
        for name, ts in times.items():
            ts.sort()
            p95 = ts[int(len(ts) * 0.95) - 1]
            print(f"| {name} | {statistics.median(ts):.1f} | {p95:.1f} | {ts[-1]:.1f} |")
        del rows
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
