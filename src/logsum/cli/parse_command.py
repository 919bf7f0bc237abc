"""The typer command of ``logsum parse`` (options, help); the work is in
:mod:`logsum.cli.parse`, which runs without the framework for the plain forms. With
``--workers``/``--scheduler`` the work runs on Dask (:func:`parse_batch`, docs/SCALE.md)."""

from __future__ import annotations

import sys
from typing import Annotated

import orjson
import typer

from logsum import Engine
from logsum.cli import app, scaleout
from logsum.cli.common import TIMEZONE_HELP, engine_config, fail, reader_may_leave
from logsum.cli.parse import parse as run_parse
from logsum.core.timestamps import DEFAULT_ZONE


@app.command("parse")
def parse(
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE...",
            help="Log file to parse, or - for standard input (many inputs with --workers or "
            "--scheduler).",
        ),
    ],
    message_only: Annotated[
        bool,
        typer.Option("--message-only", help="Each line is a bare message: no header detection."),
    ] = False,
    log_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help='Header layout, for example "<Date> <Time> <Level> <Content>".',
        ),
    ] = None,
    timezone: Annotated[
        str, typer.Option("--timezone", metavar="ZONE", help=TIMEZONE_HELP)
    ] = DEFAULT_ZONE,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            help="Write each line's object as soon as the line is read, with the template as "
            "known then (for a stream that does not end: tail -F app.log | logsum parse "
            "--follow -). Default: templates as known at the end of the input.",
        ),
    ] = False,
    scheduler: scaleout.Scheduler = None,
    workers: scaleout.Workers = None,
    partition_mib: scaleout.PartitionMib = scaleout.DEFAULT_PARTITION_MIB,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            metavar="DIR",
            help="With --workers/--scheduler: write the results as files under DIR (a path "
            "or an fsspec URL), one per partition, instead of to stdout.",
        ),
    ] = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--output-format", metavar="FORMAT", help="Files under --output: parquet or jsonl."
        ),
    ] = "parquet",
) -> None:
    """Write one JSON object per input line (JSON Lines) to stdout, in input order."""
    where = scaleout.ScaleOut(scheduler, workers, partition_mib)
    scaleout.check_inputs("parse", files, where)
    if where.wanted:
        if follow:
            raise _fail("--follow reads one stream: it does not go with --workers/--scheduler")
        if output_format not in ("parquet", "jsonl"):
            raise _fail(f"--output-format must be parquet or jsonl, not {output_format!r}")
        parse_batch(files, where, message_only, log_format, timezone, output, output_format)
        return
    if output is not None:
        raise _fail("--output needs --workers N or --scheduler ADDRESS")
    run_parse(
        files[0], message_only=message_only, log_format=log_format, timezone=timezone, follow=follow
    )


def _fail(message: str) -> typer.Exit:
    return fail("parse", message)


def parse_batch(
    files: list[str],
    where: scaleout.ScaleOut,
    message_only: bool,
    log_format: str | None,
    timezone: str,
    output: str | None,
    output_format: str,
) -> None:
    """``parse`` on Dask: the merged patterns' line results, to files or to stdout (the usual
    objects plus ``source``, the input's URL; ``line`` counts over all inputs)."""
    try:
        config = engine_config(timezone)
        Engine(config, message_only=message_only, log_format=log_format)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    with scaleout.client_for("parse", where) as client:
        result = scaleout.run(
            "parse",
            client,
            files,
            where,
            config,
            message_only=message_only,
            log_format=log_format,
        )
        if output is not None:
            from logsum.batch import write_results

            try:
                write_results(result, output, output_format)
            except OSError as exc:
                raise _fail(f"cannot write {output}: {exc}") from None
            return
        merged = result.engine()
        dumps = orjson.dumps
        out = sys.stdout.buffer
        templates: dict[str, str | None] = {}
        with reader_may_leave():
            for part, results in zip(result.parts, result.result_lists(), strict=True):
                source = part.source.url
                buf = []
                for r in results:
                    pid = r.pattern_id
                    if pid not in templates:
                        try:
                            templates[pid] = merged.template(pid)
                        except KeyError:
                            templates[pid] = None
                    buf.append(
                        dumps(
                            {
                                "line": r.line,
                                "source": source,
                                "pattern_id": pid,
                                "template": templates[pid],
                                "severity": r.severity,
                                "timestamp": r.timestamp,
                                "params": [] if r.continuation else r.params,
                                "continuation": r.continuation,
                            }
                        )
                    )
                buf.append(b"")
                out.write(b"\n".join(buf))
            out.flush()
