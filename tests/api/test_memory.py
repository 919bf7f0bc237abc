"""A long-lived server under hostile input keeps a flat memory: requests of long random lines
(64 KiB of hex, 200 to a request) used to grow a process by about 430 MiB each, for good (the
engine's line-shape cache kept every line's number positions)."""

from __future__ import annotations

import random
from pathlib import Path

from .conftest import keyed_server

LINE_CHARS = 64 * 1024
LINES = 200


def _rss_mib(pid: int) -> float:
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_requests_of_long_random_lines_do_not_grow_the_server(tmp_path: Path) -> None:
    rng = random.Random(18)
    env = {"LOGSUM_MAX_BODY_BYTES": str(32 * 1024 * 1024)}
    with keyed_server(tmp_path, env) as server, server.client(server.keys["a"]) as c:
        after = []
        for _ in range(10):
            logs = [rng.randbytes(LINE_CHARS // 2).hex() for _ in range(LINES)]
            r = c.post("/v1/analyze", json={"logs": logs})
            assert r.status_code == 200, r.text[:300]
            after.append(_rss_mib(server.proc.pid))
        assert after[9] - after[1] < 100, after
