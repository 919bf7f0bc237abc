"""A key learns from known-good logs (``learn_only``) and is judged against them later; the
baseline is per key, shown by ``GET /v1/baseline`` and forgotten by ``DELETE /v1/baseline``.
Real HDFS block traces (tests/data/hdfs_sessions), a real ``logsum serve`` on SQLite and on
PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from logsum.store import Store, Tier

from .conftest import Server, envelope, keyed_server, make_keys, start_server

DATA = Path(__file__).resolve().parents[1] / "data" / "hdfs_sessions"
KEY = r"blk_-?\d+"
LIMITS = {"LOGSUM_MAX_BODY_BYTES": str(4 << 20), "LOGSUM_MAX_BATCH_LINES": "10000"}


def _lines(name: str) -> list[str]:
    return (DATA / name).read_text("utf-8").splitlines()


def _odd_blocks() -> set[str]:
    rows = (DATA / "judged_labels.csv").read_text("utf-8").splitlines()[1:]
    return {r.split(",")[0] for r in rows if r.endswith(",1")}


def _flagged(body: dict[str, object]) -> set[str]:
    return {
        s
        for a in body["anomalies"]  # type: ignore[attr-defined]
        if a["type"] == "session"
        for s in a["evidence"]["sessions"]
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with keyed_server(tmp_path_factory.mktemp("baseline"), LIMITS) as s:
        yield s


def _learn_judge_reset(c: httpx.Client, other: httpx.Client) -> None:
    options = {"session_key": KEY}
    assert c.get("/v1/baseline").status_code == 404
    learned = c.post(
        "/v1/analyze",
        json={"logs": _lines("baseline.log"), "options": {**options, "learn_only": True}},
    )
    assert learned.status_code == 200, learned.text
    body = learned.json()
    assert body["anomalies"] == [] and body["insights"] == [] and body["patterns"]
    shown = c.get("/v1/baseline")
    assert shown.status_code == 200, shown.text
    info = shown.json()
    assert info["sessions"] == 150 and info["session_key"] == KEY
    assert info["lines"] == len(_lines("baseline.log")) and info["size_bytes"] > 0
    assert info["updated_at"].endswith("Z")
    judged = c.post("/v1/analyze", json={"logs": _lines("judged.log"), "options": options})
    assert judged.status_code == 200, judged.text
    assert _flagged(judged.json()) == _odd_blocks()
    sessions = [a for a in judged.json()["anomalies"] if a["type"] == "session"]
    assert all(a["evidence"]["baseline"] is True for a in sessions)
    # Another key learned nothing: it has no baseline, and its batch is judged on its own.
    envelope(other.get("/v1/baseline"), 404, "not_found")
    alone = other.post("/v1/analyze", json={"logs": _lines("judged.log"), "options": options})
    sessions = [a for a in alone.json()["anomalies"] if a["type"] == "session"]
    assert sessions and all(a["evidence"]["baseline"] is False for a in sessions)
    # Reset: forgotten, and idempotent.
    assert c.delete("/v1/baseline").status_code == 204
    assert c.delete("/v1/baseline").status_code == 204
    envelope(c.get("/v1/baseline"), 404, "not_found")


def test_a_key_learns_is_judged_against_what_it_learned_and_resets(server: Server) -> None:
    with server.client(server.keys["a"]) as c, server.client(server.keys["b"]) as other:
        _learn_judge_reset(c, other)


def test_learn_only_as_a_query_option_and_bad_values(server: Server) -> None:
    with server.client(server.keys["b"]) as c:
        assert c.delete("/v1/baseline").status_code == 204  # whatever ran before on this key
        text = "\n".join(_lines("baseline.log")[:2000]).encode()
        r = c.post(
            "/v1/analyze",
            params={"learn_only": "true", "session_key": KEY},
            content=text,
            headers={"Content-Type": "text/plain"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["anomalies"] == []
        assert c.get("/v1/baseline").json()["lines"] == 2000
        envelope(
            c.post("/v1/analyze", json={"logs": ["x"], "options": {"learn_only": "maybe"}}),
            400,
            "invalid_request",
        )
        envelope(
            c.get("/v1/baseline", headers={"Authorization": "Bearer nope"}), 401, "unauthorized"
        )
        assert c.delete("/v1/baseline").status_code == 204


def test_the_same_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    import psycopg

    name = f"logsum_baseline_{id(object())}"
    admin = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = pg_url.rsplit("/", 1)[0] + "/" + name
    keys = make_keys(db, ("a", Tier.PRO), ("b", Tier.PRO))
    server = start_server(tmp_path, {"LOGSUM_DATABASE_URL": db, **LIMITS})
    try:
        with server.client(keys["a"]) as c, server.client(keys["b"]) as other:
            _learn_judge_reset(c, other)
    finally:
        server.stop()


def _steady(minutes: int, heartbeat: bool) -> list[str]:
    """A service's log written by us: a request line every 10 s, and (when ``heartbeat``) the
    scheduler's heartbeat every minute."""
    out = []
    for s in range(0, minutes * 60, 10):
        stamp = f"2026-03-02 {10 + s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
        out.append(f"{stamp} INFO GET /api/items/{s % 97} 200 in {s % 13 + 3} ms")
        if heartbeat and s % 60 == 0:
            out.append(f"{stamp} INFO Heartbeat from scheduler: {s % 7} jobs queued")
    return out


