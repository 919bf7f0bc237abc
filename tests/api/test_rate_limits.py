"""Rate limits through real HTTP: per key, per tier, headers, 429; shared exactly through a
real redis-server by two service processes."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from logsum.store import Tier

from .conftest import (
    Redis,
    Server,
    envelope,
    make_keys,
    start_redis,
    start_server,
    two_servers,
)


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """In-memory limits: free 3, pro 5 requests per 60 s; one request in flight at a time."""
    work = tmp_path_factory.mktemp("limited")
    data = work / "data"
    data.mkdir()
    keys = make_keys(
        f"sqlite:///{data / 'logsum.db'}",
        ("free1", Tier.FREE),
        ("free2", Tier.FREE),
        ("pro", Tier.PRO),
    )
    env = {
        "LOGSUM_DATA_DIR": str(data),
        "LOGSUM_RATE_LIMIT_FREE": "3",
        "LOGSUM_RATE_LIMIT_PRO": "5",
        "LOGSUM_MAX_IN_FLIGHT": "1",
    }
    server = start_server(work, env)
    server.keys = keys
    try:
        yield server
    finally:
        server.stop()


def test_limit_headers_count_down_then_429(limited: Server) -> None:
    started = time.time()
    with limited.client(limited.keys["free1"]) as c:
        seen = []
        for _ in range(3):
            r = c.get("/v1/patterns")
            assert r.status_code == 200
            seen.append(int(r.headers["x-ratelimit-remaining"]))
            assert r.headers["x-ratelimit-limit"] == "3"
        assert seen == [2, 1, 0]
        r = c.post("/v1/analyze", json={"logs": ["x"]})
        msg = envelope(r, 429, "rate_limited")
        assert "3 requests per 60 seconds" in msg
        assert r.headers["x-ratelimit-limit"] == "3"
        assert r.headers["x-ratelimit-remaining"] == "0"
        reset = int(r.headers["x-ratelimit-reset"])
        assert started <= reset <= started + 62  # epoch seconds, end of this window
        assert 1 <= int(r.headers["retry-after"]) <= 61
        # Errors after authentication count too, and carry the headers.
        r = c.get("/v1/patterns?limit=0")
        envelope(r, 429, "rate_limited")


def test_limits_are_per_key_and_per_tier(limited: Server) -> None:
    with limited.client(limited.keys["free2"]) as c:
        assert c.get("/v1/patterns").headers["x-ratelimit-remaining"] == "2"
    with limited.client(limited.keys["pro"]) as c:
        codes = [c.get("/v1/patterns").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]


def test_unauthenticated_requests_do_not_consume_a_keys_limit(limited: Server) -> None:
    with limited.client() as c:
        for _ in range(5):
            envelope(c.get("/v1/patterns"), 401, "unauthorized")
    with limited.client(limited.keys["free2"]) as c:
        assert c.get("/v1/patterns").status_code == 200


def test_too_many_requests_in_flight_is_503_at_once(limited: Server) -> None:
    host, port = limited.url.removeprefix("http://").split(":")

    def first_status(wanted: int) -> httpx.Response:
        # The server handles the slow connection asynchronously: poll until it shows.
        deadline = time.monotonic() + 10
        while True:
            with limited.client() as c:
                r = c.get("/v1/patterns")
            if r.status_code == wanted or time.monotonic() > deadline:
                return r
            time.sleep(0.05)

    with socket.create_connection((host, int(port)), timeout=5) as slow:
        # A request whose body is still arriving occupies the only slot.
        slow.sendall(b"POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        r = first_status(503)
        assert "in progress" in envelope(r, 503, "unavailable")
        assert r.headers["retry-after"] == "1"
        with limited.client() as c:
            assert c.get("/healthz").status_code == 200  # exempt
            assert c.get("/metrics").status_code == 200
    envelope(first_status(401), 401, "unauthorized")  # admitted again once it left


def test_two_processes_share_one_limit_exactly_through_redis(
    redis_server: Redis, tmp_path: Path
) -> None:
    env = {"LOGSUM_REDIS_URL": redis_server.url, "LOGSUM_RATE_LIMIT_FREE": "10"}
    specs = (("k1", Tier.FREE), ("k2", Tier.FREE))
    with two_servers(tmp_path, env, *specs) as (one, two, keys):
        with one.client() as readiness:
            assert readiness.get("/readyz").status_code == 200
        # Alternating, sequential: exactly the first 10 pass, remaining counts down across both.
        remaining = []
        codes = []
        for i in range(14):
            server = one if i % 2 == 0 else two
            with server.client(keys["k1"]) as c:
                r = c.get("/v1/patterns")
            codes.append(r.status_code)
            remaining.append(int(r.headers["x-ratelimit-remaining"]))
        assert codes == [200] * 10 + [429] * 4
        assert remaining[:10] == list(range(9, -1, -1))

        # Concurrent burst on both processes with another key: exactly 10 succeed.
        def hit(i: int) -> int:
            server = one if i % 2 == 0 else two
            with server.client(keys["k2"]) as c:
                return c.get("/v1/patterns").status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            burst = list(pool.map(hit, range(30)))
        assert burst.count(200) == 10
        assert burst.count(429) == 20


def test_redis_down_is_503_not_500(tmp_path: Path) -> None:
    redis = start_redis(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    keys = make_keys(f"sqlite:///{data / 'logsum.db'}", ("k", Tier.FREE))
    server = start_server(
        tmp_path / "srv", {"LOGSUM_DATA_DIR": str(data), "LOGSUM_REDIS_URL": redis.url}
    )
    try:
        with server.client(keys["k"]) as c:
            assert c.get("/v1/patterns").status_code == 200
            redis.proc.kill()
            redis.proc.wait(10)
            r = c.get("/v1/patterns")
            assert "rate-limit storage" in envelope(r, 503, "unavailable")
            assert r.headers["retry-after"]
            # Without its counters the service can't bound failed authentications either:
            # requests without a valid key get 503 too, not a lookup and 401.
            with server.client() as anonymous:
                for headers in ({}, {"Authorization": "Bearer lsk_" + "x" * 43}):
                    r = anonymous.get("/v1/patterns", headers=headers)
                    assert "rate-limit storage" in envelope(r, 503, "unavailable")
            envelope(c.get("/readyz"), 503, "unavailable")
            assert c.get("/healthz").status_code == 200
    finally:
        server.stop()
        if redis.proc.poll() is None:
            redis.proc.kill()
