"""The ``logsum`` command. Each sub-command lives in its own module and registers itself on
:data:`app`; this module only assembles them.

``app`` (the typer application) is built on first access, so that ``logsum parse`` in its plain
forms runs without importing typer at all (see :func:`logsum.cli.parse.fast_main`): typer and
click cost about 0.03 s of CPU per start. ``parse``'s work lives in the framework-free
:mod:`logsum.cli.parse`; its typer command is in :mod:`logsum.cli.parse_command`, registered
whenever ``app`` is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

    app: typer.Typer


def package_version() -> str:
    """The installed distribution's version (``unknown`` when run from a tree that was never
    installed, where there is no package metadata to read)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("logsum")
    except PackageNotFoundError:
        return "unknown"


def __getattr__(name: str) -> Any:
    # ``app``, built once on first access (PEP 562).
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from logsum.cli.root import build_app

    built = globals()["app"] = build_app()
    # The parse command's typer face (its module imports ``app``, set just above).
    import logsum.cli.parse_command  # noqa: F401  (registers the command)

    return built


COMMANDS = ("parse", "analyze", "serve", "keys")
_MODULES = {"parse": "parse_command"}
"""Commands whose typer command is not in the module of their name."""


def _register(argv: list[str]) -> None:
    # Imported for their side effect of adding commands to ``app``. Only the invoked command's
    # module is imported when one is named, so `logsum parse` does not pay for the web stack.
    import importlib

    named = next((a for a in argv if not a.startswith("-")), None)
    for name in (named,) if named in COMMANDS else COMMANDS:
        module = f"logsum.cli.{_MODULES.get(name, name)}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
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
    from logsum.cli import app

    app()
