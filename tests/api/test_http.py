"""The REST service through real HTTP: contract shapes, auth, errors, limits, tenants."""

from __future__ import annotations

import gzip
import re
import socket
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
import pytest

from logsum import Engine

from .conftest import Server, envelope, keyed_server

LINES = [
    "2024-01-01 10:00:00 ERROR Database connection failed after 3 retries",
    "2024-01-01 10:00:05 ERROR Database connection failed after 5 retries",
    "2024-01-01 10:00:07 INFO User 42 logged in from 10.0.0.1",
    "2024-01-01 10:00:09 INFO User 43 logged in from 10.0.0.2",
    "2024-01-01 10:00:11 INFO User 44 logged in from 10.0.0.3",
]


def test_health_ready_and_request_ids(api: Server) -> None:
    with api.client() as c:
        r = c.get("/healthz")
        assert r.status_code == 200 and r.json() == {"status": "ok"}
        assert len(r.headers["x-request-id"]) >= 16
        assert c.get("/readyz").json() == {"status": "ok"}
        assert (
            c.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
            == "abc-123"
        )
        insane = c.get("/healthz", headers={"X-Request-ID": "x" * 500})
        assert insane.headers["x-request-id"] != "x" * 500
        ids = {c.get("/healthz").headers["x-request-id"] for _ in range(3)}
        assert len(ids) == 3


def test_analyze_returns_patterns_with_counts_and_rate_headers(api: Server) -> None:
    with api.client(api.keys["a"]) as c:
        r = c.post("/v1/analyze", json={"logs": LINES})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"patterns", "anomalies", "insights"}
    assert isinstance(body["anomalies"], list) and isinstance(body["insights"], list)
    counts = sorted(p["count"] for p in body["patterns"])
    assert sum(counts) == len(LINES)
    assert counts == [2, 3]
    for p in body["patterns"]:
        assert set(p) >= {"id", "template", "count", "severity", "first_seen", "last_seen"}
        assert p["severity"] in {"critical", "error", "warning", "info", "debug"}
        assert "<*>" in p["template"]
        assert isinstance(p["params"], list)
    assert int(r.headers["x-ratelimit-limit"]) == 100000
    assert 0 <= int(r.headers["x-ratelimit-remaining"]) < 100000
    assert int(r.headers["x-ratelimit-reset"]) > 1_600_000_000  # epoch seconds


def test_times_are_iso_utc_with_z_and_examples_are_stable(api: Server) -> None:
    """first_seen/last_seen in UTC with ``Z`` whatever the lines' zone (fractions kept, no
    time: null); a second request reports the same example values, as the stored pattern does."""
    lines = [
        "2024-03-01T14:00:00.250+02:00 ERROR request 17 failed",
        "2024-03-01T14:00:05+02:00 ERROR request 18 failed",
        "2024-03-01 12:00:09 ERROR request 19 failed",
        "worker 7 restarted",
        "worker 9 restarted",
    ]
    with api.client(api.keys["b"]) as c:
        first = c.post("/v1/analyze", json={"logs": lines}).json()["patterns"]
        again = c.post("/v1/analyze", json={"logs": lines}).json()["patterns"]
        failed = next(p for p in first if "request" in p["template"])
        stored = c.get(f"/v1/patterns/{failed['id']}").json()
    assert failed["first_seen"] == "2024-03-01T12:00:00.250000Z"
    assert failed["last_seen"] == "2024-03-01T12:00:09Z"
    worker = next(p for p in first if "restarted" in p["template"])
    assert worker["first_seen"] is None and worker["last_seen"] is None
    assert again == first
    assert stored["params"] == failed["params"]
    assert [ex for p in failed["params"] for ex in p["examples"]] == ["17", "18", "19"]


