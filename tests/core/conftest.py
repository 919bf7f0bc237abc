"""Fixtures for the core tests: where the shared Loghub data lives."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOGHUB = ROOT.parent / "shared" / "data" / "loghub-2k"
SYSTEMS = ("Apache", "BGL", "HDFS", "HealthApp", "Mac", "OpenSSH", "Proxifier", "Zookeeper")


@pytest.fixture(scope="session")
def loghub() -> Path:
    """The Loghub-2k folder beside the project (../shared/data/loghub-2k)."""
    if not LOGHUB.is_dir():
        pytest.skip(f"Loghub-2k data not found at {LOGHUB}")
    return LOGHUB
