"""``/v1/watch`` through the real app (composition root, auth, rate limits, error envelope,
lifespan-started watch service) with a real webhook receiver on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from logsum.app_factory import build_app, prepare
from logsum.settings import load_settings
from logsum.store import Store, Tier

from .receiver import Receiver


@pytest.fixture
def env(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Path]]:
    root = tmp_path / "logs"
    root.mkdir()
    settings = load_settings(
        data_dir=tmp_path / "data",
        watch_roots=str(root),
        webhook_allow_private=True,
        watch_batch_max_wait_seconds=0.05,
        watch_poll_interval_seconds=0.02,
        watch_lease_seconds=1.0,
        rate_limit_free=4,
        max_watches_per_key=3,
    )
    prepared = prepare(settings)
    assert prepared.bootstrap_key is not None
    store = Store(settings.store_url)
    _, other = store.create_key("other", Tier.PRO)
    _, free = store.create_key("free", Tier.FREE)
    store.close()
    keys = {"main": prepared.bootstrap_key[1], "other": other, "free": free}
    with TestClient(build_app(settings)) as client:
        yield client, keys, root


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def error_code(resp: object, status: int) -> str:
    assert resp.status_code == status, resp.text  # type: ignore[attr-defined]
    body = resp.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return str(body["error"]["code"])


def test_create_follow_deliver_get_list_delete(
    env: tuple[TestClient, dict[str, str], Path],
) -> None:
    client, keys, root = env
    rx = Receiver().start()
    log = root / "app.log"
    log.write_text("2024-01-01 10:00:00 ERROR before the watch\n")
    resp = client.post(
        "/v1/watch",
        headers=auth(keys["main"]),
        json={"source": str(log), "filters": {"severity": ["error"]}, "webhook_url": rx.url},
    )
    assert resp.status_code == 201, resp.text
    w = resp.json()
    assert w["id"].startswith("wat_") and w["secret"].startswith("whsec_")
    assert w["source"] == str(log.resolve())
    assert w["filters"] == {"severity": ["error"]} and w["webhook_url"] == rx.url
    assert w["status"] == "pending" and w["created_at"].endswith("Z")
    assert "x-ratelimit-remaining" in resp.headers
    rx.secrets.append(w["secret"])

    with open(log, "a") as fh:
        fh.write("2024-01-01 10:00:01 ERROR disk full on /dev/sda1\n")
        fh.write("2024-01-01 10:00:02 INFO all good\n")
        fh.write("2024-01-01 10:00:03 ERROR disk full on /dev/sdb1\n")
    assert rx.wait_for(2) == [
        "2024-01-01 10:00:01 ERROR disk full on /dev/sda1",
        "2024-01-01 10:00:03 ERROR disk full on /dev/sdb1",
    ]
    assert rx.bad_signatures == 0

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        got = client.get(f"/v1/watch/{w['id']}", headers=auth(keys["main"])).json()
        if got["delivered_count"] >= 1 and got["lines_read"] == 3:
            break
        time.sleep(0.05)
    assert got["status"] == "following"
    assert got["lines_read"] == 3 and got["events_count"] == 2
    assert got["offset"] == log.stat().st_size
    assert got["failed_count"] == 0 and got["last_delivery_at"] is not None
    assert "secret" not in got

    listed = client.get("/v1/watch", headers=auth(keys["main"])).json()
    assert listed["total"] == 1 and listed["watches"][0]["id"] == w["id"]
    # The caller's patterns are updated by the stream (every pattern_flush_s, 2 s).
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        patterns = client.get("/v1/patterns", headers=auth(keys["main"])).json()
        if sum(p["count"] for p in patterns["patterns"]) >= 3:
            break
        time.sleep(0.1)
    assert sum(p["count"] for p in patterns["patterns"]) == 3

    # Another key sees nothing and can't delete it.
    assert client.get("/v1/watch", headers=auth(keys["other"])).json()["total"] == 0
    assert error_code(client.get(f"/v1/watch/{w['id']}", headers=auth(keys["other"])), 404)
    assert error_code(client.delete(f"/v1/watch/{w['id']}", headers=auth(keys["other"])), 404)

    assert client.delete(f"/v1/watch/{w['id']}", headers=auth(keys["main"])).status_code == 204
    assert (
        error_code(client.get(f"/v1/watch/{w['id']}", headers=auth(keys["main"])), 404)
        == "not_found"
    )
    time.sleep(0.3)
    with open(log, "a") as fh:
        fh.write("2024-01-01 10:00:04 ERROR after delete\n")
    time.sleep(0.3)
    assert len(rx.texts()) == 2


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"source": "{root}/../escape.log", "webhook_url": "{rx}"}, "outside"),
        ({"source": "{root}/link.log", "webhook_url": "{rx}"}, "outside"),
        ({"source": "relative.log", "webhook_url": "{rx}"}, "absolute"),
        ({"source": "{root}/a.log", "webhook_url": "ftp://example.com/x"}, "http"),
        ({"source": "{root}/a.log", "webhook_url": "http://169.254.169.254/latest"}, "metadata"),
        ({"source": "{root}/a.log", "webhook_url": "http://[fd00:ec2::254]/"}, "metadata"),
        (
            {"source": "{root}/a.log", "webhook_url": "{rx}", "filters": {"severity": ["loud"]}},
            "severity",
        ),
        ({"webhook_url": "{rx}"}, "source"),
        ({"source": "{root}/a.log", "webhook_url": "{rx}", "extra": 1}, "extra"),
        # Types are strict, as in POST /v1/analyze: no "true" or 1 for a boolean.
        ({"source": "{root}/a.log", "webhook_url": "{rx}", "from_beginning": "true"}, "from_"),
        ({"source": "{root}/a.log", "webhook_url": "{rx}", "from_beginning": 1}, "from_"),
        ({"source": "{root}/a.log", "webhook_url": "{rx}", "timezone": "Mars/Olympus"}, "zone"),
        ({"source": "{root}/a.log", "webhook_url": "{rx}", "timezone": "../x"}, "zone"),
        ({"source": "{root}/a.log", "webhook_url": "{rx}", "timezone": 1}, "timezone"),
    ],
)
def test_invalid_watches_are_400_with_the_envelope(
    env: tuple[TestClient, dict[str, str], Path], body: dict[str, object], fragment: str
) -> None:
    client, keys, root = env
    (root / "link.log").symlink_to(root.parent / "escape.log")

    def fill(v: object) -> object:
        if isinstance(v, str):
            return v.replace("{root}", str(root)).replace("{rx}", "http://127.0.0.1:9/h")
        return v

    resp = client.post(
        "/v1/watch", headers=auth(keys["main"]), json={k: fill(v) for k, v in body.items()}
    )
    assert error_code(resp, 400) == "invalid_request"
    assert fragment in resp.json()["error"]["message"]


def test_timezone_is_stored_shown_and_used(env: tuple[TestClient, dict[str, str], Path]) -> None:
    """Zone-less lines of a watched file are read in the watch's zone; delivered times are UTC;
    a watch created without one says UTC."""
    client, keys, root = env
    rx = Receiver().start()
    log = root / "zoned.log"
    log.write_text("")
    body = {"source": str(log), "webhook_url": rx.url, "timezone": "Europe/Berlin"}
    resp = client.post("/v1/watch", headers=auth(keys["main"]), json=body)
    assert resp.status_code == 201, resp.text
    w = resp.json()
    assert w["timezone"] == "Europe/Berlin"
    rx.secrets.append(w["secret"])
    got = client.get(f"/v1/watch/{w['id']}", headers=auth(keys["main"])).json()
    assert got["timezone"] == "Europe/Berlin"
    with open(log, "a") as fh:
        fh.write("2026-07-15 10:00:00 ERROR disk full\n")
        fh.write("2026-07-15T10:00:00Z ERROR disk full\n")
    rx.wait_for(2)
    assert [e["timestamp"] for e in rx.events()] == ["2026-07-15T08:00:00Z", "2026-07-15T10:00:00Z"]
    plain = {"source": str(root / "other.log"), "webhook_url": rx.url}
    default = client.post("/v1/watch", headers=auth(keys["main"]), json=plain).json()
    assert default["timezone"] == "UTC"


def test_auth_rate_limit_and_quota(env: tuple[TestClient, dict[str, str], Path]) -> None:
    client, keys, root = env
    assert error_code(client.get("/v1/watch"), 401) == "unauthorized"
    assert error_code(client.post("/v1/watch", json={}), 401) == "unauthorized"
    body = {"source": str(root / "a.log"), "webhook_url": "http://127.0.0.1:9/h"}
    # The free key has 4 requests per window; creating watches counts like any request.
    codes = [
        client.post("/v1/watch", headers=auth(keys["free"]), json=body).status_code
        for _ in range(5)
    ]
    assert codes == [201, 201, 201, 400, 429]  # 4th: over the 3-watch quota; 5th: rate limit


MACHINE = Path(__file__).resolve().parents[1] / "data" / "machine"


def test_postgres_error_and_fatal_lines_pass_an_error_filter(
    env: tuple[TestClient, dict[str, str], Path],
) -> None:
    """A real PostgreSQL 15 server log (tests/data/machine): its LOG lines come first, and the
    ERROR, FATAL and WARNING lines after them pass the contract's example filter ["error",
    "warning"], as error, critical and warning (the learned layout once read them as info, so
    a FATAL line was never delivered; then a critical line did not pass ["error"])."""
    client, keys, root = env
    rx = Receiver().start()
    log = root / "postgresql.log"
    log.write_text("")
    body = {
        "source": str(log),
        "filters": {"severity": ["error", "warning"]},  # the API contract's example
        "webhook_url": rx.url,
    }
    resp = client.post("/v1/watch", headers=auth(keys["main"]), json=body)
    assert resp.status_code == 201, resp.text
    rx.secrets.append(resp.json()["secret"])
    lines = (MACHINE / "postgresql-15.log").read_text(encoding="utf-8").splitlines()
    want = [ln for ln in lines if " ERROR:  " in ln or " FATAL:  " in ln or " WARNING:  " in ln]
    assert len(want) == 16
    with open(log, "a", encoding="utf-8") as fh:
        for ln in lines:
            fh.write(ln + "\n")
    assert rx.wait_for(len(want)) == want
    events = rx.events()
    level = {"ERROR": "error", "FATAL": "critical", "WARNING": "warning"}
    assert [e["severity"] for e in events] == [level[ln.split()[4][:-1]] for ln in want]
    assert all(e["timestamp"].startswith("2026-12-07T23:38:") for e in events)
    assert rx.bad_signatures == 0
