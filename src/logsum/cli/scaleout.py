"""What ``logsum parse`` and ``logsum analyze`` share when they run on Dask (``--workers N`` or
``--scheduler ADDRESS``, see docs/SCALE.md): the options, connecting, the progress bar, and the
job itself (:func:`logsum.batch.mine`)."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from logsum.cli.common import fail

if TYPE_CHECKING:
    from distributed import Client

    from logsum.batch import BatchResult
    from logsum.core.config import EngineConfig

SCHEDULER_OPTION = typer.Option(
    "--scheduler",
    metavar="ADDRESS",
    help="Run on this Dask cluster (tcp://host:8786); FILE may then be many files, "
    "directories, globs or fsspec URLs (s3://..., gs://...).",
)
WORKERS_OPTION = typer.Option(
    "--workers",
    metavar="N",
    min=1,
    help="Run on a local Dask cluster of N worker processes (many inputs, as --scheduler).",
)
BLOCKSIZE_OPTION = typer.Option(
    "--partition-mib",
    metavar="MIB",
    min=1,
    help="With --workers/--scheduler: cut files into partitions of this many MiB.",
)
Scheduler = Annotated[str | None, SCHEDULER_OPTION]
Workers = Annotated[int | None, WORKERS_OPTION]
PartitionMib = Annotated[int, BLOCKSIZE_OPTION]
DEFAULT_PARTITION_MIB = 32


@dataclass(frozen=True)
class ScaleOut:
    """Where the job runs."""

    scheduler: str | None
    workers: int | None
    partition_mib: int

    @property
    def wanted(self) -> bool:
        return self.scheduler is not None or self.workers is not None


def check_inputs(command: str, files: Sequence[str], where: ScaleOut) -> None:
    """One input (a file or ``-``) without Dask; with it, at least one and never ``-``."""
    if where.scheduler is not None and where.workers is not None:
        raise fail(command, "give --scheduler or --workers, not both")
    if not where.wanted:
        if len(files) != 1:
            raise fail(command, "several inputs need --workers N or --scheduler ADDRESS")
        return
    if "-" in files:
        raise fail(command, "standard input can not be split: give files with --workers")


@contextmanager
def client_for(command: str, where: ScaleOut) -> Iterator[Client]:
    """A Dask client; a clear message (exit 2) when the batch extra is missing or the
    scheduler can not be reached. The dashboard's address is written to stderr."""
    try:
        from logsum.batch.cluster import connect, dashboard_link
    except ModuleNotFoundError as exc:
        raise fail(
            command, f"--workers/--scheduler need the batch extra ({exc.name} is missing)"
        ) from None
    with ExitStack() as stack:
        try:
            client = stack.enter_context(connect(where.scheduler, where.workers))
        except (OSError, TimeoutError, ValueError) as exc:
            raise fail(command, f"cannot reach the Dask scheduler: {exc}") from None
        link = dashboard_link(client)
        if link:
            sys.stderr.write(f"logsum {command}: Dask dashboard at {link}\n")
        yield client


def run(
    command: str,
    client: Client,
    files: Sequence[str],
    where: ScaleOut,
    config: EngineConfig,
    *,
    message_only: bool,
    log_format: str | None = None,
) -> BatchResult:
    """Mine ``files`` on the cluster, with a progress bar on stderr when it is a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from logsum.batch import InputError, mine

    bar: Progress | None = None
    task = None
    if sys.stderr.isatty():
        bar = Progress(
            TextColumn("mining partitions"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        task = bar.add_task("mine", total=None)
        bar.start()

    def progress(done: int, total: int) -> None:
        if bar is not None and task is not None:
            bar.update(task, completed=done, total=total)

    try:
        return mine(
            files,
            client=client,
            config=config,
            message_only=message_only,
            log_format=log_format,
            blocksize=where.partition_mib << 20,
            progress=progress,
        )
    except InputError as exc:
        raise fail(command, str(exc)) from None
    except OSError as exc:  # an input that went away or can not be read on a worker
        raise fail(command, f"cannot read an input: {exc}") from None
    finally:
        if bar is not None:
            bar.stop()
