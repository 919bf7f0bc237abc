"""Pattern history, stored anomalies and the web page, through real ``logsum serve``
processes: the history's totals equal the stored counts (also with two server processes writing
at once, on SQLite; PostgreSQL's writer processes are in tests/store/test_history.py), bad
parameters get the error envelope, the page is served with its security headers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from logsum.store import Tier

from .conftest import Server, envelope, make_keys, start_server


def recent_lines(n: int, *, minutes_back: int = 50, tag: str = "") -> list[str]:
    """``n`` lines of three templates spread over the last ``minutes_back`` minutes."""
    now = datetime.now(UTC).replace(microsecond=0)
    out = []
    for i in range(n):
        at = (now - timedelta(minutes=(i * 7) % minutes_back)).strftime("%Y-%m-%d %H:%M:%S")
        kind = i % 3
        if kind == 0:
            out.append(f"{at} INFO {tag}Request {i} served in {i % 97} ms")
        elif kind == 1:
            out.append(f"{at} WARN {tag}Cache miss for key user{i}")
        else:
            out.append(f"{at} ERROR {tag}Upstream timeout after {i % 13} s")
    return out


def test_history_total_equals_the_stored_count(api: Server) -> None:
    with api.client(api.keys["a"]) as c:
        for _ in range(3):
            assert c.post("/v1/analyze", json={"logs": recent_lines(60)}).status_code == 200
        c.post("/v1/analyze", json={"logs": ["no timestamp here: job 7 finished"]})
        patterns = c.get("/v1/patterns").json()["patterns"]
        assert patterns
        for p in patterns:
            h = c.get(f"/v1/patterns/{p['id']}/history")
            assert h.status_code == 200, h.text
            body = h.json()
            assert set(body) == {"pattern_id", "bucket_seconds", "points", "total"}
            assert body["pattern_id"] == p["id"]
            assert body["total"] == sum(pt["count"] for pt in body["points"]) == p["count"]
            assert h.headers["x-ratelimit-limit"]
            assert len(body["points"]) <= 720
            starts = [pt["start"] for pt in body["points"]]
            assert starts == sorted(starts) and all(s.endswith("Z") for s in starts)
        top = patterns[0]["id"]
        hourly = c.get(f"/v1/patterns/{top}/history", params={"bucket": 3600}).json()
        assert hourly["bucket_seconds"] == 3600 and len(hourly["points"]) in (24, 25)
        # Lines an hour old or more are outside the last 10 minutes.
        since = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
        short = c.get(f"/v1/patterns/{top}/history", params={"since": since, "bucket": 60})
        assert 0 < short.json()["total"] < patterns[0]["count"]
        ranged = c.get("/v1/patterns", params={"since": since}).json()
        by_id = {p["id"]: p["count"] for p in ranged["patterns"]}
        assert by_id[top] == short.json()["total"]
        latest = c.get("/v1/patterns", params={"order": "last_seen"}).json()["patterns"]
        seen = [p["last_seen"] for p in latest if p["last_seen"]]
        assert seen == sorted(seen, reverse=True)


def test_anomalies_of_analyze_requests_are_stored(api: Server) -> None:
    with api.client(api.keys["a"]) as other:
        others_before = other.get("/v1/anomalies").json()["total"]
    with api.client(api.keys["b"]) as c:
        found = c.post("/v1/analyze", json={"logs": recent_lines(30, tag="Fresh ")}).json()
        assert found["anomalies"], "a first request reports its new patterns"
        listing = c.get("/v1/anomalies").json()
        assert set(listing) == {"anomalies", "total", "limit", "offset"}
        assert listing["total"] >= len(found["anomalies"])
        newest = listing["anomalies"][: len(found["anomalies"])]
        assert {a["id"] for a in newest} == {a["id"] for a in found["anomalies"]}
        for a in newest:
            original = next(x for x in found["anomalies"] if x["id"] == a["id"])
            assert {k: v for k, v in a.items() if k not in ("found_at", "source")} == original
            assert a["source"] == "analyze" and a["found_at"].endswith("Z")
        kind = newest[0]["type"]
        only = c.get("/v1/anomalies", params={"type": kind, "limit": 1}).json()
        assert only["total"] >= 1 and only["anomalies"][0]["type"] == kind
        future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        assert c.get("/v1/anomalies", params={"since": future}).json()["total"] == 0
    with api.client(api.keys["a"]) as other:
        assert other.get("/v1/anomalies").json()["total"] == others_before  # b's stay b's


def test_bad_parameters_get_the_envelope(api: Server) -> None:
    with api.client(api.keys["a"]) as c:
        c.post("/v1/analyze", json={"logs": recent_lines(3)})
        pid = c.get("/v1/patterns").json()["patterns"][0]["id"]
        base = f"/v1/patterns/{pid}/history"
        for params in (
            {"bucket": "90"},
            {"bucket": "0"},
            {"bucket": "abc"},
            {"since": "yesterday"},
            {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
            {"since": "2020-01-01T00:00:00Z", "bucket": "60"},  # too many points
        ):
            envelope(c.get(base, params=params), 400, "invalid_request")
        envelope(c.get("/v1/patterns/nope/history"), 404, "not_found")
        envelope(c.get("/v1/patterns/" + "z" * 300 + "/history"), 404, "not_found")
        for params in (
            {"limit": "0"},
            {"limit": "501"},
            {"severity": "loud"},
            {"type": "Bad Type!"},
            {"since": "soon"},
            {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
        ):
            envelope(c.get("/v1/anomalies", params=params), 400, "invalid_request")
        for params in ({"order": "template"}, {"since": "x"}, {"until": "2020-13-01"}):
            envelope(c.get("/v1/patterns", params=params), 400, "invalid_request")
    with httpx.Client(base_url=api.url) as anon:
        envelope(anon.get(f"/v1/patterns/{pid}/history"), 401, "unauthorized")
        envelope(anon.get("/v1/anomalies"), 401, "unauthorized")


def test_openapi_documents_the_new_routes(api: Server) -> None:
    with httpx.Client(base_url=api.url) as c:
        paths = c.get("/openapi.json").json()["paths"]
    history = paths["/v1/patterns/{pattern_id}/history"]["get"]
    assert {p["name"] for p in history["parameters"]} >= {"since", "until", "bucket"}
    assert {"200", "400", "401", "404", "429"} <= set(history["responses"])
    anomalies = paths["/v1/anomalies"]["get"]
    assert {p["name"] for p in anomalies["parameters"]} >= {
        "since",
        "until",
        "type",
        "severity",
        "limit",
    }
    listing = {p["name"] for p in paths["/v1/patterns"]["get"]["parameters"]}
    assert {"since", "until", "order"} <= listing
    assert "/" not in paths and "/ui/{name}" not in paths


def test_the_page_and_its_files_are_served_with_their_types_and_policy(api: Server) -> None:
    with httpx.Client(base_url=api.url) as c:
        page = c.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert '<script src="/ui/app.js"' in page.text and "<script>" not in page.text
        for name, kind in (
            ("app.js", "text/javascript"),
            ("app.css", "text/css"),
            ("favicon.svg", "image/svg+xml"),
        ):
            r = c.get(f"/ui/{name}")
            assert r.status_code == 200 and r.headers["content-type"].startswith(kind)
            assert r.headers["content-security-policy"] == csp
        envelope(c.get("/ui/settings.py"), 404, "not_found")
        envelope(c.get("/ui/../settings.py"), 404, "not_found")
        envelope(c.get("/ui/%2e%2e%2fsettings.py"), 404, "not_found")


def test_two_server_processes_writing_at_once_keep_history_exact(tmp_path: Path) -> None:
    """On SQLite (writers of two processes queue on its lock file); several writer processes
    on PostgreSQL too: tests/store/test_history.py."""
    db_url = f"sqlite:///{tmp_path / 'logsum.db'}"
    keys = make_keys(db_url, ("k", Tier.ENTERPRISE))
    env = {"LOGSUM_DATABASE_URL": db_url, "LOGSUM_DATA_DIR": str(tmp_path / "data")}
    servers = [start_server(tmp_path / "one", env)]
    try:
        servers.append(start_server(tmp_path / "two", env))
        errors: list[str] = []

        def post(server: Server, rounds: int) -> None:
            with server.client(keys["k"]) as c:
                for i in range(rounds):
                    r = c.post("/v1/analyze", json={"logs": recent_lines(20 + i % 5)})
                    if r.status_code != 200:
                        errors.append(r.text)

        threads = [threading.Thread(target=post, args=(s, 6)) for s in servers for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == []
        with servers[0].client(keys["k"]) as c:
            patterns = c.get("/v1/patterns").json()["patterns"]
            assert sum(p["count"] for p in patterns) == 4 * sum(20 + i % 5 for i in range(6))
            for p in patterns:
                for bucket in (60, 3600):
                    h = c.get(f"/v1/patterns/{p['id']}/history", params={"bucket": bucket})
                    assert h.json()["total"] == p["count"], (p, bucket)
    finally:
        for s in servers:
            s.stop()
