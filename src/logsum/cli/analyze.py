"""``logsum analyze FILE|-``: patterns by count, then anomalies and insights.

Lines stream through the engine and the analyzer one at a time (memory does not grow with the
input). Three output formats (``--format``):

- ``table``: rich tables, wrapped to the terminal; the default when stdout is a terminal;
- ``plain``: the same rows with no layout, one row per line, fields separated by tabs, the
  free text (template, message) last and never cut; section titles and notes start with
  ``#``. The default when stdout is not a terminal (a pipe, a file), so nothing is wrapped at
  80 columns there;
- ``json``: the same data as one JSON object, ``{"lines", "patterns", "anomalies",
  "insights", "session_key", "options", "baseline"}``; ``--json`` is short for it.

``--baseline GOOD.log`` (repeatable) reads known-good logs first through the same engine and
learns from them (:class:`~logsum.core.baseline.Baseline`): their patterns are not new, and
sessions are judged against theirs. Only FILE is judged, and only FILE's lines are counted in
the patterns shown.

A progress bar is drawn on stderr for inputs over ``PROGRESS_MIN_BYTES`` when stderr is a
terminal. Invalid options exit with status 2 and a one-line message on stderr. A reader that
goes away (``| head``) ends the command quietly with status 0.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from enum import StrEnum
from typing import IO, Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from logsum import Engine, EngineConfig, Pattern
from logsum.cli import app, scaleout
from logsum.cli.common import TIMEZONE_HELP, engine_config, fail, open_log, reader_may_leave
from logsum.cli.parse import iter_lines
from logsum.core.analysis import AnalysisOptions, AnalysisReport, Analyzer, Baseline
from logsum.core.detect.model import iso_utc
from logsum.core.errors import LogsumError
from logsum.core.timestamps import DEFAULT_ZONE

PROGRESS_MIN_BYTES = 8 << 20
"""Inputs at least this large get a progress bar (when stderr is a terminal)."""

_SEVERITY_STYLE = {
    "critical": "bold red",
    "error": "red",
    "warning": "yellow",
    "info": "green",
    "debug": "dim",
}


class OutputFormat(StrEnum):
    """What ``analyze`` writes (see the module docstring)."""

    table = "table"
    plain = "plain"
    json = "json"


# Plain output is one row per line with tab-separated fields: control characters in a
# template or message (a tab, a carriage return, a terminal escape) are written as escapes.
_PLAIN_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)} | {0x09: "\\t", 0x0D: "\\r"}


class _Console(Console):
    """A rich console that leaves a closed stdout to :func:`reader_may_leave`: rich's own
    handling exits with status 1."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def _fail(message: str) -> typer.Exit:
    return fail("analyze", message)


def _open(path: str) -> tuple[IO[bytes], int]:
    f = open_log("analyze", path)
    if f is sys.stdin.buffer:
        return f, 0
    try:
        size = os.fstat(f.fileno()).st_size
    except OSError:
        size = 0
    return f, size


class _Counting:
    """A read-through wrapper that reports bytes read to a progress callback."""

    def __init__(self, raw: IO[bytes], advance: Any) -> None:
        self._raw = raw
        self._advance = advance

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self._advance(len(data))
        return data