def test_options_are_honoured_and_validated(api: Server) -> None:
    with api.client(api.keys["a"]) as c:
        off = {"detect_patterns": False, "find_anomalies": False, "generate_insights": False}
        r = c.post("/v1/analyze", json={"logs": LINES, "options": off})
        assert r.json() == {"patterns": [], "anomalies": [], "insights": []}
        for seconds in (60, 60.0):
            r = c.post("/v1/analyze", json={"logs": LINES, "options": {"bucket_seconds": seconds}})
            assert r.status_code == 200
        msg = envelope(
            c.post("/v1/analyze", json={"logs": LINES, "options": {"bucket_seconds": 0}}),
            400,
            "invalid_request",
        )
        assert "options.bucket_seconds" in msg
        msg = envelope(
            c.post("/v1/analyze", json={"logs": LINES, "options": {"session_key": "(unclosed"}}),
            400,
            "invalid_request",
        )
        assert "session_key" in msg
        ok = c.post("/v1/analyze", json={"logs": LINES, "options": {"session_key": r"User (\d+)"}})
        assert ok.status_code == 200
        msg = envelope(
            c.post("/v1/analyze", json={"logs": LINES, "options": {"detect_patterns": "maybe"}}),
            400,
            "invalid_request",
        )
        assert "options.detect_patterns" in msg
        for lax in (0, 1, "true", None):
            msg = envelope(
                c.post("/v1/analyze", json={"logs": LINES, "options": {"find_anomalies": lax}}),
                400,
                "invalid_request",
            )
            assert "options.find_anomalies" in msg
        for bad in ("60", 60.5):
            assert "options.bucket_seconds" in envelope(
                c.post("/v1/analyze", json={"logs": LINES, "options": {"bucket_seconds": bad}}),
                400,
                "invalid_request",
            )
        msg = envelope(
            c.post("/v1/analyze", json={"logs": LINES, "options": {"bucket_seconds": "60"}}),
            400,
            "invalid_request",
        )
        assert "options.bucket_seconds" in msg
        for zone in ("Mars/Olympus", "", "../../etc/passwd", 1):
            msg = envelope(
                c.post("/v1/analyze", json={"logs": LINES, "options": {"timezone": zone}}),
                400,
                "invalid_request",
            )
            assert "options.timezone" in msg
        ok = c.post("/v1/analyze", json={"logs": LINES, "options": {"timezone": "Asia/Tokyo"}})
        assert ok.status_code == 200
        msg = envelope(
            c.post("/v1/analyze", json={"logs": LINES, "options": {"colour": True}}),
            400,
            "invalid_request",
        )
        assert "options.colour" in msg


MACHINE = Path(__file__).resolve().parents[1] / "data" / "machine"


def test_this_machines_postgres_and_apt_logs_through_the_api(api: Server) -> None:
    """Real logs of this machine (tests/data/machine): PostgreSQL's ERROR and FATAL lines after
    its LOG lines keep error and critical, 'disk 91% full' and 'disk 85% full' are one
    pattern, and apt's zone-less dates are read in options.timezone, which the answer names
    in X-LogSum-Timezone (UTC when none was given)."""
    pg = (MACHINE / "postgresql-15.log").read_text(encoding="utf-8").splitlines()
    apt = (MACHINE / "apt-history.log").read_text(encoding="utf-8").splitlines()
    with api.client(api.keys["a"]) as c:
        r = c.post("/v1/analyze", json={"logs": pg})
        assert r.status_code == 200, r.text
        assert r.headers["x-logsum-timezone"] == "UTC"
        patterns = {p["template"]: p for p in r.json()["patterns"]}
        assert patterns["division by zero"]["severity"] == "error"
        assert patterns["division by zero"]["count"] == 5
        assert patterns['database "<*>" does not exist']["severity"] == "critical"
        assert patterns['role "nobody" does not exist']["severity"] == "critical"
        assert patterns["disk <*> full"]["count"] == 2
        assert patterns["disk <*> full"]["severity"] == "warning"
        assert sum(p["count"] for p in patterns.values()) == len(pg)
        opts = {"timezone": "America/New_York"}
        r = c.post("/v1/analyze", json={"logs": apt, "options": opts})
        assert r.status_code == 200, r.text
        assert r.headers["x-logsum-timezone"] == "America/New_York"
        start = next(p for p in r.json()["patterns"] if p["template"] == "Start-Date:")
        # 2025-06-24  14:36:25 in New York (EDT, UTC-4)
        assert start["first_seen"] == "2025-06-24T18:36:25Z"
        assert start["count"] == 4


