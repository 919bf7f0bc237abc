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
