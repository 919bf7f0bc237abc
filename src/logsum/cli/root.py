"""The typer application of the ``logsum`` command, without its sub-commands (they register
themselves); built by :mod:`logsum.cli` on first access to ``logsum.cli.app``."""

from __future__ import annotations

from typing import Annotated

import typer


def _print_version(value: bool) -> None:
    if value:
        from logsum.cli import package_version

        typer.echo(f"logsum {package_version()}")
        raise typer.Exit()


def _root(
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Turn raw log lines into patterns, anomalies and insights."""
    # A callback keeps sub-commands as sub-commands even while only one is registered
    # (typer otherwise runs a lone command as the whole program).


def build_app() -> typer.Typer:
    """A new application with the root callback (``--version``) and no commands."""
    app = typer.Typer(
        name="logsum",
        help="Turn raw log lines into patterns, anomalies and insights.",
        no_args_is_help=True,
        add_completion=False,
    )
    app.callback()(_root)
    return app