def test_a_backtracking_session_key_is_400_stores_nothing_and_blocks_nobody(api: Server) -> None:
    """(a|a)* matches "aa" in four ways: on these lines Python's re would try 2**40 ways before
    failing, holding the process (and the interpreter lock) for hours. The key's budget ends
    the request with a 400 within seconds; the service answers other requests meanwhile, and
    neither the store nor the key's history changed (the lines' pattern is still new after)."""
    body = {"logs": ["a" * 40 + "!"] * 20, "options": {"session_key": "(a|a)*$"}}
    with api.client(api.keys["b"]) as c:
        c.post("/v1/analyze", json={"logs": LINES})  # a history, against which patterns are new
        before = c.get("/v1/patterns").json()["total"]
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(c.post, "/v1/analyze", json=body, timeout=30)
            time.sleep(0.3)  # the analysis is matching now
            t0 = time.monotonic()
            assert c.get("/healthz", timeout=5).status_code == 200
            assert time.monotonic() - t0 < 0.5
            assert not slow.done()
            msg = envelope(slow.result(), 400, "invalid_request")
        assert "session_key" in msg and "backtracks" in msg
        assert c.get("/v1/patterns").json()["total"] == before
        # The same lines with a usual key are fine, and their pattern is new to the key.
        body["options"] = {"session_key": r"(a+)!"}
        r = c.post("/v1/analyze", json=body)
        assert r.status_code == 200
        assert "new_pattern" in {a["type"] for a in r.json()["anomalies"]}


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b'{"logs": ["a", ', "Malformed JSON"),
        (b"not json at all", "Malformed JSON"),
        (b"", "Missing request body"),
        (b"{}", "Missing required field: logs"),
        (b'{"options": {}}', "Missing required field: logs"),
        (b'{"logs": "one line"}', "logs"),
        (b'{"logs": [1, 2]}', "logs.0"),
        (b'{"logs": null}', "logs"),
        (b"[]", "Invalid request body"),
        (b'{"logs": [], "extra": 1}', "extra"),
        (b'{"logs": [], "' + b"k" * 100_000 + b'": 1}', "k" * 64 + "..."),
    ],
)
def test_bad_bodies_are_400_naming_the_problem(api: Server, body: bytes, needle: str) -> None:
    with api.client(api.keys["a"]) as c:
        r = c.post("/v1/analyze", content=body, headers={"content-type": "application/json"})
    assert needle in envelope(r, 400, "invalid_request")


def test_empty_batch_is_fine(api: Server) -> None:
    with api.client(api.keys["a"]) as c:
        r = c.post("/v1/analyze", json={"logs": []})
    assert r.status_code == 200
    assert r.json()["patterns"] == []


def test_body_over_limit_is_413_from_content_length(api: Server) -> None:
    line = "2024-01-01 10:00:00 INFO " + "x" * 1000
    logs = [line] * 300  # ~310 KB > 256 KiB
    with api.client(api.keys["a"]) as c:
        r = c.post("/v1/analyze", json={"logs": logs})
    assert "bytes" in envelope(r, 413, "payload_too_large")


