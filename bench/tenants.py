"""``make bench``, many tenants: one service process serving 1, 100, 200 and 1,000 active keys.

    python bench/tenants.py            # writes the "Many tenants" section of docs/BENCHMARKS-api.md
    python bench/tenants.py --quick    # fewer requests, printed only

One ``logsum serve`` process (one worker, SQLite, default settings: the engines' memory budget
``LOGSUM_ENGINE_MEMORY_MIB`` is 1,536), 8 concurrent clients keeping their connections, posting
200-line batches of mixed raw lines (the eight Loghub-2k systems interleaved, default options)
with the keys taken round-robin: request ``i`` carries batch ``i mod 80`` of the corpus and key
``i mod K``. Each run first sends the run's requests once (warm-up: every key sees the batches
it will be sent), then times the same requests again. The runs go one after the other on the
same process (1, 100, 200, 1,000 keys, then 1 key again to show drift), so every ratio compares
like with like on a shared machine.
Memory: the process's resident set (VmRSS) after each run and its peak (VmHWM).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import orjson

from api import DOC, Load, Service, _load, batches, corpus, cpu_seconds, start_service
from logsum.store import Store, Tier

CLIENTS = 8
BATCH = 200
KEYS = (1, 100, 200, 1_000)
SECTION = "## Many tenants"


def _memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def _request(host: str, key: str, body: bytes) -> bytes:
    head = (
        f"POST /v1/analyze HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


@dataclass(frozen=True)
class Run:
    """One measured run."""

    keys: int
    load: Load
    rss: float
    peak: float


def _run(
    service: Service, keys: Sequence[str], bodies: Sequence[bytes], n: int, k: int
) -> tuple[Load, float]:
    """Post ``n`` requests (request ``i``: body ``i mod len(bodies)``, key ``i mod k``) from
    :data:`CLIENTS` clients; the load and the server's CPU seconds."""
    host = urlsplit(service.url).netloc
    requests = [_request(host, keys[i % k], bodies[i % len(bodies)]) for i in range(n)]
    before = cpu_seconds(service.proc.pid)
    load = asyncio.run(_load(service, requests, BATCH, CLIENTS, raw=True))
    return load, cpu_seconds(service.proc.pid) - before


def measure(quick: bool) -> list[Run]:
    """Run the measurements."""
    lines = corpus()
    bodies = [orjson.dumps({"logs": b}) for b in batches(lines, BATCH, len(lines) // BATCH)]
    tmp = Path(tempfile.mkdtemp(prefix="logsum-bench-tenants-"))
    service = start_service(tmp, workers=1, extra_env={"LOGSUM_CPU_AFFINITY": "false"})
    runs: list[Run] = []
    try:
        data = next(tmp.iterdir())  # start_service's data directory
        store = Store(f"sqlite:///{data / 'logsum.db'}")
        try:
            keys = [service.key] + [
                store.create_key(f"tenant-{i}", Tier.ENTERPRISE)[1] for i in range(1, max(KEYS))
            ]
        finally:
            store.close()
        timed = 400 if quick else 2_000
        for k in (*KEYS, 1):
            _run(service, keys, bodies, timed, k)  # every key sees its batches once
            load, cpu = _run(service, keys, bodies, timed, k)
            rss, peak = _memory(service.proc.pid)
            load = Load(load.requests, load.lines, load.seconds, load.latencies, load.errors, cpu)
            run = Run(k, load, rss, peak)
            runs.append(run)
            print(
                f"{k:>5} keys: {load.rps:6.1f} req/s, p50 {load.percentile(50):6.1f} ms, "
                f"p99 {load.percentile(99):6.1f} ms, server CPU {run.load.cpu_ms_per_request:.1f} "
                f"ms/request, RSS {rss:.0f} MiB (peak {peak:.0f}), "
                f"errors {load.errors}",
                flush=True,
            )
    finally:
        service.stop()
    return runs


def markdown(runs: Sequence[Run], quick: bool) -> str:
    """The section of docs/BENCHMARKS-api.md."""
    base = runs[0].load
    rows = [
        "| active keys | requests/s | ratio to 1 key | p50 (ms) | p99 (ms) | p99 ratio | "
        "server CPU per request (ms) | RSS after (MiB) | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for i, run in enumerate(runs):
        load = run.load
        label = f"{run.keys:,}" + (" (again, last)" if i == len(runs) - 1 else "")
        rows.append(
            f"| {label} | {load.rps:,.0f} | {load.rps / base.rps:.2f} | "
            f"{load.percentile(50):.0f} | {load.percentile(99):.0f} | "
            f"{load.percentile(99) / base.percentile(99):.2f} | {load.cpu_ms_per_request:.1f} | "
            f"{run.rss:.0f} | {load.errors} |"
        )
    peak = max(r.peak for r in runs)
    return "\n".join(
        [
            SECTION,
            "",
            f"Command: `python bench/tenants.py{' --quick' if quick else ''}` (part of `make "
            f"bench`). Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. The machine "
            "(2 cores) was shared with other work while this ran: compare the ratios, not the "
            "absolute numbers.",
            "",
            "One `logsum serve` process (one worker, SQLite, default settings, so an engine "
            "memory budget `LOGSUM_ENGINE_MEMORY_MIB` of 1,536), 8 concurrent clients keeping "
            "their connections, each request 200 raw lines of the eight Loghub-2k systems "
            "interleaved, default options; request *i* carries batch *i* mod 80 and key *i* mod "
            "K. Each run first sends its requests once (every key sees the batches it will be "
            f"sent), then times the same {runs[0].load.requests:,} requests again; the runs "
            "follow each other on the same process, ending with the one-key run again. Ratios "
            "are to the first one-key run. "
            f"The process's peak resident memory over all runs: {peak:.0f} MiB.",
            "",
            *rows,
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests; print only")
    args = parser.parse_args(argv)
    runs = measure(args.quick)
    text = markdown(runs, args.quick)
    if args.quick:
        print(text)
        return 0
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    head = doc.split(SECTION, 1)[0].rstrip("\n")
    DOC.write_text((head + "\n\n" if head else "") + text, encoding="utf-8")
    print(f"wrote the many-tenant section of {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
