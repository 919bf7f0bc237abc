"""Speed and scale: ``logsum parse`` against Drain3 and the floor, as whole processes.

    python bench/speed.py              # 100k and 1M lines, 3 repetitions, median
    python bench/speed.py --reps 1     # a quick look
    python bench/speed.py --profile 25 --size 100000   # where `logsum parse` spends its time
    python bench/speed.py --stream corpus --stream mixed --stream shifted --size 100000

Three streams (``--stream``, default ``mixed``; several may be given):

``mixed``: raw lines mixing the eight Loghub-2k systems with changing variables:
copy ``k`` (k = 0, 1, 2, ...) of the data takes 100-line slices of each system in turn and adds
``k`` to every digit run of the *message* (the header, found with the system's Loghub format, is
left alone so its timestamps stay valid). A digit run glued after a letter, digit or
underscore (``ext3``, ``jk2_init``, ``enable_2G``) is a name, not a number, and is left alone, as
is the ``0`` of a ``0x`` prefix; runs up to 255 wrap within 0..255 (IP octets stay octets);
longer runs keep their width.

``shifted``: the eight systems interleaved line by line, with values that repeat less: each
line comes from a system drawn at random (seed ``SHIFTED_SEED``; each system's lines in their
order, starting over when used up) and the numbers of its message are shifted as in ``mixed``
by an amount drawn for that line alone (0..999), so short numbers often change length and
nearby lines rarely share their digits. It runs at the smallest mixed size only.

``corpus``: lines of formats the Loghub data lacks, with values that repeat less: the lines of
the hand-written format families of ``tests/corpus/`` (156 now) (files in path order, lines in file
order), copied; copy ``k`` maps every whole number (not glued to a word character) in the last
two thirds of each line (the first third, where the header mostly sits, is left alone) to
``n * (k + 1) + k``, so its digits and often its length change; all copies shuffled with a
fixed seed. The default is 60 copies (``CORPUS_COPIES``: 37,020 lines); a ``--size`` asks for
as many copies as needed and keeps the first lines after the shuffle.

The streams are written once to ``.bench/``.

Each job is timed as a whole process (start-up, reading, mining, writing JSON Lines to
``/dev/null``), with its peak resident memory from ``wait4``:

* ``logsum parse FILE``;
* ``python bench/drain3_parse.py FILE``: Drain3 defaults, one JSON object per line;
* ``python bench/floor_parse.py FILE``: read, split tokens, one JSON object per line; no mining.

Jobs alternate within each repetition, so background load hits them alike; the median of the
repetitions is reported. One extra run of each parser, piped, counts its output lines (must equal
the input lines) and its distinct patterns.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from loghub import ROOT, SYSTEMS, load

CORPUS = ROOT / "tests" / "corpus"
"""The format corpus the ``corpus`` stream is made of."""

OUT_DIR = ROOT / ".bench"
"""Where the generated streams live (git-ignored)."""
SLICE = 100
"""Lines of one system taken in turn when mixing."""
STREAM_VERSION = 2
"""Bump when the generator changes, so old stream files are not reused."""
SIZES = (100_000, 1_000_000)
"""Stream lengths: the speed comparison runs on the first, the scale check on both."""
STREAMS = ("mixed", "shifted", "corpus")
"""The streams, by name (see the module docstring)."""
CORPUS_COPIES = 60
"""Copies of the format corpus in the ``corpus`` stream when no size is given."""
CORPUS_SEED = 3
"""Seed of the ``corpus`` stream's shuffle."""
CORPUS_STREAM_VERSION = 1
"""Bump when the ``corpus`` generator changes."""
SHIFTED_SEED = 7
"""Seed of the ``shifted`` stream's interleaving and per-line shifts."""
SHIFTED_STREAM_VERSION = 1
"""Bump when the ``shifted`` generator changes."""