def test_compressed_bodies_are_inflated_within_the_limit(api: Server) -> None:
    """gzip (one member or several) and deflate bodies, as log shippers send them, analyse like
    plain ones; the body limit applies to the inflated size (a small body that inflates past
    it is a 413, not a memory spike); undecodable or unknown encodings are 400s."""
    body = orjson.dumps({"logs": LINES})
    half = len(body) // 2

    def post(content: bytes, encoding: str) -> httpx.Response:
        return c.post(
            "/v1/analyze",
            content=content,
            headers={"content-type": "application/json", "content-encoding": encoding},
        )

    with api.client(api.keys["a"]) as c:
        plain = c.post("/v1/analyze", content=body).json()["patterns"]
        members = gzip.compress(body[:half]) + gzip.compress(body[half:])
        raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        raw_deflate = raw.compress(body) + raw.flush()
        for content, encoding in (
            (gzip.compress(body), "gzip"),
            (members, "GZip"),
            (gzip.compress(body) + b"\0" * 64, "gzip"),  # padded, as some writers leave it
            (zlib.compress(body), "deflate"),
            (raw_deflate, "deflate"),  # raw deflate, as some clients send it
            (gzip.compress(body), "gzip, identity"),
            (body, "identity"),
        ):
            r = post(content, encoding)
            assert r.status_code == 200, (encoding, r.text)
            assert [p["template"] for p in r.json()["patterns"]] == [p["template"] for p in plain]
        bomb = gzip.compress(b" " * (256 * 1024) + body)  # about 1 KB, inflates past 256 KiB
        assert len(bomb) < 4096
        assert "inflated" in envelope(post(bomb, "gzip"), 413, "payload_too_large")
        # Nothing is inflated before the key is checked, or for a path that reads no body.
        r = c.post(
            "/v1/analyze",
            content=bomb,
            headers={"content-encoding": "gzip", "authorization": "Bearer lsk_nope"},
        )
        envelope(r, 401, "unauthorized")
        envelope(
            c.post("/nope", content=bomb, headers={"content-encoding": "br"}), 404, "not_found"
        )
        for content, encoding, needle in (
            (body, "gzip", "compressed"),
            (gzip.compress(body)[:-12], "gzip", "ends inside"),
            (zlib.compress(body) + b"junk", "deflate", "goes on"),
            (gzip.compress(b"") * 17 + gzip.compress(body), "gzip", "members"),
            (gzip.compress(body), "br", "not supported"),
        ):
            msg = envelope(post(content, encoding), 400, "invalid_request")
            assert needle in msg, (encoding, msg)


def test_streamed_body_over_limit_is_413_while_reading(api: Server) -> None:
    # No Content-Length (chunked transfer): the limit is enforced as the chunks arrive.
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"logs": ['
        for _ in range(400):
            yield orjson.dumps("y" * 1000) + b","
        yield b'"z"]}'

    with api.client(api.keys["a"]) as c:
        r = c.post("/v1/analyze", content=chunks(), headers={"content-type": "application/json"})
    envelope(r, 413, "payload_too_large")


def test_lying_content_length_is_refused(api: Server) -> None:
    host, port = api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(
            b"POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n"
            b"Authorization: Bearer " + api.keys["a"].encode() + b"\r\n\r\n{}"
        )
        head = s.recv(4096)
    assert head.startswith(b"HTTP/1.1 413")


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"FOO /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n",
        b"POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST /v1/analyze HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_requests_the_http_parser_refuses_get_the_envelope(
    api: Server, request_bytes: bytes
) -> None:
    """The server answers these before the app sees them; the answer is still the envelope."""
    host, port = api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(request_bytes)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer
    headers = dict(
        line.split(b": ", 1) for line in head.split(b"\r\n")[1:]
    )  # lower-case names, as the server writes them
    assert headers[b"content-type"] == b"application/json"
    assert len(headers[b"x-request-id"]) == 32
    assert int(headers[b"content-length"]) == len(body)
    error = orjson.loads(body)["error"]
    assert error["code"] == "invalid_request" and "Malformed HTTP request" in error["message"]


def test_batch_over_limit_is_413(api: Server) -> None:
    with api.client(api.keys["a"]) as c:
        r = c.post("/v1/analyze", json={"logs": ["x"] * 501})
        msg = envelope(r, 413, "payload_too_large")
        assert "501" in msg and "500" in msg
        assert c.post("/v1/analyze", json={"logs": ["x"] * 500}).status_code == 200


