"""``make bench``, API part: throughput and latency of the REST service over real HTTP.

    python bench/api.py            # full run (about five minutes), writes docs/BENCHMARKS-api.md
    python bench/api.py --quick    # shorter runs, printed only

What it measures, in one run on this machine:

1. **API line rate**: batches of 1,000 and 10,000 lines posted to ``POST /v1/analyze`` by 4
   concurrent clients against ``logsum serve`` (1 and 2 workers, SQLite store, one tenant
   whose stored patterns accumulate), with patterns only and with the default options.
2. **In-process baselines**, measured right after each API run on the same batches: one
   :class:`logsum.Engine` (as the API keeps one warm engine per tenant), ``process_many`` in
   one thread, warmed with the same batches as the service; and, for the default options, the
   engine plus the request's analysis. The ratio API / engine is the target (>= 0.7).
3. **Small requests**: 10-line ``POST /v1/analyze`` requests from 16 concurrent clients, with 1
   and with 2 worker processes: requests/s and p50/p99 latency.

The load generator runs in this process and shares the machine's cores with the server, so it
is kept lean, as wrk or hey are in C: a bare HTTP/1.1 client on asyncio streams whose requests
are encoded to bytes once beforehand and whose responses are framed by their headers and
discarded unparsed (a fifth to a tenth of the CPU an httpx client took), leaving the cores to the
server's workers. The numbers are still what a client on the same host sees.
Lines are the eight Loghub-2k systems (raw lines, headers included), interleaved in slices of 50.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import math
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import orjson

from loghub import ROOT, SYSTEMS, load
from logsum import Engine
from logsum.core.analysis import analyze_batch
from logsum.settings import Settings
from logsum.store import Store, StoreLimits, Tier

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


def engine_rate(
    work: Sequence[Sequence[str]],
    *,
    warm: Sequence[Sequence[str]] = (),
    analysis: bool = False,
    reps: int = 2,
) -> tuple[float, float]:
    """Lines per second of one engine in this process over all batches of ``work``, by the
    wall clock and by CPU time (best of ``reps``, a new engine each rep).

    Like for like with the service: the engine first sees ``warm`` (the batches the service's
    warm-up requests sent), and the process runs with the service's garbage-collector setting.
    With ``analysis`` each batch also gets what a default request computes besides the engine:
    the batch's patterns and :func:`~logsum.core.analysis.analyze_batch`.
    """
    total = sum(len(b) for b in work)
    best_wall = best_cpu = float("inf")
    saved = gc.get_threshold()
    gc.set_threshold(Settings().gc_gen0_threshold or saved[0], saved[1], saved[2])
    try:
        for _ in range(reps):
            engine = Engine()
            for batch in warm:
                engine.process_many(batch)
            known: set[str] = set()
            t0, c0 = time.perf_counter(), time.process_time()
            for batch in work:
                results = engine.process_many(batch)
                if analysis:
                    patterns = engine.batch_patterns(results)
                    analyze_batch(results, patterns, known_pattern_ids=frozenset(known))
                    known.update(p.id for p in patterns)
            best_wall = min(best_wall, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
    finally:
        gc.set_threshold(*saved)
    return total / best_wall, total / best_cpu


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_TICKS = os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            pass
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by ``pid`` and its live descendants."""
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


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