# A whole digit run that is not glued after a letter, digit or underscore (``ext3``,
# ``jk2_init``, ``enable_2G``: names, not numbers) and is not the ``0`` of a ``0x`` prefix.
_NUMBER = re.compile(r"(?<![A-Za-z0-9_])\d+(?![\dxX])")
# In the corpus stream: a whole number, not glued to a word character on either side.
_WHOLE_NUMBER = re.compile(r"(?<!\w)\d+(?!\w)")
_BENCH = Path(__file__).resolve().parent


def _shift(run: str, k: int) -> str:
    v = int(run)
    if len(run) <= 3 and v <= 255:
        return str((v + k) % 256).zfill(len(run) if run[0] == "0" else 1)
    return str((v + k) % 10 ** len(run)).zfill(len(run))


def stream_lines(n: int) -> list[str]:
    """The first ``n`` lines of the mixed stream (deterministic)."""
    systems = [load(name) for name in SYSTEMS]
    out: list[str] = []
    k = 0
    while len(out) < n:

        def shift(m: re.Match[str], k: int = k) -> str:
            return _shift(m.group(), k)

        for start in range(0, 2000, SLICE):
            for s in systems:
                for i in range(start, min(start + SLICE, len(s.raw))):
                    line, cut = s.raw[i], s.header_len[i]
                    if k:
                        line = line[:cut] + _NUMBER.sub(shift, line[cut:])
                    out.append(line)
        k += 1
    return out[:n]


def shifted_lines(n: int) -> list[str]:
    """The first ``n`` lines of the ``shifted`` stream (deterministic): the eight systems
    interleaved line by line (each line from a system drawn at random, each system's lines in
    their order, its data restarting when used up), every line with its own shift of the
    numbers of its message (as in ``mixed``, but drawn per line from 0..999)."""
    systems = [load(name) for name in SYSTEMS]
    rng = random.Random(SHIFTED_SEED)
    at = [0] * len(systems)
    out: list[str] = []
    while len(out) < n:
        s = systems[rng.randrange(len(systems))]
        i = at[systems.index(s)] % len(s.raw)
        at[systems.index(s)] += 1
        k = rng.randrange(1000)

        def shift(m: re.Match[str], k: int = k) -> str:
            return _shift(m.group(), k)

        line, cut = s.raw[i], s.header_len[i]
        out.append(line[:cut] + _NUMBER.sub(shift, line[cut:]))
    return out


def corpus_families() -> list[list[str]]:
    """The lines of each format family of ``tests/corpus/`` (files in path order)."""
    families = []
    for path in sorted(CORPUS.glob("*/*.jsonl")):
        rows = [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()]
        families.append([row["line"] for row in rows[1:] if "line" in row])
    return families


def corpus_size() -> int:
    """Lines of the ``corpus`` stream at its default length (``CORPUS_COPIES`` copies)."""
    return CORPUS_COPIES * sum(len(f) for f in corpus_families())


