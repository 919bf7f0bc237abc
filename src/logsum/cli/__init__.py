"""The ``logsum`` command. Each sub-command lives in its own module and registers itself on
:data:`app`; this module only assembles them."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="logsum",
    help="Turn raw log lines into patterns, anomalies and insights.",
    no_args_is_help=True,
    add_completion=False,
)


def _register() -> None:
    # Imported for their side effect of adding commands to ``app``; a sub-command module that
    # does not exist yet is simply absent from the CLI.
    import importlib

    for name in ("parse", "analyze", "serve", "keys"):
        try:
            importlib.import_module(f"logsum.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"logsum.cli.{name}":
                raise


def main() -> None:
    """Console-script entry point."""
    _register()
    app()