def test_a_heartbeat_the_baseline_had_is_missed_against_the_learned_rate(server: Server) -> None:
    with server.client(server.keys["a"]) as c, server.client(server.keys["b"]) as other:
        assert c.delete("/v1/baseline").status_code == 204
        learned = c.post(
            "/v1/analyze", json={"logs": _steady(120, True), "options": {"learn_only": True}}
        )
        assert learned.status_code == 200, learned.text
        judged_logs = _steady(60, False)

        def silent(client: httpx.Client) -> list[dict[str, object]]:
            r = client.post("/v1/analyze", json={"logs": judged_logs})
            assert r.status_code == 200, r.text
            return [
                a
                for a in r.json()["anomalies"]
                if a["type"] == "volume_drop" and a["evidence"].get("compared_with") == "baseline"
            ]

        (drop,) = silent(c)
        assert "Heartbeat" in drop["message"] and "went silent" in drop["message"]
        assert silent(other) == []  # no baseline: nothing to miss
        assert c.delete("/v1/baseline").status_code == 204


def _rewrite_rates(db_url: str, tenant_id: str, rates: object, drop: bool = False) -> None:
    """Replace the stored baseline's rates (or drop the field, as a service from before rates
    were learned stored it)."""
    store = Store(db_url)
    try:
        stored = store.baselines.get(tenant_id)
        assert stored is not None
        payload = json.loads(stored.payload)
        assert payload["rates"] is not None  # what this test changes was there
        if drop:
            del payload["rates"]
        else:
            payload["rates"] = rates
        store.baselines.put(
            tenant_id, json.dumps(payload), sessions=stored.sessions, lines=stored.lines
        )
    finally:
        store.close()


def test_stored_rates_of_an_older_or_damaged_shape_are_ignored_not_a_500(tmp_path: Path) -> None:
    with keyed_server(tmp_path, {**LIMITS, "LOGSUM_ENGINE_SYNC_SECONDS": "0"}) as server:
        db_url = f"sqlite:///{tmp_path / 'data' / 'logsum.db'}"
        store = Store(db_url)
        try:
            tenant = next(k.id for k in store.list_keys() if k.name == "a")
        finally:
            store.close()
        options = {"learn_only": True}
        with server.client(server.keys["a"]) as c:
            for rates in ("before rates", {"seconds": 0, "lines": 1, "patterns": {}}, [7]):
                learned = c.post(
                    "/v1/analyze", json={"logs": _steady(60, True), "options": options}
                )
                assert learned.status_code == 200, learned.text
                judged = c.post("/v1/analyze", json={"logs": _steady(60, False)})
                assert [a for a in judged.json()["anomalies"] if a["evidence"].get("compared_with")]
                _rewrite_rates(db_url, tenant, rates, drop=rates == "before rates")
                judged = c.post("/v1/analyze", json={"logs": _steady(60, False)})
                assert judged.status_code == 200, (rates, judged.text)
                assert not [
                    a for a in judged.json()["anomalies"] if a["evidence"].get("compared_with")
                ]
                assert c.get("/v1/baseline").status_code == 200
                # The next learn (at the top of the loop) learns the rates again.


def test_learning_from_lines_without_timestamps_or_nothing_stores_no_rates(server: Server) -> None:
    with server.client(server.keys["b"]) as c:
        assert c.delete("/v1/baseline").status_code == 204
        bare = [line.split(" ", 2)[2] for line in _steady(60, True)]  # no timestamps
        for logs in (bare, []):
            r = c.post("/v1/analyze", json={"logs": logs, "options": {"learn_only": True}})
            assert r.status_code == 200, r.text
        assert c.get("/v1/baseline").json()["lines"] == len(bare)
        judged = c.post("/v1/analyze", json={"logs": _steady(60, False)})
        assert judged.status_code == 200, judged.text
        assert not [a for a in judged.json()["anomalies"] if a["evidence"].get("compared_with")]
        assert c.delete("/v1/baseline").status_code == 204


def test_a_stored_baseline_that_does_not_read_is_ignored_and_learned_anew(tmp_path: Path) -> None:
    # A damaged row, or one written by a LogSum that knows a newer version: each request of the
    # key used to fail with a 500. Now the key is judged as without a baseline, and its next
    # learn_only request starts a new one.
    with keyed_server(tmp_path, {**LIMITS, "LOGSUM_ENGINE_SYNC_SECONDS": "0"}) as server:
        db_url = f"sqlite:///{tmp_path / 'data' / 'logsum.db'}"
        with server.client(server.keys["a"]) as c:
            for payload in ("{not json", json.dumps({"version": 99, "sessions": None})):
                store = Store(db_url)
                try:
                    tenant = next(k.id for k in store.list_keys() if k.name == "a")
                    store.baselines.put(tenant, payload, sessions=1, lines=1)
                finally:
                    store.close()
                judged = c.post("/v1/analyze", json={"logs": _steady(60, False)})
                assert judged.status_code == 200, judged.text
                assert not [
                    a for a in judged.json()["anomalies"] if a["evidence"].get("compared_with")
                ]
                learned = c.post(
                    "/v1/analyze",
                    json={"logs": _steady(60, True), "options": {"learn_only": True}},
                )
                assert learned.status_code == 200, learned.text
                judged = c.post("/v1/analyze", json={"logs": _steady(60, False)})
                assert [a for a in judged.json()["anomalies"] if a["evidence"].get("compared_with")]
                assert c.get("/v1/baseline").json()["lines"] == len(_steady(60, True))
