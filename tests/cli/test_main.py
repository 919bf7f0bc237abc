"""The ``logsum`` command as a whole: ``--version``, ``--help``, ``python -m logsum``."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

_CMD = [sys.executable, "-m", "logsum"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_CMD, *args], capture_output=True, text=True, timeout=60, check=False)


def test_version_prints_the_package_version() -> None:
    proc = run("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"logsum {version('logsum')}\n"
    assert proc.stderr == ""


def test_help_names_the_version_option() -> None:
    proc = run("--help")
    assert proc.returncode == 0, proc.stderr
    assert "--version" in proc.stdout


def help_of(*command: str) -> str:
    """``logsum COMMAND --help`` as a user reads it on a wide terminal."""
    import os

    env = {**os.environ, "COLUMNS": "250"}
    proc = subprocess.run(
        [*_CMD, *command, "--help"], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def shows_default(text: str, value: str) -> bool:
    """Click writes a default given as text in parentheses: ``[default: (from the data)]``."""
    return f"[default: {value}]" in text or f"[default: ({value})]" in text


def test_help_shows_the_defaults() -> None:
    serve = help_of("serve")
    for option, default in [
        ("--host", "127.0.0.1"),
        ("--port", "8000"),
        ("--workers", "1"),
        ("--log-level", "info"),
    ]:
        row = next(line for line in serve.splitlines() if option in line)
        assert shows_default(row, default), row
    assert "LOGSUM_HOST" in serve
    analyze = help_of("analyze")
    assert shows_default(analyze, "table on a terminal, else plain")
    assert shows_default(analyze, "25")
    assert shows_default(analyze, "auto-detected when obvious")
    assert shows_default(analyze, "from the data")
    parse = help_of("parse")
    assert "--follow" in parse
    assert shows_default(parse, "UTC")


def test_the_defaults_serve_shows_are_the_settings_defaults() -> None:
    from logsum.cli import serve
    from logsum.settings import Settings

    for name, shown in serve.DEFAULTS.items():
        assert str(Settings.model_fields[name].default) == shown, name
