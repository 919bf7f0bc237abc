"""The typer command of ``logsum parse`` (options, help); the work is in
:mod:`logsum.cli.parse`, which runs without the framework for the plain forms."""

from __future__ import annotations

from typing import Annotated

import typer

from logsum.cli import app
from logsum.cli.common import TIMEZONE_HELP
from logsum.cli.parse import parse as run_parse
from logsum.core.timestamps import DEFAULT_ZONE


@app.command("parse")
def parse(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="Log file to parse, or - for standard input.")
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
) -> None:
    """Write one JSON object per input line (JSON Lines) to stdout, in input order."""
    run_parse(
        file, message_only=message_only, log_format=log_format, timezone=timezone, follow=follow
    )