def corpus_lines(n: int) -> list[str]:
    """The first ``n`` lines of the ``corpus`` stream (deterministic)."""
    families = corpus_families()
    per_copy = sum(len(f) for f in families)
    out: list[str] = []
    for k in range(-(-n // per_copy)):

        def shift(m: re.Match[str], k: int = k) -> str:
            return str(int(m.group()) * (k + 1) + k)

        for lines in families:
            for line in lines:
                cut = len(line) // 3
                out.append(line[:cut] + _WHOLE_NUMBER.sub(shift, line[cut:]))
    random.Random(CORPUS_SEED).shuffle(out)
    return out[:n]


def _stream_path(stream: str, n: int) -> Path:
    if stream == "corpus":
        return OUT_DIR / f"corpus-v{CORPUS_STREAM_VERSION}-{n}.log"
    if stream == "shifted":
        return OUT_DIR / f"shifted-v{SHIFTED_STREAM_VERSION}-{n}.log"
    return OUT_DIR / f"mixed-v{STREAM_VERSION}-{n}.log"


def stream_file(n: int, stream: str = "mixed") -> Path:
    """The ``stream`` of ``n`` lines as a file under ``.bench/`` (written on first use)."""
    path = _stream_path(stream, n)
    if not path.exists():
        # In a child process: building a million lines here would leave this process large,
        # and Linux carries a parent's peak RSS into the children it forks (ru_maxrss).
        argv = [sys.executable, __file__, "--write-stream", str(n), "--stream", stream]
        subprocess.run(argv, check=True)
    return path


def _write_stream(n: int, stream: str) -> None:
    path = _stream_path(stream, n)
    OUT_DIR.mkdir(exist_ok=True)
    make = {"corpus": corpus_lines, "shifted": shifted_lines}.get(stream, stream_lines)
    lines = make(n)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


@dataclass(frozen=True, slots=True)
class Run:
    """One timed process."""

    seconds: float
    cpu_seconds: float
    """User + system CPU time of the process (less sensitive to a busy machine than wall)."""
    max_rss_kib: int


@dataclass(frozen=True, slots=True)
class Job:
    """One command on one stream, repeated."""

    name: str
    lines: int
    runs: tuple[Run, ...]
    patterns: int | None
    stream: str = "mixed"

    @property
    def seconds(self) -> float:
        """Median wall time."""
        return statistics.median(r.seconds for r in self.runs)

    @property
    def cpu_seconds(self) -> float:
        """Median CPU time (user + system)."""
        return statistics.median(r.cpu_seconds for r in self.runs)

    @property
    def rate(self) -> float:
        """Lines per second at the median time."""
        return self.lines / self.seconds

    @property
    def max_rss_mib(self) -> float:
        """Peak resident memory (largest over the runs), MiB."""
        return max(r.max_rss_kib for r in self.runs) / 1024


def command(job: str, path: Path) -> list[str]:
    """The argv of ``job`` (``logsum``, ``drain3`` or ``floor``) on ``path``."""
    logsum = Path(sys.executable).with_name("logsum")
    if job == "logsum":
        if logsum.exists():
            return [str(logsum), "parse", str(path)]
        return [sys.executable, "-c", "from logsum.cli import main; main()", "parse", str(path)]
    if job == "drain3":
        return [sys.executable, str(_BENCH / "drain3_parse.py"), str(path)]
    if job == "floor":
        return [sys.executable, str(_BENCH / "floor_parse.py"), str(path)]
    raise ValueError(f"unknown job {job!r}")


def child_env() -> dict[str, str]:
    """The environment of the timed jobs: this checkout's ``src`` first on ``PYTHONPATH``, so
    ``logsum parse`` runs the code of the tree this script is in (the jobs run in the temporary
    directory, where a relative ``PYTHONPATH=src`` would fall back to whatever copy is
    installed)."""
    env = dict(os.environ)
    paths = [str(ROOT / "src"), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def compile_bytecode() -> None:
    """Write the bytecode of the ``logsum`` package the jobs import, as installing it does
    (pip compiles a package's modules when it installs them; Drain3's run from compiled
    bytecode in site-packages). Without it, under ``PYTHONDONTWRITEBYTECODE`` every
    ``logsum parse`` compiled LogSum's sources again (about 0.05 s CPU a run) while Drain3's
    runs did not."""
    code = (
        "import compileall, os, logsum; "
        "compileall.compile_dir(os.path.dirname(logsum.__file__), quiet=1)"
    )
    subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=tempfile.gettempdir(), env=child_env()
    )


def time_process(argv: Sequence[str]) -> Run:
    """Run ``argv`` with stdout to /dev/null; wall time and peak RSS of that one child."""
    with open(os.devnull, "wb") as devnull, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdout=devnull, stderr=err, cwd=tempfile.gettempdir(), env=child_env()
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{argv} failed ({proc.returncode}): {err.read()[-2000:]!r}")
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


_ID_KEYS = {"logsum": b'"pattern_id":', "drain3": b'"cluster_id":'}


def count_patterns(job: str, path: Path, lines: int) -> int | None:
    """Run ``job`` once, piped: check one output line per input line; count distinct ids."""
    key = _ID_KEYS.get(job)
    if key is None:
        return None
    ids: set[bytes] = set()
    out_lines = 0
    with subprocess.Popen(
        command(job, path), stdout=subprocess.PIPE, cwd=tempfile.gettempdir(), env=child_env()
    ) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            out_lines += 1
            at = raw.find(key) + len(key)
            ids.add(raw[at : raw.find(b",", at)])
    if proc.returncode != 0 or out_lines != lines:
        raise RuntimeError(f"{job}: exit {proc.returncode}, {out_lines} output lines for {lines}")
    return len(ids)


@dataclass(frozen=True, slots=True)
class SpeedReport:
    """Every job of one benchmark run."""

    jobs: tuple[Job, ...]
    reps: int
    startup: tuple[Run, ...] = ()
    """``logsum parse`` on an empty file: the fixed cost of a run (interpreter, imports)."""
    engine_cpu: dict[str, float] = dataclasses.field(default_factory=dict)
    """CPU seconds of the engine alone on each stream's smallest size, in-process (median)."""

    def get(self, name: str, lines: int, stream: str = "mixed") -> Job | None:
        """The job ``name`` on the ``lines``-line ``stream``, if it ran."""
        return next(
            (j for j in self.jobs if j.name == name and j.lines == lines and j.stream == stream),
            None,
        )


def run(
    reps: int = 3,
    sizes: Sequence[int] = SIZES,
    drain3_sizes: Sequence[int] | None = None,
    streams: Sequence[str] = ("mixed",),
    corpus_sizes: Sequence[int] | None = None,
) -> SpeedReport:
    """Time LogSum and the floor at every size and Drain3 at ``drain3_sizes`` (default: the
    smallest size), ``reps`` times each, alternating; then count patterns. ``sizes`` are the
    ``mixed`` stream's; the ``corpus`` stream runs at ``corpus_sizes`` (default: its
    ``CORPUS_COPIES`` copies), Drain3 at its smallest."""
    plan: list[tuple[str, str, int]] = []
    for stream in streams:
        if stream == "corpus":
            ns = list(corpus_sizes) if corpus_sizes else [corpus_size()]
            d3 = [min(ns)]
        elif stream == "shifted":
            ns = d3 = [min(sizes)]  # a speed comparison; the scale check is the mixed stream's
        else:
            ns = list(sizes)
            d3 = list(drain3_sizes) if drain3_sizes is not None else [min(sizes)]
        plan += [
            (job, stream, n)
            for n in ns
            for job in ("logsum", "drain3", "floor")
            if job != "drain3" or n in d3
        ]
    files = {(stream, n): stream_file(n, stream) for _, stream, n in plan}
    smallest = {s: min(n for _, t, n in plan if t == s) for s in streams}
    empty = OUT_DIR / "empty.log"
    empty.write_bytes(b"")
    compile_bytecode()
    startup: list[Run] = []
    engine_cpu: dict[str, list[float]] = {s: [] for s in streams}
    runs: dict[tuple[str, str, int], list[Run]] = {key: [] for key in plan}
    for rep in range(reps):
        for job, stream, n in plan:
            r = time_process(command(job, files[stream, n]))
            runs[job, stream, n].append(r)
            print(
                f"  [{rep + 1}/{reps}] {job:>6} {stream:>6} {n:>9,} lines: {r.seconds:7.2f} s "
                f"(cpu {r.cpu_seconds:6.2f} s) "
                f"{n / r.seconds:>10,.0f} lines/s  {r.max_rss_kib / 1024:7.1f} MiB",
                file=sys.stderr,
            )
        startup.append(time_process(command("logsum", empty)))
        for stream in streams:
            engine_cpu[stream].append(engine_only_in_child(files[stream, smallest[stream]]))
    jobs = tuple(
        Job(job, n, tuple(runs[job, stream, n]), count_patterns(job, files[stream, n], n), stream)
        for job, stream, n in plan
    )
    medians = {s: statistics.median(v) for s, v in engine_cpu.items()}
    return SpeedReport(jobs, reps, tuple(startup), medians)


def engine_only_in_child(path: Path) -> float:
    """:func:`engine_only` in a child process (keeps this process, and so the peak RSS its
    children report, small)."""
    out = subprocess.run(
        [sys.executable, __file__, "--engine-only", str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=child_env(),
    )
    return float(out.stdout.strip())


def engine_only(path: Path) -> float:
    """CPU seconds of one engine over the lines of ``path``, in this process: no start-up,
    no spool, no output. Uses ``Engine.process_compact`` when the engine has it (the call
    ``logsum parse`` makes), else ``Engine.process``."""
    import io

    from logsum import Engine
    from logsum.cli.parse import iter_lines

    lines = [line for batch in iter_lines(io.BytesIO(path.read_bytes()), 1 << 20) for line in batch]
    engine = Engine()
    step = getattr(engine, "process_compact", engine.process)
    start = time.process_time()
    for line in lines:
        step(line)
    return time.process_time() - start


def to_json(report: SpeedReport) -> str:
    """The report as JSON (for :func:`run_in_child`)."""
    return json.dumps(dataclasses.asdict(report))


def from_json(text: str) -> SpeedReport:
    """The inverse of :func:`to_json`."""
    d = json.loads(text)
    jobs = tuple(
        Job(
            j["name"],
            j["lines"],
            tuple(Run(**r) for r in j["runs"]),
            j["patterns"],
            j.get("stream", "mixed"),
        )
        for j in d["jobs"]
    )
    startup = tuple(Run(**r) for r in d["startup"])
    engine_cpu = d["engine_cpu"]
    if not isinstance(engine_cpu, dict):  # a report from before the corpus stream
        engine_cpu = {} if engine_cpu is None else {"mixed": engine_cpu}
    return SpeedReport(jobs, d["reps"], startup, engine_cpu)


def run_in_child(reps: int = 3, streams: Sequence[str] = ("mixed",)) -> SpeedReport:
    """:func:`run` in a fresh process. Linux carries a parent's peak RSS into the children it
    forks, so a caller that has grown (the accuracy benchmark) would inflate the memory figures;
    the child stays small. Progress goes to stderr as usual."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--reps",
            str(reps),
            "--json",
            *(arg for stream in streams for arg in ("--stream", stream)),
        ],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return from_json(out.stdout)


LABELS = {
    "logsum": "`logsum parse`",
    "drain3": "Drain3 0.9.11 (defaults)",
    "floor": "floor (read, split, orjson)",
}


def markdown(report: SpeedReport) -> str:
    """Speed and scale tables, with the ratios the issue asks for (per stream)."""
    out = [
        f"Whole processes, output to `/dev/null`; median of {report.reps} runs; peak RSS is the "
        "largest over the runs.",
        "",
        "| stream | job | lines | median s | lines/s | CPU s | peak RSS MiB | patterns "
        "| runs (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    streams = list(dict.fromkeys(j.stream for j in report.jobs))
    for j in report.jobs:
        runs = ", ".join(f"{r.seconds:.2f}" for r in j.runs)
        pats = "" if j.patterns is None else f"{j.patterns:,}"
        out.append(
            f"| {j.stream} | {LABELS[j.name]} | {j.lines:,} | {j.seconds:.2f} | {j.rate:,.0f} | "
            f"{j.cpu_seconds:.2f} | "
            f"{j.max_rss_mib:.1f} | {pats} | {runs} |"
        )
    out.append("")
    for stream in streams:
        out.extend(_verdicts(report, stream))
    return "\n".join(out)


def _verdicts(report: SpeedReport, stream: str) -> list[str]:
    """The ratios of one stream: speed against Drain3, the floor, where the time goes, scale."""
    out: list[str] = []
    sizes = [j.lines for j in report.jobs if j.stream == stream]
    small, big = min(sizes), max(sizes)
    ls, dr = report.get("logsum", small, stream), report.get("drain3", small, stream)
    fl = report.get("floor", small, stream)
    if ls and dr:
        ratio = dr.seconds / ls.seconds
        verdict = "met" if ratio >= 3 else "NOT met"
        out.append(
            f"- **Speed, {stream} stream** ({small:,} lines): LogSum / Drain3 = "
            f"**{ratio:.2f}x** by wall time (target >= 3x: {verdict}); "
            f"{dr.cpu_seconds / ls.cpu_seconds:.2f}x by CPU time."
        )
    if ls and fl:
        out.append(f"- LogSum takes {ls.seconds / fl.seconds:.1f}x the floor's time.")
    engine = report.engine_cpu.get(stream)
    if ls and report.startup and engine is not None:
        fixed = statistics.median(r.cpu_seconds for r in report.startup)
        rest = ls.cpu_seconds - fixed - engine
        out.append(
            f"- Where `logsum parse`'s {ls.cpu_seconds:.2f} CPU s at {small:,} lines go: "
            f"start-up {fixed:.2f} s (an empty file: interpreter and imports), engine "
            f"{engine:.2f} s (the same lines through one engine in-process), the rest "
            f"{rest:.2f} s (reading, the two-pass spool, JSON output)."
        )
    lb = report.get("logsum", big, stream)
    if ls and lb and big != small:
        change = lb.rate / ls.rate
        cpu_change = (big / lb.cpu_seconds) / (small / ls.cpu_seconds)
        verdict = "met" if change >= 0.8 else "NOT met"
        out.append(
            f"- **Scale, {stream} stream**: LogSum throughput at {big:,} lines is {change:.0%} "
            f"of its throughput at {small:,} by wall time, {cpu_change:.0%} by CPU time "
            f"(target: at least 80%: {verdict}); peak RSS {ls.max_rss_mib:.0f} MiB -> "
            f"{lb.max_rss_mib:.0f} MiB for {ls.patterns} -> {lb.patterns} patterns."
        )
    return out


def profile(lines: int, top: int, stream: str = "mixed") -> str:
    """``logsum parse`` in this process under cProfile (output to /dev/null): the ``top``
    functions by own time. For finding hot spots; the numbers are slower than real."""
    import cProfile
    import io
    import pstats

    path = stream_file(lines, stream)
    from logsum.cli import app
    from logsum.cli import parse as _parse  # noqa: F401 - registers the command

    saved = sys.stdout
    prof = cProfile.Profile()
    with open(os.devnull, "w") as devnull:
        sys.stdout = devnull
        try:
            prof.enable()
            app(["parse", str(path)], standalone_mode=False)
        finally:
            prof.disable()
            sys.stdout = saved
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(top)
    return text.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run the speed and scale benchmark and print its tables."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="repetitions per job (median)")
    ap.add_argument(
        "--stream",
        action="append",
        choices=STREAMS,
        help="streams to run, in this order (default: mixed)",
    )
    ap.add_argument(
        "--size", type=int, action="append", help="mixed stream lengths (default 100k, 1M)"
    )
    ap.add_argument(
        "--corpus-size",
        type=int,
        action="append",
        help=f"corpus stream lengths (default {CORPUS_COPIES} copies of the corpus)",
    )
    ap.add_argument("--drain3-all", action="store_true", help="also time Drain3 at every size")
    ap.add_argument(
        "--profile",
        type=int,
        metavar="TOP",
        help="instead: profile `logsum parse` in-process on the first stream at its first size, "
        "print TOP functions",
    )
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--write-stream", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--engine-only", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    streams = list(dict.fromkeys(args.stream or ["mixed"]))
    if args.write_stream:
        _write_stream(args.write_stream, streams[0])
        return 0
    if args.engine_only:
        print(engine_only(args.engine_only))
        return 0
    sizes = args.size or list(SIZES)
    if args.profile:
        stream = streams[0]
        n = (args.corpus_size or [corpus_size()])[0] if stream == "corpus" else sizes[0]
        print(profile(n, args.profile, stream))
        return 0
    report = run(args.reps, sizes, sizes if args.drain3_all else None, streams, args.corpus_size)
    print(to_json(report) if args.json else markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
