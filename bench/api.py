"""``make bench``, API part: throughput and latency of the REST service over real HTTP.

    python bench/api.py            # full run (about two minutes), writes docs/BENCHMARKS-api.md
    python bench/api.py --quick    # shorter runs, printed only

What it measures, in one run on this machine:

1. **Engine in-process rate**: one :class:`logsum.Engine` (as the API keeps one warm engine per
   tenant), ``process_many`` over the same batches in the same order, one thread.
2. **API line rate**: the same batches (1,000 and 10,000 lines) posted to ``POST /v1/analyze``
   by 4 concurrent clients against ``logsum serve`` (1 worker, SQLite store, one tenant whose
   stored patterns accumulate), reported as lines/s and as a ratio of (1). Target >= 0.7.
3. **Small requests**: 10-line ``POST /v1/analyze`` requests from 16 concurrent clients, with 1
   and with 2 worker processes: requests/s and p50/p99 latency.

The load generator (asyncio + httpx, bodies encoded once beforehand) runs in this process and
shares the machine's cores with the server; the numbers are what a client on the same host sees.
Lines are the eight Loghub-2k systems (raw lines, headers included), interleaved in slices of 50.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from loghub import ROOT, SYSTEMS, load
from logsum import Engine
from logsum.store import Store, Tier

DOC = ROOT / "docs" / "BENCHMARKS-api.md"
LOGSUM = str(Path(sys.executable).parent / "logsum")
TARGET_RATIO = 0.7


def corpus() -> list[str]:
    """All Loghub-2k raw lines, interleaved by system in slices of 50 (16,000 lines)."""
    systems = [load(name).raw for name in SYSTEMS]
    out: list[str] = []
    for start in range(0, 2000, 50):
        for raw in systems:
            out.extend(raw[start : start + 50])
    return out


def batches(lines: Sequence[str], size: int, count: int) -> list[list[str]]:
    """``count`` consecutive batches of ``size`` lines, cycling through ``lines``."""
    out = []
    pos = 0
    for _ in range(count):
        batch = [lines[(pos + i) % len(lines)] for i in range(size)]
        pos = (pos + size) % len(lines)
        out.append(batch)
    return out


def engine_rate(work: Sequence[Sequence[str]], reps: int = 3) -> float:
    """Lines per second of one engine over all batches of ``work`` (best of ``reps``, a new
    engine each rep)."""
    total = sum(len(b) for b in work)
    best = float("inf")
    for _ in range(reps):
        engine = Engine()
        t0 = time.perf_counter()
        for batch in work:
            engine.process_many(batch)
        best = min(best, time.perf_counter() - t0)
    return total / best


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Service:
    """A ``logsum serve`` process for the benchmark."""

    url: str
    key: str
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Terminate it and wait."""
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_service(workdir: Path, workers: int) -> Service:
    """A fresh service (own SQLite store, one enterprise key with a limit that never binds)."""
    data = Path(tempfile.mkdtemp(prefix=f"data-{workers}w-", dir=workdir))
    store = Store(f"sqlite:///{data / 'logsum.db'}")
    try:
        store.migrate()
        _record, key = store.create_key("bench", Tier.ENTERPRISE)
    finally:
        store.close()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGSUM_")}
    env.update(
        {
            "LOGSUM_DATA_DIR": str(data),
            "LOGSUM_PORT": str(port),
            "LOGSUM_WORKERS": str(workers),
            "LOGSUM_RATE_LIMIT_ENTERPRISE": "1000000000",
            "LOGSUM_LOG_LEVEL": "warning",
        }
    )
    log = (data / "serve.log").open("wb")
    proc = subprocess.Popen([LOGSUM, "serve"], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"logsum serve exited; see {workdir}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return Service(url, key, proc)
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("logsum serve did not start")


@dataclass(frozen=True)
class Load:
    """The outcome of one load run."""

    requests: int
    lines: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rps(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds

    @property
    def lines_per_s(self) -> float:
        """Lines per second."""
        return self.lines / self.seconds

    def percentile(self, q: float) -> float:
        """Latency percentile in milliseconds."""
        data = sorted(self.latencies)
        idx = min(len(data) - 1, max(0, round(q / 100 * len(data)) - 1))
        return data[idx] * 1000


async def _load(
    service: Service, bodies: Sequence[bytes], lines_per_body: int, concurrency: int
) -> Load:
    headers = {"Authorization": f"Bearer {service.key}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)
    async with httpx.AsyncClient(
        base_url=service.url, headers=headers, limits=limits, timeout=600
    ) as client:

        async def worker() -> None:
            nonlocal errors
            while True:
                try:
                    body = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t0 = time.perf_counter()
                try:
                    r = await client.post("/v1/analyze", content=body)
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - t0)
                if not ok:
                    errors += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - t0
    return Load(len(bodies), len(bodies) * lines_per_body, seconds, latencies, errors)


MODES = {
    "full": {},
    "patterns only": {"find_anomalies": False, "generate_insights": False},
}
"""Request options per mode: the defaults (patterns, anomalies, insights), or patterns only
(the engine's own job, the like-for-like comparison with the in-process rate)."""


def run_load(
    service: Service,
    work: Sequence[Sequence[str]],
    concurrency: int,
    warmup: int = 2,
    options: dict[str, bool] | None = None,
) -> Load:
    """Post every batch of ``work`` once, ``concurrency`` at a time (after ``warmup``
    sequential requests)."""
    bodies = [orjson.dumps({"logs": list(b), "options": options or {}}) for b in work]
    if warmup:
        asyncio.run(_load(service, bodies[:warmup], len(work[0]), 1))
    return asyncio.run(_load(service, bodies, len(work[0]), concurrency))


@dataclass(frozen=True)
class Results:
    """Everything measured."""

    engine: dict[int, float]
    api: dict[tuple[str, int, int], Load]
    """(mode, workers, batch size) -> load."""
    small: dict[int, Load]
    tenant_patterns: int
    """Stored patterns of the tenant at the end of the small-request runs."""


def measure(quick: bool) -> Results:
    """Run the three measurements."""
    lines = corpus()
    plan = {1_000: 16 if quick else 48, 10_000: 4 if quick else 12}
    work = {size: batches(lines, size, n) for size, n in plan.items()}
    engine = {size: engine_rate(w, reps=1 if quick else 3) for size, w in work.items()}
    for size, rate in engine.items():
        print(f"engine in-process, batches of {size:>6,}: {rate:>10,.0f} lines/s", flush=True)
    api: dict[tuple[str, int, int], Load] = {}
    small: dict[int, Load] = {}
    tenant_patterns = 0
    tmp = Path(tempfile.mkdtemp(prefix="logsum-bench-api-"))
    try:
        for (mode, options), workers in itertools.product(MODES.items(), (1, 2)):
            service = start_service(tmp, workers=workers)
            try:
                for size, w in work.items():
                    # Each worker warms its own engine for the tenant.
                    run_load(service, w[:4], concurrency=4, options=options, warmup=0)
                    load_ = run_load(service, w, concurrency=4, options=options)
                    api[mode, workers, size] = load_
                    print(
                        f"API ({mode}), {workers} worker(s), 4 clients, batches of {size:>6,}: "
                        f"{load_.lines_per_s:>10,.0f} lines/s "
                        f"(ratio {load_.lines_per_s / engine[size]:.2f}, "
                        f"errors {load_.errors})",
                        flush=True,
                    )
            finally:
                service.stop()
        small_work = batches(lines, 10, 1_000 if quick else 4_000)
        for workers in (1, 2):
            service = start_service(tmp, workers=workers)
            try:
                run_load(service, small_work[:200], concurrency=16)  # warm every worker
                small[workers] = run_load(service, small_work, concurrency=16)
                with httpx.Client(
                    base_url=service.url, headers={"Authorization": f"Bearer {service.key}"}
                ) as c:
                    tenant_patterns = int(c.get("/v1/patterns?limit=1").json()["total"])
                s = small[workers]
                print(
                    f"API, {workers} worker(s), 16 clients, 10-line requests: "
                    f"{s.rps:,.0f} req/s, p50 {s.percentile(50):.1f} ms, "
                    f"p99 {s.percentile(99):.1f} ms (errors {s.errors})",
                    flush=True,
                )
            finally:
                service.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return Results(engine, api, small, tenant_patterns)


def markdown(res: Results, quick: bool) -> str:
    """The docs/BENCHMARKS-api.md section."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    rows = [
        "| batch | options | workers | engine in-process (lines/s) | API, 4 clients (lines/s) "
        "| ratio | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for (mode, workers, size), load_ in sorted(res.api.items(), key=lambda kv: kv[0][::-1]):
        ratio = load_.lines_per_s / res.engine[size]
        verdict = "met" if ratio >= TARGET_RATIO else "missed"
        rows.append(
            f"| {size:,} lines | {mode} | {workers} | {res.engine[size]:,.0f} | "
            f"{load_.lines_per_s:,.0f} | {ratio:.2f} | >= {TARGET_RATIO} ({verdict}) |"
        )
    small = [
        "| workers | requests/s | p50 (ms) | p99 (ms) | errors |",
        "|---|---|---|---|---|",
    ]
    for workers, s in res.small.items():
        small.append(
            f"| {workers} | {s.rps:,.0f} | {s.percentile(50):.1f} | {s.percentile(99):.1f} | "
            f"{s.errors} |"
        )
    return "\n".join(
        [
            "## REST API",
            "",
            f"Command: `python bench/api.py{' --quick' if quick else ''}` (part of `make bench`). "
            f"Machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}. "
            f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
            "",
            "Server: `logsum serve` (uvicorn, SQLite store in a fresh data directory, in-memory "
            "rate limits that never bind). Client: this process, asyncio + httpx, bodies "
            "encoded beforehand; it shares the cores with the server. Lines: the eight "
            "Loghub-2k systems, raw, interleaved. Every request runs through "
            "the tenant's warm engine (one per key per process, synchronised with the store) and "
            "upserts its counts, as in production.",
            "",
            "### Lines per second through `POST /v1/analyze`",
            "",
            "The ratio divides the API's rate by one engine in-process over the same batches "
            "in the same order, in the same run. *full*: default options (patterns, anomalies, "
            "insights; the in-process baseline runs the engine only). *patterns only*: "
            "`find_anomalies` and `generate_insights` false, the like-for-like comparison.",
            "",
            *rows,
            "",
            "### Small requests (10 lines), 16 concurrent clients",
            "",
            "Default options. One tenant; its stored patterns accumulate over the run "
            f"({res.tenant_patterns:,} at the end). With 2 workers both processes write to the "
            "same SQLite file.",
            "",
            *small,
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs; print only")
    args = parser.parse_args(argv)
    res = measure(args.quick)
    text = markdown(res, args.quick)
    if args.quick:
        print(text)
    else:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(text, encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
