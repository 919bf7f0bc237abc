"""The per-client limit on failed authentications, through real HTTP.

Each test sends from its own loopback address (any ``127.x.y.z`` is local on Linux), so that
each counts in a bucket of its own on the shared server. A bucket's limit here is small
(``LOGSUM_RATE_LIMIT_AUTH_FAILURES``), its window the default 60 s.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from logsum.api import Services, create_app
from logsum.api.metrics import Metrics
from logsum.api.ratelimit import TierRateLimiter
from logsum.api.service import AnalysisService
from logsum.settings import load_settings
from logsum.store import ApiKeyRecord, Store, Tier

from .conftest import (
    Redis,
    Server,
    envelope,
    keyed_server,
    serve_in_thread,
    two_servers,
)

LIMIT = 3


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A ``logsum serve`` allowing 3 failed authentications per client and minute, with free
    keys ``a`` and ``b``, a revoked key, and 127.0.0.1 as its one trusted proxy."""
    env = {
        "LOGSUM_RATE_LIMIT_AUTH_FAILURES": str(LIMIT),
        "FORWARDED_ALLOW_IPS": "127.0.0.1",  # uvicorn's own variable; this is its default
    }
    with keyed_server(tmp_path_factory.mktemp("guarded"), env) as server:
        yield server