def start_service(workdir: Path, workers: int, extra_env: dict[str, str] | None = None) -> Service:
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
            "LOGSUM_CPU_AFFINITY": "true",  # a machine the service has to itself
            **(extra_env or {}),
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
    server_cpu: float = 0.0
    """CPU seconds the service's processes used during the run (user + system)."""

    @property
    def rps(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds

    @property
    def lines_per_s(self) -> float:
        """Lines per second."""
        return self.lines / self.seconds

    @property
    def lines_per_cpu_s(self) -> float:
        """Lines per second of server CPU time (independent of other load on the machine)."""
        return self.lines / self.server_cpu if self.server_cpu else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        """Server CPU milliseconds per request."""
        return 1000 * self.server_cpu / self.requests

    def percentile(self, q: float) -> float:
        """Latency percentile in milliseconds."""
        data = sorted(self.latencies)
        idx = min(len(data) - 1, max(0, round(q / 100 * len(data)) - 1))
        return data[idx] * 1000


_TIMEOUT = 600.0
"""Seconds one request may take, connecting included, before it counts as an error."""


def _request(
    service: Service,
    body: bytes,
    keepalive: bool,
    path: str = "/v1/analyze",
    content_type: str = "application/json",
) -> bytes:
    """The complete ``POST`` request of ``body`` to ``path``, as bytes on the wire."""
    host = urlsplit(service.url).netloc
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {service.key}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n" + ("" if keepalive else "Connection: close\r\n")
    )
    return head.encode("ascii") + b"\r\n" + body


async def _response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response and discard its body: (status, connection reusable).

    The body is framed by Content-Length or chunked transfer coding, else it runs to EOF.
    Raises ``asyncio.IncompleteReadError`` if the connection ends early, ``ValueError`` on
    a malformed head, ``asyncio.LimitOverrunError`` on a head over the reader's limit.
    """
    status = 100
    while 100 <= status < 200:  # interim 1xx responses precede the final one
        lines = (await reader.readuntil(b"\r\n\r\n"))[:-4].split(b"\r\n")
        version, code = lines[0].split(b" ", 2)[:2]
        status = int(code)
    fields: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip().lower()
    conn = fields.get(b"connection", b"")
    reusable = b"close" not in conn and (version == b"HTTP/1.1" or b"keep-alive" in conn)
    if status in (204, 304):  # never a body
        return status, reusable
    if fields.get(b"transfer-encoding", b"").endswith(b"chunked"):
        while size := int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16):
            await reader.readexactly(size + 2)  # chunk data and its CRLF
        while await reader.readuntil(b"\r\n") != b"\r\n":  # trailer fields
            pass
    elif b"content-length" in fields:
        await reader.readexactly(int(fields[b"content-length"]))
    else:
        while await reader.read(1 << 16):
            pass
        reusable = False
    return status, reusable


async def _load(
    service: Service,
    bodies: Sequence[bytes],
    lines_per_body: int,
    concurrency: int,
    keepalive: bool = True,
    path: str = "/v1/analyze",
    content_type: str = "application/json",
    raw: bool = False,
) -> Load:
    """Post every body once to ``path`` from ``concurrency`` workers, each over its own
    connection (kept open and reused with ``keepalive``, else one per request); only status
    200 counts as ok. With ``raw`` the bodies are whole requests already (keys of their own,
    kept alive)."""
    url = urlsplit(service.url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b if raw else _request(service, b, keepalive, path, content_type))

    async def worker() -> None:
        nonlocal errors
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while not queue.empty():
            request = queue.get_nowait()
            t0 = time.perf_counter()
            ok = reusable = False
            try:
                async with asyncio.timeout(_TIMEOUT):
                    if conn is None:
                        conn = await asyncio.open_connection(host, port)
                    conn[1].write(request)
                    status, reusable = await _response(conn[0])
                ok = status == 200
            except (
                OSError,
                TimeoutError,
                ValueError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
            ):
                pass
            latencies.append(time.perf_counter() - t0)
            if not ok:
                errors += 1
            if conn is not None and not (keepalive and reusable):
                conn[1].close()
                conn = None
        if conn is not None:
            conn[1].close()

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
    keepalive: bool = True,
) -> Load:
    """Post every batch of ``work`` once, ``concurrency`` at a time (after ``warmup``
    sequential requests). Without ``keepalive`` every request opens a connection of its own."""
    bodies = [orjson.dumps({"logs": list(b), "options": options or {}}) for b in work]
    if warmup:
        asyncio.run(_load(service, bodies[:warmup], len(work[0]), 1, keepalive))
    before = cpu_seconds(service.proc.pid)
    load_ = asyncio.run(_load(service, bodies, len(work[0]), concurrency, keepalive))
    return replace(load_, server_cpu=cpu_seconds(service.proc.pid) - before)


@dataclass(frozen=True)
class LineRun:
    """One line-rate measurement: the API, and the in-process baselines measured right after
    it on the same batches (so both see the same machine load)."""

    load: Load
    engine: tuple[float, float]
    """The engine alone: (lines/s by the wall clock, lines per CPU second)."""
    full: tuple[float, float] | None = None
    """Engine plus the default request's analysis (``full`` mode only)."""
    first: Load | None = None
    """The service's first pass over the corpus (every line new to it), before ``load``."""
    first_engine: tuple[float, float] | None = None
    """A fresh in-process engine over the same first pass (with the analysis in ``full``)."""

    @property
    def ratio(self) -> float:
        """API lines/s over the engine's in-process lines/s (the target's ratio)."""
        return self.load.lines_per_s / self.engine[0]

    @property
    def cpu_ratio(self) -> float:
        """The same by CPU time: API lines per server CPU second over the engine's."""
        return self.load.lines_per_cpu_s / self.engine[1]


