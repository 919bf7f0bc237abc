"""``/v1/watch`` against hostile input, through a real ``logsum serve`` process (issue 18):
sources that are not regular files, parent directories swapped for symlinks, webhook hosts
that hide loopback in IPv6, concurrent creates racing the per-key limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from api.conftest import Server, envelope, make_keys, start_server
from logsum.store import Tier

REFUSE_WITHIN_S = 1.0
"""Every refusal below must come this fast (a refusal that hangs is the bug)."""


@contextmanager
def serve(work: Path, **env: str) -> Iterator[tuple[Server, Path]]:
    """``logsum serve`` on SQLite in ``work/data`` (or ``LOGSUM_DATABASE_URL``), watching
    ``work/logs``; key ``a`` (free tier, a limit that does not bind)."""
    root = work / "logs"
    root.mkdir(parents=True)
    data = work / "data"
    data.mkdir()
    db_url = env.get("LOGSUM_DATABASE_URL", f"sqlite:///{data / 'logsum.db'}")
    keys = make_keys(db_url, ("a", Tier.FREE), ("b", Tier.FREE))
    base = {
        "LOGSUM_DATA_DIR": str(data),
        "LOGSUM_WATCH_ROOTS": str(root),
        "LOGSUM_RATE_LIMIT_FREE": "100000",
        "LOGSUM_WATCH_POLL_INTERVAL_SECONDS": "0.02",
        "LOGSUM_WATCH_BATCH_MAX_WAIT_SECONDS": "0.05",
        "LOGSUM_WATCH_LEASE_SECONDS": "1",
    }
    server = start_server(work, {**base, **env})
    server.keys = keys
    try:
        yield server, root
    finally:
        server.stop()


def create(client: httpx.Client, source: str, url: str) -> httpx.Response:
    start = time.monotonic()
    resp = client.post("/v1/watch", json={"source": source, "webhook_url": url}, timeout=10)
    assert time.monotonic() - start < REFUSE_WITHIN_S or resp.status_code == 201
    return resp


# -- webhook addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["[64:ff9b::7f00:1]", "[::7f00:1]", "[::127.0.0.1]", "[2002:7f00:1::1]"]
)
def test_loopback_hidden_in_ipv6_is_a_400(tmp_path: Path, host: str) -> None:
    with serve(tmp_path) as (server, root), server.client(server.keys["a"]) as client:
        resp = create(client, str(root / "a.log"), f"http://{host}:9/hook")
        assert "loopback" in envelope(resp, 400, "invalid_request")


# -- the per-key watch limit ----------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_creates_never_pass_the_per_key_limit(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    """40 creates at once with a limit of 20 leave exactly 20 watches (29 did before)."""
    env = {"LOGSUM_MAX_WATCHES_PER_KEY": "20", "LOGSUM_WEBHOOK_ALLOW_PRIVATE": "true"}
    if backend == "postgresql":
        env["LOGSUM_DATABASE_URL"] = request.getfixturevalue("pg_db_url")
    with serve(tmp_path, **env) as (server, root):
        barrier = threading.Barrier(40)

        def one(i: int) -> int:
            with server.client(server.keys["a"]) as client:
                body = {"source": str(root / f"f{i}.log"), "webhook_url": "http://127.0.0.1:9/h"}
                barrier.wait()
                return client.post("/v1/watch", json=body).status_code

        with ThreadPoolExecutor(40) as pool:
            codes = list(pool.map(one, range(40)))
        with server.client(server.keys["a"]) as client:
            total = client.get("/v1/watch").json()["total"]
        assert sorted(codes) == [201] * 20 + [400] * 20
        assert total == 20