def test_very_long_line_is_accepted(api: Server) -> None:
    # LOGSUM_MAX_LINE_CHARS=1024 here: the engine cuts the line, the request succeeds.
    with api.client(api.keys["a"]) as c:
        r = c.post("/v1/analyze", json={"logs": ["2024-01-01 10:00:00 INFO " + "q" * 100_000]})
    assert r.status_code == 200
    assert r.json()["patterns"][0]["count"] == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer lsk_not_a_real_key"},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "lsk_no_scheme"},
    ],
)
def test_missing_or_bad_key_is_401(api: Server, headers: dict[str, str]) -> None:
    with api.client() as c:
        for r in (
            c.post("/v1/analyze", json={"logs": LINES}, headers=headers),
            c.get("/v1/patterns", headers=headers),
            c.get("/v1/patterns/p_1", headers=headers),
        ):
            envelope(r, 401, "unauthorized")
            assert r.headers["www-authenticate"].startswith("Bearer")


def test_revoked_key_is_401(api: Server) -> None:
    with api.client(api.keys["revoked"]) as c:
        envelope(c.get("/v1/patterns"), 401, "unauthorized")


def test_auth_comes_before_body_parsing(api: Server) -> None:
    with api.client() as c:
        r = c.post("/v1/analyze", content=b"{broken", headers={"content-type": "application/json"})
    envelope(r, 401, "unauthorized")


def test_unknown_paths_and_methods(api: Server) -> None:
    with api.client(api.keys["a"]) as c:
        assert "/nope" in envelope(c.get("/nope"), 404, "not_found")
        envelope(c.get("/v1/nope"), 404, "not_found")
        r = c.get("/v1/analyze")
        envelope(r, 405, "method_not_allowed")
        assert "POST" in r.headers["allow"]
        envelope(c.delete("/v1/patterns"), 405, "method_not_allowed")
        # A path served by several routes lists all their methods.
        r = c.request("OPTIONS", "/v1/watch")
        envelope(r, 405, "method_not_allowed")
        assert {m.strip() for m in r.headers["allow"].split(",")} >= {"GET", "POST"}
        envelope(c.put("/healthz"), 405, "method_not_allowed")


def test_head_is_get_without_the_body(api: Server) -> None:
    """Every GET route answers HEAD (the 405s' own Allow header names it) with GET's status
    and headers, and no body; a route that has no GET stays 405."""
    with api.client(api.keys["a"]) as c:
        c.post("/v1/analyze", json={"logs": LINES})
        for path in ("/healthz", "/readyz", "/metrics", "/v1/patterns", "/openapi.json"):
            got, head = c.get(path), c.head(path)
            assert head.status_code == got.status_code == 200, path
            assert head.content == b""
            assert head.headers["content-type"] == got.headers["content-type"]
            assert head.headers["x-request-id"]
        head = c.head("/v1/patterns")
        assert int(head.headers["content-length"]) == len(c.get("/v1/patterns").content)
        assert "x-ratelimit-remaining" in head.headers
        assert c.head("/v1/patterns/nope").status_code == 404
        assert c.head("/v1/patterns", headers={"Authorization": "Bearer nope"}).status_code == 401
        r = c.head("/v1/analyze")
        assert r.status_code == 405 and "HEAD" not in r.headers["allow"]
        metrics = c.get("/metrics").text
    assert 'method="HEAD",route="/v1/patterns"' in metrics


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=abc", "limit"),
        ("limit=-5", "limit"),
        ("offset=-1", "offset"),
        ("offset=x", "offset"),
        ("severity=fatal", "severity"),
        ("severity=", "severity"),
    ],
)
def test_bad_query_values_are_400(api: Server, query: str, needle: str) -> None:
    with api.client(api.keys["a"]) as c:
        assert needle in envelope(c.get(f"/v1/patterns?{query}"), 400, "invalid_request")


