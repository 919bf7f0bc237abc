"""The pattern store's write path in process, on SQLite: journal writes, folds, key checks.

::

    PYTHONPATH=src python bench/store_write.py [--writes 200] [--patterns 60] [--rounds 5]

Each round opens a fresh database in a temporary folder and times, in one thread:

- ``upsert``: ``--writes`` calls of :meth:`Store.upsert_patterns` for one tenant, each a batch
  of ``--patterns`` deltas with examples (every ``fold_every``-th call folds, as in service);
- ``fold``: one read of the tenant's patterns after ``fold_every - 1`` more writes (the read
  folds the journal first);
- ``auth``: ``--writes`` calls of :meth:`Store.authenticate` (the driver fast path).

Prints, per call of each and over the rounds, the median and the least wall time and the
median CPU time of the process, in microseconds (on a shared machine the CPU time and the
least wall time move the least with other load).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from logsum.store import PatternDelta, Store, Tier


def _deltas(n: int, call: int) -> list[PatternDelta]:
    base = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=call)
    return [
        PatternDelta(
            f"p{i:04d}",
            f"user <*> did thing {i} from <*>",
            "info",
            3,
            base,
            base + timedelta(seconds=1),
            ((f"u{call % 7}",), (f"10.0.0.{i % 9}",)),
        )
        for i in range(n)
    ]


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float], calls: int) -> tuple[float, float]:
    wall, cpu = _clock()
    return (wall - start[0]) / calls, (cpu - start[1]) / calls


def _round(writes: int, patterns: int) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        store.migrate()
        record, plaintext = store.create_key("bench", Tier.PRO)
        batches = [_deltas(patterns, c) for c in range(writes)]
        t0 = _clock()
        for batch in batches:
            store.upsert_patterns(record.id, batch)
        upsert = _since(t0, writes)
        for batch in batches[: store.limits.fold_every - 1]:
            store.upsert_patterns(record.id, batch)
        t0 = _clock()
        store.list_patterns(record.id, limit=50)
        fold = _since(t0, 1)
        t0 = _clock()
        for _ in range(writes):
            assert store.authenticate(plaintext) is not None
        auth = _since(t0, writes)
        store.close()
    return {"upsert": upsert, "fold": fold, "auth": auth}


def main() -> None:
    """Run the rounds and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--patterns", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results = [_round(args.writes, args.patterns) for _ in range(args.rounds)]
    for name in ("upsert", "fold", "auth"):
        wall = sorted(r[name][0] * 1e6 for r in results)
        cpu = statistics.median(r[name][1] * 1e6 for r in results)
        print(
            f"{name:7s} wall median {statistics.median(wall):9.1f} us, min {wall[0]:9.1f} us;"
            f" cpu median {cpu:9.1f} us"
        )


if __name__ == "__main__":
    main()