@dataclass(frozen=True)
class Results:
    """Everything measured."""

    lines: dict[tuple[str, int, int], LineRun]
    """(mode, workers, batch size) -> measurement."""
    small: dict[int, Load]
    tenant_patterns: int
    """Stored patterns of the tenant at the end of the small-request runs."""
    stages: dict[int, tuple[dict[str, float], int]]
    """Batch size -> CPU ms per request by stage in process, without HTTP, patterns only, and
    patterns per response (see bench/api_stages.py)."""


FOLD_PERIODS = 2 * StoreLimits().fold_every
"""Requests in a run of 1,000-line batches: a process folds the store's journal every
``fold_every``-th write, so a whole number of those periods carries its true share of folds
(two with one worker). With 48 requests, the best of 3 runs was one that held no fold."""

MISSED = 0.02
"""Steady state: the chance that a worker has not seen a given warm-up batch is below this."""


def warm_passes(workers: int) -> int:
    """Passes over the corpus before a steady-state run. The kernel hands each new connection
    to whichever worker accepts it first, so a worker sees a given batch of a pass with a
    chance of about ``1 / workers``; after n passes it has missed it with a chance of
    ``(1 - 1 / workers) ** n``, kept below :data:`MISSED` (2 workers: 6 passes)."""
    if workers == 1:
        return 1
    return math.ceil(math.log(MISSED) / math.log(1 - 1 / workers))


