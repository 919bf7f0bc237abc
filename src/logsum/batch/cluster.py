"""Connecting to a Dask cluster: an existing scheduler, or a local cluster of N workers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distributed import Client


def has_dashboard() -> bool:
    """Dask's dashboard needs bokeh (not a LogSum dependency)."""
    return find_spec("bokeh") is not None


@contextmanager
def connect(
    scheduler: str | None = None, workers: int | None = None, *, threads: int = 1
) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler`` (``tcp://host:8786``), or of a local cluster
    of ``workers`` processes with ``threads`` threads each (the engine holds the GIL: one
    thread per process uses one core). Closed on exit (a local cluster is shut down)."""
    from distributed import Client, LocalCluster

    if (scheduler is None) == (workers is None):
        raise ValueError("give either a scheduler address or a number of workers")
    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    assert workers is not None
    if workers < 1:
        raise ValueError("workers must be at least 1")
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=True,
            dashboard_address=":0",  # a free port (the dashboard itself needs bokeh)
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def dashboard_link(client: Client) -> str | None:
    """The dashboard's address, when the scheduler serves one."""
    if not has_dashboard():
        return None
    try:
        link = client.dashboard_link
    except (AttributeError, KeyError):
        return None
    return str(link) if link else None