def from_address(base_url: str, address: str, key: str | None = None) -> httpx.Client:
    """A client whose connections come from ``address``."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base_url, headers=headers, transport=transport, timeout=30.0)


def bad_key() -> str:
    """A well-formed key that exists nowhere (so the store is really asked about it)."""
    return "lsk_" + secrets.token_urlsafe(32)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def unauthorized(resp: httpx.Response) -> None:
    envelope(resp, 401, "unauthorized")
    assert resp.headers["www-authenticate"].startswith("Bearer")


def refused(resp: httpx.Response, window: int = 60) -> int:
    """Assert ``resp`` is the per-client 429; return its ``Retry-After``."""
    assert "failed authentications" in envelope(resp, 429, "rate_limited")
    retry = int(resp.headers["retry-after"])
    assert 1 <= retry <= window
    assert "x-ratelimit-limit" not in resp.headers  # those describe a key's limit
    return retry


def test_bad_keys_get_401_up_to_the_limit_then_429_but_a_verified_key_keeps_working(
    guarded: Server,
) -> None:
    address = "127.0.0.11"
    with from_address(guarded.url, address, guarded.keys["a"]) as good:
        assert good.get("/v1/patterns").status_code == 200  # a client behind the same NAT
    with from_address(guarded.url, address) as bad:
        for _ in range(LIMIT):
            unauthorized(bad.get("/v1/patterns", headers=bearer(bad_key())))
        refused(bad.get("/v1/patterns", headers=bearer(bad_key())))
        refused(bad.post("/v1/analyze", json={"logs": ["x"]}, headers=bearer(bad_key())))
        refused(bad.get("/v1/patterns/p_1"))
        assert bad.get("/healthz").status_code == 200  # only /v1 authenticates
    with from_address(guarded.url, address, guarded.keys["a"]) as good:
        for _ in range(3):
            r = good.get("/v1/patterns")
            assert r.status_code == 200, r.text
            assert r.headers["x-ratelimit-limit"] == "100000"
        assert good.post("/v1/analyze", json={"logs": ["x"]}).status_code == 200
    with from_address(guarded.url, address) as bad:
        refused(bad.get("/v1/patterns", headers=bearer(bad_key())))  # valid requests reset nothing


def test_a_key_never_verified_waits_with_its_client(guarded: Server) -> None:
    # Not looking bad keys up means a good key that never authenticated can't be told from
    # them: it shares its client's refusal until the window ends (documented).
    with from_address(guarded.url, "127.0.0.12") as bad:
        for _ in range(LIMIT):
            unauthorized(bad.get("/v1/patterns"))
    with from_address(guarded.url, "127.0.0.12", guarded.keys["b"]) as fresh:
        refused(fresh.get("/v1/patterns"))
    with from_address(guarded.url, "127.0.0.13", guarded.keys["b"]) as elsewhere:
        assert elsewhere.get("/v1/patterns").status_code == 200  # now verified
    with from_address(guarded.url, "127.0.0.12", guarded.keys["b"]) as fresh:
        assert fresh.get("/v1/patterns").status_code == 200


def test_missing_and_malformed_authorization_count_as_failures(guarded: Server) -> None:
    with from_address(guarded.url, "127.0.0.14") as c:
        for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic dXNlcjpwYXNz"}):
            unauthorized(c.get("/v1/patterns", headers=headers))
        refused(c.get("/v1/patterns"))
        refused(c.get("/v1/patterns", headers={"Authorization": "lsk_no_scheme"}))


def test_a_revoked_key_counts_as_a_failure(guarded: Server) -> None:
    with from_address(guarded.url, "127.0.0.15", guarded.keys["revoked"]) as c:
        for _ in range(LIMIT):
            unauthorized(c.get("/v1/patterns"))
        refused(c.get("/v1/patterns"))


def test_valid_requests_do_not_count(guarded: Server) -> None:
    address = "127.0.0.16"
    with from_address(guarded.url, address, guarded.keys["a"]) as good:
        assert [good.get("/v1/patterns").status_code for _ in range(2 * LIMIT)] == [200] * 6
    with from_address(guarded.url, address) as bad:
        for _ in range(LIMIT):
            unauthorized(bad.get("/v1/patterns", headers=bearer(bad_key())))
        refused(bad.get("/v1/patterns"))


def test_forwarded_for_counts_only_from_a_trusted_proxy(guarded: Server) -> None:
    # 127.0.0.1 is the trusted proxy (FORWARDED_ALLOW_IPS): its X-Forwarded-For names the client.
    with from_address(guarded.url, "127.0.0.1") as proxy:

        def via(client: str) -> httpx.Response:
            return proxy.get("/v1/patterns", headers={"X-Forwarded-For": client})

        for _ in range(LIMIT):
            unauthorized(via("203.0.113.7"))
        refused(via("203.0.113.7"))
        unauthorized(via("203.0.113.8"))  # another client behind the same proxy
        # An IPv6 client counts with its /64: a new address in it is no new bucket.
        for host in ("2001:db8::1", "2001:db8::2", "2001:db8::3"):
            unauthorized(via(host))
        refused(via("2001:db8::ffff"))
        unauthorized(via("2001:db8:0:1::1"))
    # Anyone else's X-Forwarded-For is ignored: it can't buy a fresh bucket per request.
    with from_address(guarded.url, "127.0.0.17") as spoofer:
        for i in range(LIMIT):
            unauthorized(spoofer.get("/v1/patterns", headers={"X-Forwarded-For": f"10.9.9.{i}"}))
        refused(spoofer.get("/v1/patterns", headers={"X-Forwarded-For": "10.9.9.99"}))


# -- inside one process: what the store is asked -------------------------------------------


class LookupCountingStore(Store):
    """The real store, counting the key lookups the service makes."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.lookups = 0
        self._count_lock = threading.Lock()

    def authenticate(self, plaintext: str) -> ApiKeyRecord | None:
        with self._count_lock:
            self.lookups += 1
        return super().authenticate(plaintext)


@contextmanager
def counting_service(
    data_dir: Path, **settings: object
) -> Iterator[tuple[str, LookupCountingStore, str]]:
    """The real app over a :class:`LookupCountingStore` on a real socket; yields its URL, the
    store and a free key."""
    config = load_settings(data_dir=data_dir, **settings)
    store = LookupCountingStore(config.store_url)
    store.migrate()
    key = store.create_key("k", Tier.FREE)[1]
    services = Services(
        settings=config,
        store=store,
        limiter=TierRateLimiter(config),
        metrics=Metrics(),
        analysis=AnalysisService(config, store),
    )
    with serve_in_thread(create_app(services, on_shutdown=store.close)) as url:
        yield url, store, key