def test_openapi_documents_real_codes_and_no_422(api: Server) -> None:
    with api.client() as c:
        doc = c.get("/openapi.json").json()
        assert c.get("/docs").status_code == 200
    text = orjson.dumps(doc).decode()
    assert "422" not in text
    assert "HTTPValidationError" not in text
    analyze = doc["paths"]["/v1/analyze"]["post"]
    assert {"200", "400", "401", "413", "429", "500"} <= set(analyze["responses"])
    ref = analyze["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/ErrorEnvelope")
    assert analyze["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/AnalyzeRequest"
    )
    assert "logs" in doc["components"]["schemas"]["AnalyzeRequest"]["required"]
    # Every reference resolves.
    for ref in re.findall(r'"\$ref":"#/components/schemas/([^"]+)"', text):
        assert ref in doc["components"]["schemas"], ref
    assert "404" in doc["paths"]["/v1/patterns/{pattern_id}"]["get"]["responses"]
    headers = doc["paths"]["/v1/patterns"]["get"]["responses"]["200"]["headers"]
    assert "epoch seconds" in headers["X-RateLimit-Reset"]["description"]
    assert "Retry-After" in analyze["responses"]["429"]["headers"]
    # Every /v1 route documents the per-client limit on failed authentications too.
    v1 = [
        op for path, item in doc["paths"].items() if path.startswith("/v1") for op in item.values()
    ]
    assert v1
    for operation in v1:
        assert "LOGSUM_RATE_LIMIT_AUTH_FAILURES" in operation["responses"]["429"]["description"]


def test_metrics_count_requests_and_lines(api: Server) -> None:
    with api.client(api.keys["a"]) as c:
        c.post("/v1/analyze", json={"logs": LINES})
        text = c.get("/metrics").text
    assert 'logsum_http_requests_total{method="POST",route="/v1/analyze",status="200"}' in text
    assert "logsum_http_request_duration_seconds_bucket" in text
    lines = [ln for ln in text.splitlines() if ln.startswith("logsum_lines_analyzed_total ")]
    assert lines and float(lines[0].split()[1]) >= len(LINES)


def test_access_log_has_request_id(api: Server) -> None:
    with api.client(api.keys["a"]) as c:
        c.get("/v1/patterns", headers={"X-Request-ID": "trace-me-42"})
    deadline = time.monotonic() + 10  # the line is written just after the response is sent
    while True:
        records = [
            orjson.loads(ln)
            for ln in api.stderr.read_text().splitlines()
            if ln.startswith("{") and "trace-me-42" in ln
        ]
        if records or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert records and records[0]["request_id"] == "trace-me-42"
    assert records[0]["status"] == 200 and records[0]["route"] == "/v1/patterns"
    assert records[0]["key_id"].startswith("key_")
    # LogSum reads its own access log: one pattern per route's shape, with the request's time
    engine = Engine()
    result = engine.process(orjson.dumps(records[0]).decode())
    assert result.timestamp is not None
    assert abs(result.timestamp.timestamp() - time.time()) < 60
    assert engine.template(result.pattern_id).startswith(
        "request request_id=<*> status=<*> method=GET path=<*> route=<*>"
    )


def test_access_log_lines_say_a_failed_request_is_not_info(api: Server) -> None:
    """The access line's level follows the status (4xx warning, 5xx error), so LogSum reading
    its own log (or a watch with an error filter) sees failed requests for what they are."""
    with api.client(api.keys["a"]) as c:
        c.get("/v1/patterns", headers={"X-Request-ID": "level-ok-1"})
        c.get("/v1/patterns/p_nope", headers={"X-Request-ID": "level-404-1"})
    with api.client("lsk_not_a_key") as c:
        c.get("/v1/patterns", headers={"X-Request-ID": "level-401-1"})
    ids = ("level-ok-1", "level-404-1", "level-401-1")
    deadline = time.monotonic() + 10
    while True:
        lines = {i: ln for ln in api.stderr.read_text().splitlines() for i in ids if f'"{i}"' in ln}
        if len(lines) == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert [orjson.loads(lines[i])["level"] for i in ids] == ["info", "warning", "warning"]
    engine = Engine()
    severities = [engine.process(lines[i]).severity.value for i in ids]
    assert severities == ["info", "warning", "warning"]


def test_client_that_disconnects_mid_body_is_logged_as_499(api: Server) -> None:
    host, port = api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(
            b"POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
            b"X-Request-ID: gone-away-1\r\n\r\n" + b'{"logs": ["' + b"a" * 100
        )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [ln for ln in api.stderr.read_text().splitlines() if "gone-away-1" in ln]
        if lines:
            break
        time.sleep(0.1)
    assert lines and orjson.loads(lines[0])["status"] == 499
    assert "unhandled error" not in api.stderr.read_text()


