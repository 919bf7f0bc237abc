"""``logsum keys``: listing or revoking never creates the data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import logsum


def run(cwd: Path, *args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``logsum keys ...`` as a process in ``cwd``, with no ``LOGSUM_*`` settings but the data
    directory when given (the default data directory is ``./data``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGSUM_")}
    # The working directory changes: import this checkout's logsum by an absolute path.
    env["PYTHONPATH"] = str(Path(logsum.__file__).resolve().parents[1])
    if data_dir is not None:
        env["LOGSUM_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "logsum", "keys", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_listing_in_a_fresh_directory_creates_nothing(tmp_path: Path) -> None:
    listing = run(tmp_path, "list")
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.split() == ["ID", "TIER", "PREFIX", "CREATED", "REVOKED", "NAME"]
    assert "no keys" in listing.stderr
    revoke = run(tmp_path, "revoke", "key_nope")
    assert revoke.returncode == 1
    assert "no key with id 'key_nope'" in revoke.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_existing_empty_data_directory_gets_no_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    assert run(tmp_path, "list", data_dir=data).returncode == 0
    assert list(data.iterdir()) == []