def _run(
    stream: IO[bytes], engine: Engine, analyzer: Analyzer | None, size: int, report: bool = True
) -> tuple[int, AnalysisReport]:
    max_bytes = engine.config.max_line_chars * 4 + 4
    process = engine.process
    feed = analyzer.feed_many if analyzer is not None else None
    n = 0
    progress: Progress | None = None
    source: Any = stream
    if size >= PROGRESS_MIN_BYTES and sys.stderr.isatty():
        progress = Progress(
            TextColumn("analyzing"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        task = progress.add_task("analyze", total=size)
        source = _Counting(stream, lambda k: progress.advance(task, k) if progress else None)
        progress.start()
    try:
        for batch in iter_lines(source, max_bytes):
            results = [process(line) for line in batch]
            if feed is not None:
                feed(results)
            n += len(batch)
    finally:
        if progress is not None:
            progress.stop()
    if analyzer is None or not report:
        return n, AnalysisReport()
    return n, analyzer.report(engine.patterns())


def _learn(
    paths: list[str], engine: Engine, options: AnalysisOptions
) -> tuple[Baseline, dict[str, int]]:
    """Read the known-good logs through ``engine`` and learn from them; also each pattern's
    count so far (so that only FILE's lines are counted afterwards)."""
    learner = Analyzer(
        AnalysisOptions(
            find_anomalies=True,
            generate_insights=False,
            bucket_seconds=options.bucket_seconds,
            session_key=options.session_key,
        ),
        learn_only=True,
    )
    for path in paths:
        if path == "-":
            raise _fail("--baseline must be a file, not standard input")
        stream, size = _open(path)
        try:
            _run(stream, engine, learner, size, report=False)
        except LogsumError as exc:
            raise _fail(f"{path}: {exc}") from None
        finally:
            stream.close()
    patterns = engine.patterns()
    return learner.learned(patterns), {p.id: p.count for p in patterns}


def _judged_only(
    patterns: list[Pattern], before: dict[str, int], keep_all: bool = False
) -> list[Pattern]:
    """The patterns with the lines read before (a baseline) taken out of their counts; the
    ones FILE did not have are left out unless ``keep_all``."""
    if not before:
        return patterns
    out = []
    for p in patterns:
        earlier = before.get(p.id, 0) + sum(before.get(a, 0) for a in p.aliases)
        if p.count > earlier or keep_all:
            out.append(replace(p, count=max(0, p.count - earlier)))
    out.sort(key=lambda p: (-p.count, p.id))
    return out


def _analyze_batch(
    files: list[str],
    where: scaleout.ScaleOut,
    config: EngineConfig,
    message_only: bool,
    options: AnalysisOptions,
    store_key: str | None,
) -> tuple[int, list[Pattern], AnalysisReport, str | None]:
    """``analyze`` on Dask: merged patterns; anomalies and insights from every line's result,
    fed in input order to one analyzer here (see docs/SCALE.md)."""
    with scaleout.client_for("analyze", where) as client:
        result = scaleout.run("analyze", client, files, where, config, message_only=message_only)
        detect = options.find_anomalies or options.generate_insights
        analyzer = Analyzer(options) if detect else None
        if analyzer is not None:
            try:
                for results in result.result_lists():
                    analyzer.feed_many(results)
            except LogsumError as exc:
                raise _fail(str(exc)) from None
    report = analyzer.report(result.patterns) if analyzer is not None else AnalysisReport()
    if store_key is not None:
        _load_into_store(store_key, result.patterns)
    sessions = analyzer.sessions if analyzer is not None else None
    key = sessions.key_pattern if sessions is not None else None
    return result.lines, result.patterns, report, key


def _load_into_store(key_id: str, patterns: list[Pattern]) -> None:
    from logsum.app_factory import open_store
    from logsum.batch import load_into_store
    from logsum.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        raise _fail(str(exc)) from None
    store = open_store(settings)
    try:
        store.migrate()
        if not any(k.id == key_id for k in store.list_keys()):
            raise _fail(f"no API key with id {key_id!r} (see logsum keys list)")
        written = load_into_store(store, key_id, patterns)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    sys.stderr.write(f"logsum analyze: {written} patterns added to key {key_id}\n")


def _pattern_dict(p: Pattern) -> dict[str, Any]:
    return {
        "id": p.id,
        "template": p.template,
        "count": p.count,
        "severity": p.severity.value,
        "first_seen": iso_utc(p.first_seen) if p.first_seen else None,
        "last_seen": iso_utc(p.last_seen) if p.last_seen else None,
    }


def _patterns_title(patterns: list[Pattern], n: int) -> str:
    """'Patterns (12 from 480 lines)', saying why the counts add up to fewer lines when some
    lines continue the line before them (a stack trace counts once, with its first line)."""
    title = f"Patterns ({len(patterns)} from {n} lines"
    continued = n - sum(p.count for p in patterns)
    if continued == 1:
        title += "; 1 continuation line counts with the line it continues"
    elif continued > 1:
        title += f"; {continued} continuation lines count with the line they continue"
    return title + ")"


def _tables(
    console: Console, n: int, patterns: list[Pattern], report: AnalysisReport, top: int
) -> None:
    t = Table(title=_patterns_title(patterns, n), title_justify="left")
    t.add_column("count", justify="right")
    t.add_column("severity")
    t.add_column("template", overflow="fold")
    t.add_column("id", style="dim")
    for p in patterns[:top]:
        sev = p.severity.value
        t.add_row(str(p.count), f"[{_SEVERITY_STYLE[sev]}]{sev}[/]", escape(p.template), p.id)
    if len(patterns) > top:
        t.caption = f"{len(patterns) - top} more patterns (use --top or --format json)"
    console.print(t)
    a = Table(title=f"Anomalies ({len(report.anomalies)})", title_justify="left")
    a.add_column("severity")
    a.add_column("type")
    a.add_column("score", justify="right")
    a.add_column("window")
    a.add_column("message", overflow="fold")
    a.add_column("lines", justify="right")
    for an in report.anomalies[:top]:
        sev = an.severity.value
        win = f"{iso_utc(an.window.start)} .. {iso_utc(an.window.end)}" if an.window else "-"
        a.add_row(
            f"[{_SEVERITY_STYLE[sev]}]{sev}[/]",
            an.type.value,
            f"{an.score:.2f}",
            win,
            escape(an.message),
            str(an.line_count),
        )
    if len(report.anomalies) > top:
        a.caption = f"{len(report.anomalies) - top} more anomalies (use --top or --format json)"
    console.print(a)
    i = Table(title=f"Insights ({len(report.insights)})", title_justify="left")
    i.add_column("#", justify="right")
    i.add_column("type")
    i.add_column("message", overflow="fold")
    for ins in report.insights:
        i.add_row(str(ins.rank), ins.type.value, escape(ins.message))
    console.print(i)


def _plain(
    out: IO[str],
    n: int,
    patterns: list[Pattern],
    report: AnalysisReport,
    top: int,
    timezone: str,
) -> None:
    """The tables' rows as tab-separated lines (``--format plain``), free text last."""

    def row(*fields: str) -> str:
        return "\t".join(f.translate(_PLAIN_ESCAPES) for f in fields) + "\n"

    lines = [
        f"# {_patterns_title(patterns, n)}\n",
        row("count", "severity", "id", "template"),
    ]
    lines += [row(str(p.count), p.severity.value, p.id, p.template) for p in patterns[:top]]
    if len(patterns) > top:
        lines.append(f"# {len(patterns) - top} more patterns (use --top or --format json)\n")
    anomalies = report.anomalies
    lines += ["\n", f"# Anomalies ({len(anomalies)})\n"]
    lines.append(row("severity", "type", "score", "window", "lines", "message"))
    for an in anomalies[:top]:
        win = f"{iso_utc(an.window.start)}..{iso_utc(an.window.end)}" if an.window else "-"
        lines.append(
            row(
                an.severity.value,
                an.type.value,
                f"{an.score:.2f}",
                win,
                str(an.line_count),
                an.message,
            )
        )
    if len(anomalies) > top:
        lines.append(f"# {len(anomalies) - top} more anomalies (use --top or --format json)\n")
    lines += ["\n", f"# Insights ({len(report.insights)})\n", row("rank", "type", "message")]
    lines += [row(str(i.rank), i.type.value, i.message) for i in report.insights]
    lines += ["\n", f"# Timestamps without a zone read as {timezone}; times in UTC.\n"]
    out.write("".join(lines))


def _output_format(chosen: OutputFormat | None, as_json: bool) -> OutputFormat:
    """``--format`` if given (``--json`` is ``--format json``), else by where stdout goes."""
    if as_json:
        if chosen not in (None, OutputFormat.json):
            raise _fail(f"--json and --format {chosen.value} disagree: give one of them")
        return OutputFormat.json
    if chosen is not None:
        return chosen
    return OutputFormat.table if sys.stdout.isatty() else OutputFormat.plain


@app.command("analyze")
def analyze(
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE...",
            help="Log file to analyze, or - for standard input (many inputs with --workers or "
            "--scheduler).",
        ),
    ],
    output_format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            help="table: rich tables; plain: tab-separated rows, one per line, never wrapped; "
            "json: one JSON object.",
            show_default="table on a terminal, else plain",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (the same as --format json).")
    ] = False,
    message_only: Annotated[
        bool,
        typer.Option("--message-only", help="Each line is a bare message: no header detection."),
    ] = False,
    session_key: Annotated[
        str | None,
        typer.Option(
            "--session-key",
            metavar="REGEX",
            help="Session id regex (first group, or the whole match), e.g. 'blk_-?\\d+'.",
            show_default="auto-detected when obvious",
        ),
    ] = None,
    bucket_seconds: Annotated[
        int | None,
        typer.Option(
            "--bucket-seconds",
            metavar="N",
            help="Time bucket size in seconds.",
            show_default="from the data",
        ),
    ] = None,
    no_detect: Annotated[
        bool,
        typer.Option("--no-detect", help="Patterns only: no anomalies and no insights."),
    ] = False,
    top: Annotated[
        int, typer.Option("--top", min=1, help="Rows shown per section (table and plain).")
    ] = 25,
    timezone: Annotated[
        str, typer.Option("--timezone", metavar="ZONE", help=TIMEZONE_HELP)
    ] = DEFAULT_ZONE,
    scheduler: scaleout.Scheduler = None,
    workers: scaleout.Workers = None,
    partition_mib: scaleout.PartitionMib = scaleout.DEFAULT_PARTITION_MIB,
    store_key: Annotated[
        str | None,
        typer.Option(
            "--store-key",
            metavar="KEY_ID",
            help="With --workers/--scheduler: add the merged patterns to this API key's "
            "patterns in the service's store (LOGSUM_DATABASE_URL or the data directory).",
        ),
    ] = None,
    baseline: Annotated[
        list[str] | None,
        typer.Option(
            "--baseline",
            metavar="GOOD.log",
            help="Known-good log to learn from first (repeatable): its patterns, and what its "
            "sessions look like, are normal; only FILE is judged and counted.",
        ),
    ] = None,
) -> None:
    """Show patterns by count with severity and template, then anomalies and insights."""
    where = scaleout.ScaleOut(scheduler, workers, partition_mib)
    scaleout.check_inputs("analyze", files, where)
    if store_key is not None and not where.wanted:
        raise _fail("--store-key needs --workers N or --scheduler ADDRESS")
    fmt = _output_format(output_format, as_json)
    try:
        options = AnalysisOptions(
            find_anomalies=not no_detect,
            generate_insights=not no_detect,
            bucket_seconds=bucket_seconds,
            session_key=session_key,
        )
        # Timestamps without a year (syslog) take the current one: the core reads no clock.
        config = engine_config(timezone)
    except LogsumError as exc:
        raise _fail(str(exc)) from None
    if where.wanted and baseline:
        raise _fail("--baseline does not go with --workers/--scheduler")
    learned: Baseline | None = None
    if where.wanted:
        n, patterns, report, key_pattern = _analyze_batch(
            files, where, config, message_only, options, store_key
        )
    else:
        engine = Engine(config, message_only=message_only)
        before: dict[str, int] = {}
        if baseline:
            learned, before = _learn(baseline, engine, options)
        analyzer = None if no_detect else Analyzer(options, baseline=learned)
        stream, size = _open(files[0])
        try:
            n, report = _run(stream, engine, analyzer, size, report=not before)
            if before and analyzer is not None:
                report = analyzer.report(_judged_only(engine.patterns(), before, keep_all=True))
        except LogsumError as exc:  # an option refused while it runs (a backtracking session key)
            raise _fail(str(exc)) from None
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        patterns = _judged_only(engine.patterns(), before)
        key_pattern = (
            analyzer.sessions.key_pattern
            if analyzer is not None and analyzer.sessions is not None
            else None
        )
    with reader_may_leave():
        if fmt is OutputFormat.json:
            doc = {
                "lines": n,
                "patterns": [_pattern_dict(p) for p in patterns],
                **report.to_dict(),
                "session_key": key_pattern,
                "options": {
                    "bucket_seconds": bucket_seconds,
                    "session_key": session_key,
                    "message_only": message_only,
                    "detect": not no_detect,
                    "timezone": timezone,
                    "baseline": list(baseline or []),
                },
                "baseline": {
                    "lines": learned.lines,
                    "patterns": len(learned.pattern_ids),
                    "sessions": learned.sessions.sessions if learned.sessions else 0,
                    "session_rules": len(learned.sessions.rules) if learned.sessions else 0,
                    "steady_patterns": len(learned.rates.patterns) if learned.rates else 0,
                }
                if learned is not None
                else None,
            }
            sys.stdout.buffer.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
        elif fmt is OutputFormat.plain:
            _plain(sys.stdout, n, patterns, report, top, timezone)
        else:
            console = _Console()
            _tables(console, n, patterns, report, top)
            console.print(
                f"[dim]Timestamps without a zone read as {escape(timezone)}; times in UTC.[/]"
            )