@contextmanager
def _stalled_bodies(server: Server, n: int) -> Iterator[list[socket.socket]]:
    """``n`` connections that sent a request's headers and the start of its body, then nothing
    (closed on exit)."""
    host, port = server.url.removeprefix("http://").split(":")
    stalled = [socket.create_connection((host, int(port)), timeout=10) for _ in range(n)]
    try:
        for s in stalled:
            s.sendall(
                b'POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"logs": ['
            )
        yield stalled
    finally:
        for s in stalled:
            s.close()


def test_a_body_that_stops_arriving_is_408_and_frees_its_slot(tmp_path: Path) -> None:
    """Clients that send headers and part of a body, then nothing, are answered 408 (connection
    closed) after LOGSUM_BODY_TIMEOUT_SECONDS: they held LOGSUM_MAX_IN_FLIGHT slots for as long
    as they kept their connections open, and every other request got 503."""
    env = {"LOGSUM_BODY_TIMEOUT_SECONDS": "1", "LOGSUM_MAX_IN_FLIGHT": "4"}
    with keyed_server(tmp_path, env) as server:
        with _stalled_bodies(server, 4) as stalled:
            answers = [b"".join(iter(lambda s=s: s.recv(4096), b"")) for s in stalled]
        for head in answers:
            assert head.startswith(b"HTTP/1.1 408"), head
            assert b"x-request-id" in head and b"connection: close" in head
            assert b'"code":"invalid_request"' in head
        with server.client(server.keys["a"]) as c:
            assert c.get("/v1/patterns").status_code == 200


def test_one_address_can_not_hold_every_slot_with_slow_bodies(tmp_path: Path) -> None:
    """An address already sending LOGSUM_MAX_UPLOADS_PER_CLIENT bodies gets 429 for one more,
    at once; other addresses, and its own requests without a body, are served meanwhile."""
    env = {"LOGSUM_MAX_UPLOADS_PER_CLIENT": "2", "LOGSUM_BODY_TIMEOUT_SECONDS": "30"}
    with keyed_server(tmp_path, env) as server:
        with _stalled_bodies(server, 2):
            time.sleep(0.3)
            with server.client(server.keys["a"]) as c:
                r = c.post("/v1/analyze", json={"logs": LINES})
                assert "in progress" in envelope(r, 429, "rate_limited")
                assert r.headers["retry-after"] == "1"
                assert c.get("/v1/patterns").status_code == 200
            other = httpx.HTTPTransport(local_address="127.0.0.2")
            with server.client(server.keys["a"], transport=other) as c:
                assert c.post("/v1/analyze", json={"logs": LINES}).status_code == 200
        time.sleep(0.3)
        with server.client(server.keys["a"]) as c:
            assert c.post("/v1/analyze", json={"logs": LINES}).status_code == 200


def test_headers_that_stop_arriving_are_408_and_the_connection_closed(tmp_path: Path) -> None:
    """Connections that send half a request's headers, then nothing, are answered 408 with the
    envelope and closed after LOGSUM_HEADER_TIMEOUT_SECONDS (1,100 such connections stayed open
    for ever); a client that completes its request is served as before."""
    env = {"LOGSUM_HEADER_TIMEOUT_SECONDS": "1"}
    with keyed_server(tmp_path, env) as server:
        host, port = server.url.removeprefix("http://").split(":")
        stalled = []
        try:
            for _ in range(20):
                s = socket.create_connection((host, int(port)), timeout=10)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                stalled.append(s)
            silent = socket.create_connection((host, int(port)), timeout=10)
            stalled.append(silent)  # connected, sent nothing at all
            start = time.monotonic()
            answers = [b"".join(iter(lambda s=s: s.recv(4096), b"")) for s in stalled]
            assert time.monotonic() - start < 5
        finally:
            for s in stalled:
                s.close()
        for head in answers:
            assert head.startswith(b"HTTP/1.1 408"), head
            assert b"connection: close" in head and b'"code":"invalid_request"' in head
        with server.client(server.keys["a"]) as c:
            assert c.get("/v1/patterns").status_code == 200