def measure(quick: bool) -> Results:
    """Run the measurements."""
    lines = corpus()
    plan = {1_000: 16 if quick else FOLD_PERIODS, 10_000: 4 if quick else 12}
    work = {size: batches(lines, size, n) for size, n in plan.items()}
    reps = 1 if quick else 3
    runs: dict[tuple[str, int, int], LineRun] = {}
    small: dict[int, Load] = {}
    tenant_patterns = 0
    tmp = Path(tempfile.mkdtemp(prefix="logsum-bench-api-"))
    try:
        for (mode, options), workers, (size, w) in itertools.product(
            MODES.items(), (1, 2), work.items()
        ):
            service = start_service(tmp, workers=workers)  # a fresh tenant for the first pass
            try:
                # First pass: every line is new to the service. Then steady state, as a
                # service runs: every worker has seen the tenant's lines (see warm_passes),
                # and the in-process engine has seen them once.
                warm = batches(lines, size, -(-len(lines) // size))
                first = run_load(service, warm, 4, warmup=0, options=options, keepalive=False)
                for _ in range(warm_passes(workers) - 1):
                    run_load(service, warm, 4, warmup=0, options=options, keepalive=False)
                load_ = max(
                    (
                        run_load(service, w, 4, warmup=0, options=options, keepalive=False)
                        for _ in range(reps)
                    ),
                    key=lambda run: run.lines_per_s,
                )  # best of reps, as for the engine
            finally:
                service.stop()
            for _ in range(reps - 1):  # the first pass too is the best of reps, fresh each time
                service = start_service(tmp, workers=workers)
                try:
                    again = run_load(service, warm, 4, warmup=0, options=options, keepalive=False)
                finally:
                    service.stop()
                first = max(first, again, key=lambda run: run.lines_per_s)
            run = LineRun(
                load_,
                engine_rate(w, warm=warm, reps=reps),
                engine_rate(w, warm=warm, analysis=True, reps=reps) if mode == "full" else None,
                first,
                engine_rate(warm, analysis=mode == "full", reps=reps),
            )
            runs[mode, workers, size] = run
            print(
                f"API ({mode}), {workers} worker(s), 4 clients, batches of {size:>6,}: "
                f"{load_.lines_per_s:>10,.0f} lines/s; engine in-process "
                f"{run.engine[0]:,.0f}: ratio {run.ratio:.2f} (CPU ratio {run.cpu_ratio:.2f})"
                + (
                    f"; engine + analysis in-process {run.full[0]:,.0f}: ratio "
                    f"{load_.lines_per_s / run.full[0]:.2f}"
                    if run.full
                    else ""
                )
                + f"; first pass {first.lines_per_s:,.0f} vs fresh engine "
                f"{run.first_engine[0] if run.first_engine else 0:,.0f}"
                + f"; errors {load_.errors}",
                flush=True,
            )
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
                    f"p99 {s.percentile(99):.1f} ms, server CPU {s.cpu_ms_per_request:.1f} ms "
                    f"per request (errors {s.errors})",
                    flush=True,
                )
            finally:
                service.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    import api_stages  # here: it imports this module

    stages = {size: api_stages.measure(size, full=False) for size in plan}
    return Results(runs, small, tenant_patterns, stages)


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
        "| batch | options | workers | API (lines/s) | engine in-process (lines/s) | "
        f"ratio (target {TARGET_RATIO}) | CPU ratio | engine + analysis in-process (lines/s) "
        "| ratio to it |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (mode, workers, size), run in sorted(res.lines.items(), key=lambda kv: kv[0][::-1]):
        verdict = "met" if run.ratio >= TARGET_RATIO else "missed"
        full = (
            f"{run.full[0]:,.0f} | {run.load.lines_per_s / run.full[0]:.2f}" if run.full else "| "
        )
        rows.append(
            f"| {size:,} lines | {mode} | {workers} | {run.load.lines_per_s:,.0f} | "
            f"{run.engine[0]:,.0f} | {run.ratio:.2f} ({verdict}) | {run.cpu_ratio:.2f} | {full} |"
        )
    first_rows = [
        "| batch | options | workers | API (lines/s) | fresh engine in-process (lines/s) | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for (mode, workers, size), run in sorted(res.lines.items(), key=lambda kv: kv[0][::-1]):
        if run.first is None or run.first_engine is None:
            continue
        first_rows.append(
            f"| {size:,} lines | {mode} | {workers} | {run.first.lines_per_s:,.0f} | "
            f"{run.first_engine[0]:,.0f} | {run.first.lines_per_s / run.first_engine[0]:.2f} |"
        )
    small = [
        "| workers | requests/s | p50 (ms) | p99 (ms) | server CPU per request (ms) | errors |",
        "|---|---|---|---|---|---|",
    ]
    for workers, s in res.small.items():
        small.append(
            f"| {workers} | {s.rps:,.0f} | {s.percentile(50):.1f} | {s.percentile(99):.1f} | "
            f"{s.cpu_ms_per_request:.1f} | {s.errors} |"
        )
    import api_stages  # here: it imports this module

    sizes = sorted(res.stages)
    stages = [api_stages.with_glue(res.stages[size][0]) for size in sizes]
    stage_rows = [
        "| stage | " + " | ".join(f"{size:,} lines" for size in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for name in (*api_stages.ORDER, "glue", "total"):
        cells = [per_size.get(name) for per_size in stages]
        if any(c is not None for c in cells):
            stage_rows.append(
                f"| {name} | " + " | ".join("" if c is None else f"{c:.2f}" for c in cells) + " |"
            )
    stage_rows.append(
        "| **engine / total** | "
        + " | ".join(f"**{st['engine'] / st['total']:.2f}**" for st in stages)
        + " |"
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
            "rate limits that never bind, each worker pinned to a core of its own with "
            "`LOGSUM_CPU_AFFINITY=true`, off by default). Client: this process, a bare "
            "HTTP/1.1 client on asyncio streams (requests encoded to bytes beforehand, "
            "response bodies read and discarded unparsed), kept lean like wrk so that it "
            "leaves the two cores it shares with the server to the server's workers; the "
            "numbers are what a client on the same host sees. "
            "The 4 clients posting "
            "batches open a connection per request, as a shipper posting every few seconds "
            "does (uvicorn closes connections idle for 5 s), which also lets the kernel hand "
            "each request to a free worker; the 16 clients of small requests keep theirs. "
            "Lines: the eight Loghub-2k systems, raw, interleaved. Every request runs through "
            "the tenant's warm engine (one per key per process, synchronised with the store) "
            "and commits its counts to the store, as in production.",
            "",
            "### Lines per second through `POST /v1/analyze`",
            "",
            "The ratio divides the API's rate by one engine in this process over the same "
            "batches in the same order (`Engine.process_many`), measured right after each API "
            "run so that both see the same load on the shared machine; best of "
            f"{1 if quick else 3} runs on each side (the API's on the same warm service, one "
            "after the other). Both in steady state and like for like: before timing, "
            "every service worker has seen the corpus (with 2 workers: 6 passes, after which a "
            "worker has missed a given batch with a chance below 2%, since the kernel hands "
            "each connection to either worker) and the in-process engine has seen it once, and "
            "the in-process engine runs with the service's garbage-collector setting "
            "(`LOGSUM_GC_GEN0_THRESHOLD`). *patterns only*: `find_anomalies` and "
            "`generate_insights` false. *full*: the default options; its last two columns "
            "compare with the same work in process (engine, the batch's patterns, and "
            "`analyze_batch`). Runs of 1,000-line batches are 128 requests: each worker "
            "process folds the store's journal into its pattern table every 64th write, and a "
            "run carries its share of that work. The CPU ratio divides lines per CPU second of "
            "the service's processes (user + system, from /proc) by the engine's.",
            "",
            *rows,
            "",
            "### First pass: every line new to the service and to the engine",
            "",
            "The same comparison on the first pass over the corpus (16,000 lines) by a fresh "
            "service and a fresh in-process engine (with the analysis in *full* mode): the "
            "regime where mining new shapes dominates; best of "
            f"{1 if quick else 3} runs on each side, each with a fresh service or engine. In "
            "10,000-line batches the pass is two requests, so the 4 clients are not all busy.",
            "",
            *first_rows,
            "",
            "### Small requests (10 lines), 16 concurrent clients",
            "",
            "Default options. One tenant; its stored patterns accumulate over the run "
            f"({res.tenant_patterns:,} at the end). With 2 workers both processes write to the "
            "same SQLite file.",
            "",
            *small,
            "",
            "### Where a request's CPU goes, without HTTP",
            "",
            "Command: `python bench/api_stages.py [--size N]`. The service's analysis "
            "(`AnalysisService.analyze_raw` on request bodies as bytes, a warm tenant, a "
            "SQLite store) driven in this process, patterns only, with each stage timed by "
            "thread CPU time; milliseconds per request. *engine / total* is the highest "
            "line-rate ratio a service doing this work could reach with an HTTP layer that "
            "cost nothing and one core: parsing the body, writing the counts durably to the "
            "store and returning the patterns are part of every request. The HTTP layer itself "
            "(uvicorn, routing, key and rate-limit checks, middleware) costs about what a "
            "small request costs in all (the table above).",
            "",
            *stage_rows,
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
