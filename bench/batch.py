"""``make bench-batch``: one process against a local Dask cluster on one generated file.

    python bench/batch.py              # 2,000,000 lines, 2 workers; writes docs/BENCHMARKS-batch.md
    python bench/batch.py --lines 200000 --no-write     # a quick look

Both runs read the same file in the same run (the machine may be shared: the ratio is what
counts). One process: the file as one partition through one engine (``mine_part``, the code a
worker runs). Cluster: ``logsum.batch.mine`` on a ``LocalCluster`` of N single-threaded worker
processes (started before the clock starts), the file cut into 4 partitions per worker, the
patterns merged on the client; the time includes the merge. The per-worker rate is lines over
the summed task seconds: a cluster of W such workers mines about W times it (plus the merge).
Memory: each worker's peak resident set after the job, and the JSON size of the states the
workers send back (what a worker keeps grows with patterns, not lines).

The lines are written here from a few dozen message shapes of common logging libraries with
random values (no public corpus), with a Java stack trace now and then.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from run import commit, machine

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "BENCHMARKS-batch.md"

SHAPES = [
    "{ts} INFO  [main] c.e.web.RequestLog - GET /api/v1/items/{n} 200 {ms}ms",
    "{ts} INFO  [pool-{k}-thread-{j}] c.e.jobs.Runner - Job {n} finished in {ms} ms",
    "{ts} WARN  [main] c.e.cache.Cache - Cache region-{k} is {pct}% full",
    "{ts} ERROR [worker-{j}] c.e.db.Pool - Connection to 10.0.{k}.{j}:5432 refused",
    "{ts} DEBUG [io-{j}] c.e.net.Conn - Read {n} bytes from 192.168.{k}.{j}",
    "{ts} INFO  [sched] c.e.sched.Timer - Next run of task-{k} at {ts2}",
    "{ts} INFO  [auth] c.e.auth.Login - User user{n} logged in from 172.16.{k}.{j}",
    "{ts} WARN  [auth] c.e.auth.Login - Failed password for user{n} from 172.16.{k}.{j}",
    "{ts} INFO  [kafka] o.a.k.c.Consumer - Committed offset {n} for partition topic-{k}",
    "{ts} ERROR [worker-{j}] c.e.jobs.Runner - Job {n} failed: timeout after {ms} ms",
    "{ts} INFO  [http] c.e.web.Server - Started server on port {port}",
    "{ts} INFO  [gc] c.e.jvm.Gc - GC pause {ms} ms, heap {pct}% used",
]
TRACE = [
    "java.lang.IllegalStateException: state {k}",
    "\tat com.example.jobs.Runner.run(Runner.java:{j})",
    "\tat java.base/java.lang.Thread.run(Thread.java:833)",
]


def generate(path: Path, n: int, seed: int = 11) -> int:
    """Write ``n`` lines to ``path``; returns the bytes written."""
    rng = random.Random(seed)
    written = 0
    with open(path, "w", encoding="utf-8") as f:
        buf: list[str] = []
        i = 0
        while i < n:
            sec = i // 50
            day = 1 + sec // 86400 % 28
            clock = f"{sec // 3600 % 24:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"
            ts = f"2026-03-{day:02d} {clock},{i % 1000:03d}"
            values = {
                "ts": ts,
                "ts2": ts,
                "n": rng.randrange(1_000_000),
                "ms": rng.randrange(5000),
                "k": rng.randrange(64),
                "j": rng.randrange(32),
                "pct": rng.randrange(100),
                "hex": f"{rng.getrandbits(48):012x}",
                "port": rng.randrange(1024, 65535),
            }
            shape = SHAPES[rng.randrange(len(SHAPES))]
            buf.append(shape.format(**values))
            i += 1
            if "ERROR" in shape and rng.random() < 0.2:
                for t in TRACE:
                    if i < n:
                        buf.append(t.format(**values))
                        i += 1
            if len(buf) >= 10_000:
                text = "\n".join(buf) + "\n"
                written += f.write(text)
                buf.clear()
        if buf:
            written += f.write("\n".join(buf) + "\n")
    return written


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="back-to-back pairs of runs")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    from distributed import Client, LocalCluster

    from logsum.batch import expand, mine, plan
    from logsum.batch.work import EngineOptions, mine_part
    from logsum.core.merge import merge_states

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.log"
        size = generate(path, args.lines)
        print(f"{args.lines:,} lines, {size / 2**20:.0f} MiB", file=sys.stderr)

        whole = plan(expand([str(path)]), partitions=1)[0]
        pairs: list[tuple[float, float]] = []  # (one process, workers) seconds, back to back
        with (
            LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
            ) as cluster,
            Client(cluster) as client,
        ):
            # Alternated, so that a burst of other work on the machine hits both alike.
            merge_s = 0.0
            for _ in range(args.repeat):
                t = time.perf_counter()
                single = mine_part(whole, EngineOptions())
                one = time.perf_counter() - t
                t = time.perf_counter()
                result = mine([str(path)], client=client, partitions=4 * args.workers)
                t_merge = time.perf_counter()
                merge_states([s.state for s in result.summaries])
                merge_s = time.perf_counter() - t_merge
                pairs.append((one, time.perf_counter() - t))
                print(f"one process {one:.1f} s, workers {pairs[-1][1]:.1f} s", file=sys.stderr)
            peaks = client.run(_peak_rss_mib)
        # The pair with the median ratio: each pair ran back to back, under about the same load.
        one_s, many_s = sorted(pairs, key=lambda p: p[0] / p[1])[len(pairs) // 2]
        one_rate = single.lines / one_s
        many_rate = result.lines / many_s
        task_s = sum(s.seconds for s in result.summaries)
        per_worker = result.lines / task_s
        per_cpu = result.lines / sum(s.cpu_seconds for s in result.summaries)
        one_cpu = single.lines / single.cpu_seconds
        state_kib = [len(json.dumps(s.state)) / 1024 for s in result.summaries]
        merged_patterns = len(result.patterns)
        assert result.lines == single.lines, (result.lines, single.lines)
        print(
            f"{args.workers} workers: {many_s:.1f} s, {many_rate:,.0f} lines/s "
            f"({many_rate / one_rate:.2f}x); per worker {per_worker:,.0f} lines/s",
            file=sys.stderr,
        )

    ratio = many_rate / one_rate
    workers_row = f"{args.workers} local workers, {len(result.parts)} partitions, merge included"
    if ratio > args.workers * 1.05:
        # More than W times faster on W workers: other work slowed the one-process runs.
        verdict = (
            f"not shown: {ratio:.2f}x is more than {args.workers} workers can give, so other "
            "work on the machine slowed the one-process runs; by CPU time per line, "
            f"{args.workers} workers on free cores would give about "
            f"{args.workers * per_cpu / one_cpu:.2f}x"
        )
    elif ratio >= 1.6:
        verdict = "met"
    else:
        verdict = (
            f"not met by wall clock; by CPU time per line, {args.workers} workers on free "
            f"cores would give about {args.workers * per_cpu / one_cpu:.2f}x"
        )
    text = f"""## Batch on Dask (`make bench-batch`)

