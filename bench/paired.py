"""Before and after: ``logsum parse`` of two source trees against Drain3, paired, whole processes.

    python bench/paired.py --before /tmp/main-src --reps 7 --stream mixed --stream corpus

``--before`` is the ``src`` directory of the code to compare against (for example
``git archive main src | tar -x -C /tmp/main``, then ``/tmp/main/src``); the code after is this
checkout's ``src``. Each repetition runs Drain3, ``logsum parse`` of the code before and of the
code after on the same stream file (``bench/speed.py`` writes the streams to ``.bench/``), in an
order rotated from one repetition to the next, and divides Drain3's CPU and wall time by each
LogSum run's. Reported: the median of those per-repetition ratios, and of the after / before CPU
ratio. On a shared machine the absolute times drift with other load; ratios within one
repetition are the steadier figure, CPU more than wall.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

from speed import Run, compile_bytecode, corpus_size, stream_file, time_process

_BENCH = Path(__file__).resolve().parent
_AFTER = _BENCH.parent / "src"


def _logsum(src: Path, path: Path) -> list[str]:
    code = f"import sys; sys.path.insert(0, {str(src)!r}); from logsum.cli import main; main()"
    return [sys.executable, "-c", code, "parse", str(path)]


def _compile(src: Path) -> None:
    import compileall

    compileall.compile_dir(str(src / "logsum"), quiet=1)


def paired(before: Path, path: Path, reps: int) -> dict[str, list[Run]]:
    """Runs of each job (``drain3``, ``before``, ``after``) on ``path``, one per repetition."""
    jobs = {
        "drain3": [sys.executable, str(_BENCH / "drain3_parse.py"), str(path)],
        "before": _logsum(before, path),
        "after": _logsum(_AFTER, path),
    }
    names = list(jobs)
    runs: dict[str, list[Run]] = {name: [] for name in names}
    for r in range(reps):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            runs[name].append(time_process(jobs[name]))
    return runs


def report(stream: str, path: Path, runs: dict[str, list[Run]]) -> str:
    drain3 = runs["drain3"]
    out = [f"{stream} ({path.name}), {len(drain3)} repetitions, load {os.getloadavg()[0]:.1f}"]
    for name in ("before", "after"):
        mine = runs[name]
        cpu = statistics.median(
            d.cpu_seconds / m.cpu_seconds for d, m in zip(drain3, mine, strict=True)
        )
        wall = statistics.median(d.seconds / m.seconds for d, m in zip(drain3, mine, strict=True))
        med = statistics.median(m.cpu_seconds for m in mine)
        out.append(f"  {name:6s} Drain3/LogSum CPU {cpu:.2f}x, wall {wall:.2f}x (CPU {med:.2f} s)")
    ratio = statistics.median(
        a.cpu_seconds / b.cpu_seconds for a, b in zip(runs["after"], runs["before"], strict=True)
    )
    drain3_cpu = statistics.median(d.cpu_seconds for d in drain3)
    out.append(f"  after/before CPU {ratio:.3f}; Drain3 CPU {drain3_cpu:.2f} s")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--before", type=Path, required=True, help="src directory of the code before"
    )
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument(
        "--stream", action="append", choices=("mixed", "shifted", "corpus"), help="default: mixed"
    )
    parser.add_argument("--size", type=int, default=100_000, help="mixed and shifted stream lines")
    args = parser.parse_args(argv)
    compile_bytecode()  # this checkout's code, as bench/speed.py times it
    for src in (args.before, _AFTER):
        _compile(src)
    for stream in args.stream or ["mixed"]:
        path = stream_file(corpus_size() if stream == "corpus" else args.size, stream)
        print(report(stream, path, paired(args.before, path, args.reps)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
