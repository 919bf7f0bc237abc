"""What the file-reading commands share: opening the input, failing with a message and exit
code 2, ending quietly when the reader of stdout goes away, and the engine settings that need
the clock (the engine reads none)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING

from logsum import EngineConfig
from logsum.core.timestamps import DEFAULT_ZONE

if TYPE_CHECKING:
    import typer


def fail(command: str, message: str) -> typer.Exit:
    """Write ``logsum COMMAND: message`` to stderr and return the exit (code 2) to raise."""
    import typer  # here, not at the top: `logsum parse` starts without the framework

    sys.stderr.write(f"logsum {command}: {message}\n")
    return typer.Exit(code=2)


def open_log(command: str, path: str) -> IO[bytes]:
    """The input as bytes: ``-`` is stdin; a file that can't be read is a clear message and
    exit code 2."""
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise fail(command, f"no such file: {path}") from None
    except IsADirectoryError:
        raise fail(command, f"is a directory, not a log file: {path}") from None
    except PermissionError:
        raise fail(command, f"permission denied: {path}") from None
    except OSError as exc:
        raise fail(command, f"cannot read {path}: {exc.strerror or exc}") from None


TIMEZONE_HELP = (
    "IANA zone (e.g. Europe/Berlin) of timestamps that name no offset. "
    "Times with an offset (Z, +01:00, CET) keep it. Output times are UTC."
)
"""The help of ``--timezone``, shared by the commands that read log files."""


def engine_config(timezone: str = DEFAULT_ZONE) -> EngineConfig:
    """Year-less timestamps get this year, or last year when that would put them in the
    future (the adapter reads the clock; the engine does not). Timestamps without a zone are
    read in ``timezone``. Raises :class:`~logsum.core.errors.InvalidOption` for an unknown
    zone."""
    today = datetime.now(UTC).date()
    return EngineConfig(default_year=today.year, today=today, timezone=timezone)


@contextmanager
def reader_may_leave() -> Iterator[None]:
    """Writes to stdout inside this block end the command quietly with exit code 0 when the
    reader has gone away (``logsum ... | head -1``), as other Unix tools do.

    Python ignores SIGPIPE, so a closed pipe surfaces as :class:`BrokenPipeError` on a write or
    a flush. stdout is then pointed at ``/dev/null``: the interpreter flushes it once more on the
    way out, and that flush would otherwise fail again and print a warning on stderr.
    """
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        import typer  # here, not at the top: `logsum parse` starts without the framework

        raise typer.Exit(code=0) from None
