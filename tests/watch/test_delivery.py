"""The deliverer against a real receiver: pinned address, DNS rebinding refused at delivery
time, Retry-After honoured, attempts counted."""

from __future__ import annotations

import json
import re
import shutil
import ssl
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from logsum.store import Store
from logsum.watch.config import WatchConfig
from logsum.watch.delivery import Deliverer
from logsum.watch.model import BatchCommit, OutboxItem, WatchFilters
from logsum.watch.repo import WatchStore, new_webhook_id
from logsum.watch.retry import RetryPolicy
from logsum.watch.signing import generate_secret

from .receiver import Receiver

BODY = '{"type":"logsum.watch.batch","data":{"events":[{"text":"x"}],"anomalies":[]}}'


@pytest.fixture
def setup(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.migrate()
    rx = Receiver().start()
    secret = generate_secret()
    rx.secrets.append(secret)
    repo = WatchStore(store)
    url = f"http://hook.test:{rx.port}/in"  # resolvable only through the test's resolver
    w = repo.create_watch(
        tenant_id="key_t",
        source=str(tmp_path / "a.log"),
        filters=WatchFilters(),
        webhook_url=url,
        secret=secret,
        from_beginning=False,
        checkpoint=None,
    )
    assert repo.acquire_lease(w.id, "me", 60)
    repo.commit_batch(w.id, "me", None, BatchCommit(1, (OutboxItem(new_webhook_id(), BODY, 1),)))
    spec = repo.get_spec(w.id)
    assert spec is not None
    yield store, repo, spec, rx
    rx.down()
    store.close()


def deliverer(repo, spec, answers: dict[str, str], **cfg: object) -> Deliverer:  # type: ignore[no-untyped-def]
    config = WatchConfig(**{"allow_private": True, **cfg})  # type: ignore[arg-type]
    return Deliverer(
        spec,
        repo=repo,
        config=config,
        stop=threading.Event(),
        wake=threading.Event(),
        client=httpx.Client(trust_env=False),
        resolver=lambda host, port: [answers[host]],
    )


def test_connects_to_the_checked_address_with_the_original_host(setup) -> None:  # type: ignore[no-untyped-def]
    _store, repo, spec, rx = setup
    d = deliverer(repo, spec, {"hook.test": "127.0.0.1"})
    delivery = repo.next_delivery(spec.id)
    assert d.attempt(delivery) is True
    assert len(rx.texts()) == 1 and rx.bad_signatures == 0
    assert repo.next_delivery(spec.id) is None


def test_deliveries_verify_with_the_standard_webhooks_library(setup) -> None:  # type: ignore[no-untyped-def]
    _store, repo, spec, rx = setup
    d = deliverer(repo, spec, {"hook.test": "127.0.0.1"})
    assert d.attempt(repo.next_delivery(spec.id)) is True
    ((headers, body),) = rx.requests
    # The reference library's own verifier (system clock, five minutes' tolerance).
    assert Webhook(spec.secret).verify(body, headers) == json.loads(BODY)
    assert body == BODY.encode()
    # The headers docs/WATCH.md promises, in its format.
    low = {k.lower(): v for k, v in headers.items()}
    assert re.fullmatch(r"msg_[0-9a-f]{32}", low["webhook-id"])
    assert re.fullmatch(r"[0-9]+", low["webhook-timestamp"])
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", low["webhook-signature"])
    assert low["content-type"] == "application/json"
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)


def test_rebinding_to_a_private_address_is_refused_at_delivery(setup) -> None:  # type: ignore[no-untyped-def]
    _store, repo, spec, rx = setup
    # Created while "hook.test" was public; now it answers 127.0.0.1 and private is not allowed.
    d = deliverer(repo, spec, {"hook.test": "127.0.0.1"}, allow_private=False)
    delivery = repo.next_delivery(spec.id)
    assert d.attempt(delivery) is False
    assert rx.attempts == 0  # nothing was sent
    w = repo.get_watch("key_t", spec.id)
    assert w is not None and "loopback" in (w.last_error or "") and w.pending_count == 1


def test_retry_after_is_honoured_and_attempts_run_out(setup) -> None:  # type: ignore[no-untyped-def]
    _store, repo, spec, rx = setup
    rx.fail_with = 429
    rx.retry_after = "120"
    d = deliverer(repo, spec, {"hook.test": "127.0.0.1"}, retry=RetryPolicy(max_attempts=2))
    first = repo.next_delivery(spec.id)
    before = datetime.now(UTC)
    assert d.attempt(first) is False
    again = repo.next_delivery(spec.id)
    assert again is not None and again.attempts == 1
    assert (again.next_attempt_at - before).total_seconds() >= 119
    assert d.attempt(again) is False
    w = repo.get_watch("key_t", spec.id)
    assert w is not None and w.failed_count == 1 and w.last_error == "HTTP 429"
    assert rx.attempts == 2


def _certificates(d: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for ``hook.test`` (openssl CLI)."""

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "1", "-subj", "/CN=logsum test CA")  # fmt: skip
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr",
        "-subj", "/CN=hook.test")  # fmt: skip
    (d / "ext.cnf").write_text("subjectAltName=DNS:hook.test\n")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "srv.pem", "-days", "1", "-extfile", "ext.cnf")  # fmt: skip
    return d / "ca.pem", d / "srv.pem", d / "srv.key"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_https_is_pinned_to_the_checked_address_and_verified_by_name(tmp_path: Path) -> None:
    ca, cert, key = _certificates(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    rx = Receiver(ssl_context=server_ctx).start()
    secret = generate_secret()
    rx.secrets.append(secret)
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.migrate()
    repo = WatchStore(store)
    client = httpx.Client(verify=ssl.create_default_context(cafile=str(ca)), trust_env=False)
    try:
        outcomes = {}
        for host in ("hook.test", "other.test"):  # the certificate names hook.test only
            w = repo.create_watch(
                tenant_id="key_t",
                source=str(tmp_path / f"{host}.log"),
                filters=WatchFilters(),
                webhook_url=f"https://{host}:{rx.port}/in",
                secret=secret,
                from_beginning=False,
                checkpoint=None,
            )
            assert repo.acquire_lease(w.id, "me", 60)
            item = OutboxItem(new_webhook_id(), BODY, 1)
            repo.commit_batch(w.id, "me", None, BatchCommit(1, (item,)))
            spec = repo.get_spec(w.id)
            d = Deliverer(
                spec,  # type: ignore[arg-type]
                repo=repo,
                config=WatchConfig(allow_private=True),
                stop=threading.Event(),
                wake=threading.Event(),
                client=client,
                resolver=lambda h, p: ["127.0.0.1"],
            )
            outcomes[host] = d.attempt(repo.next_delivery(w.id))  # type: ignore[arg-type]
            outcomes[host + " error"] = repo.get_watch("key_t", w.id).last_error  # type: ignore[union-attr]
    finally:
        client.close()
        rx.down()
        store.close()
    assert outcomes["hook.test"] is True and outcomes["hook.test error"] is None
    assert outcomes["other.test"] is False
    assert "CERTIFICATE_VERIFY_FAILED" in (outcomes["other.test error"] or "")
    assert len(rx.texts()) == 1