def test_a_client_over_its_limit_is_refused_without_a_store_lookup(tmp_path: Path) -> None:
    with counting_service(tmp_path, rate_limit_auth_failures=2) as (url, store, key):
        with from_address(url, "127.0.0.21", key) as good:
            assert good.get("/v1/patterns").status_code == 200
        with from_address(url, "127.0.0.21") as bad:
            for expected in (2, 3):  # each failure within the limit asks the store once
                unauthorized(bad.get("/v1/patterns", headers=bearer(bad_key())))
                assert store.lookups == expected
            for _ in range(5):
                refused(bad.get("/v1/patterns", headers=bearer(bad_key())))
            refused(bad.post("/v1/analyze", json={"logs": ["x"]}, headers=bearer(bad_key())))
            assert store.lookups == 3  # six refusals, no lookup
        with from_address(url, "127.0.0.22") as other:
            unauthorized(other.get("/v1/patterns", headers=bearer(bad_key())))
            assert store.lookups == 4  # other clients are still looked up
        with from_address(url, "127.0.0.21", key) as good:
            assert good.get("/v1/patterns").status_code == 200
            metrics = good.get("/metrics").text
        assert 'logsum_rate_limited_total{tier="unauthenticated"} 6.0' in metrics


def test_a_revoked_key_loses_its_verified_mark(tmp_path: Path) -> None:
    with counting_service(tmp_path, rate_limit_auth_failures=2) as (url, store, _key):
        record, key = store.create_key("soon-revoked", Tier.FREE)
        with from_address(url, "127.0.0.25", key) as c:
            assert c.get("/v1/patterns").status_code == 200
            store.revoke_key(record.id)
            unauthorized(c.get("/v1/patterns"))
            unauthorized(c.get("/v1/patterns"))
            looked_up = store.lookups
            refused(c.get("/v1/patterns"))  # no longer exempt: refused like any bad key
            assert store.lookups == looked_up


def test_the_refusal_ends_when_retry_after_says(tmp_path: Path) -> None:
    with (
        counting_service(tmp_path, rate_limit_auth_failures=1, rate_limit_window_seconds=3) as (
            url,
            _store,
            _key,
        ),
        from_address(url, "127.0.0.31") as c,
    ):
        unauthorized(c.get("/v1/patterns"))
        retry = refused(c.get("/v1/patterns"), window=3)
        time.sleep(retry)
        deadline = time.monotonic() + 2  # Retry-After is rounded up to whole seconds
        while (r := c.get("/v1/patterns")).status_code == 429 and time.monotonic() < deadline:
            time.sleep(0.1)
        unauthorized(r)


# -- several processes on one Redis --------------------------------------------------------


def test_two_processes_share_the_failure_count_and_verified_keys_through_redis(
    redis_server: Redis, tmp_path: Path
) -> None:
    env = {"LOGSUM_REDIS_URL": redis_server.url, "LOGSUM_RATE_LIMIT_AUTH_FAILURES": "4"}
    address = "127.0.0.41"
    with two_servers(tmp_path, env, ("k", Tier.FREE)) as (one, two, keys):
        with from_address(one.url, address, keys["k"]) as good:
            assert good.get("/v1/patterns").status_code == 200  # verified by process one only
        codes = []
        for i in range(7):
            server = one if i % 2 == 0 else two
            with from_address(server.url, address) as bad:
                r = bad.get("/v1/patterns", headers=bearer(bad_key()))
            codes.append(r.status_code)
        assert codes == [401] * 4 + [429] * 3
        for server in (one, two):
            with from_address(server.url, address) as bad:
                refused(bad.get("/v1/patterns"))
        with from_address(two.url, address, keys["k"]) as good:
            assert good.get("/v1/patterns").status_code == 200  # process one's mark counts
