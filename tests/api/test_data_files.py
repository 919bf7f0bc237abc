"""The data directory and the SQLite files ``logsum serve`` creates are private to the service's
user (issue 18 item 7): the database holds the webhook signing secrets in clear."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .conftest import start_server


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_serve_creates_a_private_data_dir_and_database(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    old = os.umask(0o022)  # the usual umask, which gave 0755 and 0644 before
    try:
        server = start_server(tmp_path, {"LOGSUM_DATA_DIR": str(data)})
    finally:
        os.umask(old)
    try:
        db = data / "logsum.db"
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
        assert all(f.exists() for f in files), sorted(p.name for p in data.iterdir())
        assert mode(data) == 0o700
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        server.stop()
