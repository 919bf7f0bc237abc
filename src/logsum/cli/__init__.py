"""The ``logsum`` command. Each sub-command lives in its own module and registers itself on
:data:`app`; this module only assembles them."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    name="logsum",
    help="Turn raw log lines into patterns, anomalies and insights.",
    no_args_is_help=True,
    add_completion=False,
)


def package_version() -> str:
    """The installed distribution's version (``unknown`` when run from a tree that was never
    installed, where there is no package metadata to read)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("logsum")
    except PackageNotFoundError:
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"logsum {package_version()}")
        raise typer.Exit()


@app.callback()
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


COMMANDS = ("parse", "analyze", "serve", "keys")


def _register(argv: list[str]) -> None:
    # Imported for their side effect of adding commands to ``app``. Only the invoked command's
    # module is imported when one is named, so `logsum parse` does not pay for the web stack.
    import importlib

    named = next((a for a in argv if not a.startswith("-")), None)
    for name in (named,) if named in COMMANDS else COMMANDS:
        try:
            importlib.import_module(f"logsum.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"logsum.cli.{name}":
                raise


def main() -> None:
    """Console-script entry point."""
    import sys

    if sys.argv[1:2] == ["parse"]:
        # The hot path of `logsum parse` skips typer's run-time coercion (see fast_main).
        from logsum.cli.parse import fast_main

        code = fast_main(sys.argv[1:])
        if code is not None:
            sys.exit(code)
    if sys.argv[1:] != ["--version"]:  # the version needs no command imported
        _register(sys.argv[1:])
    app()
