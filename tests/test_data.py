"""The in-repository Loghub-2k copy is the unmodified upstream data its README says it is."""

from __future__ import annotations

import hashlib
from pathlib import Path


def test_every_file_matches_its_recorded_hash_and_nothing_else_is_there(loghub: Path) -> None:
    sums = {}
    for row in (loghub / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = row.split(maxsplit=1)
        sums[name] = digest
    got = {
        str(p.relative_to(loghub)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(loghub.glob("*/*"))
    }
    assert got == sums
    assert "https://github.com/logpai/loghub" in (loghub / "LICENSE").read_text(encoding="utf-8")