{args.lines:,} generated lines ({size / 2**20:.0f} MiB, {merged_patterns} merged patterns), one
run, the two alternated {args.repeat} times (the pair with the median ratio is shown; all
pairs' ratios: {", ".join(f"{a / b:.2f}x" for a, b in pairs)}); {machine()}; commit {commit()}.
**The machine was shared with other jobs while this ran**: the absolute rates drift; the ratio
is the comparison.

| run | seconds | lines/s | vs one process |
|---|---:|---:|---:|
| one process (one engine, the whole file) | {one_s:.1f} | {one_rate:,.0f} | 1.00x |
| {workers_row} | {many_s:.1f} | {many_rate:,.0f} | {ratio:.2f}x |

- Per worker: {per_worker:,.0f} lines/s of wall time (lines over summed task seconds; other
  processes on the machine take their share of it), {per_cpu:,.0f} lines per CPU second,
  against {one_cpu:,.0f} lines per CPU second in the one process: what a worker costs per line
  is {one_cpu / per_cpu:.2f}x of one process's, so on W free cores W workers mine about
  {per_cpu / one_cpu:.2f} W times as fast as one process (plus the merge, {merge_s:.2f} s here).
- Peak resident memory per worker after the job: {", ".join(f"{v:.0f} MiB" for v in peaks.values())}
  (the interpreter with logsum, dask and distributed loaded is most of it). What a partition
  sends back is its engine state: {min(state_kib):.0f}-{max(state_kib):.0f} KiB each, for
  {result.lines // len(result.parts):,} lines per partition; it grows with patterns, not lines.
- Target: 2 workers at 1.6x or more the lines/s of one process: **{verdict}** in this run.
"""
    print(text)
    if not args.no_write:
        DOC.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
