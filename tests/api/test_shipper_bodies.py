"""Bodies from log shippers on ``POST /v1/analyze``, through a real server: NDJSON (Vector's
http sink with newline-delimited framing, syslog-ng's http() destination), a JSON array
(Vector's json codec, Fluent Bit's ``Format json``) and plain text, with the options as query
parameters; and their errors and limits."""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import orjson
import pytest

from .conftest import Server, envelope

NDJSON = {"content-type": "application/x-ndjson"}
TEXT = {"content-type": "text/plain"}

# Vector 0.3x, sources.file -> sinks.http with encoding.codec = "json" and
# framing.method = "newline_delimited": its events, one per line (no trailing newline).
VECTOR_EVENTS = [
    {
        "file": "/var/log/app/app.log",
        "host": "web-1",
        "message": f"2024-03-22 10:00:0{i} ERROR [pool-2] Connection to db-{i % 2}:5432 refused",
        "source_type": "file",
        "timestamp": f"2024-03-22T10:05:1{i}.250113Z",
    }
    for i in range(3)
] + [
    {
        "file": "/var/log/app/app.log",
        "host": "web-1",
        "message": f"2024-03-22 10:00:0{i} INFO [http-1] GET /orders/{i} 200 in {i + 3} ms",
        "source_type": "file",
        "timestamp": f"2024-03-22T10:05:1{i}.250113Z",
    }
    for i in range(3, 7)
]

# Fluent Bit, tail input -> http output with "Format json" (date as a double, the default).
FLUENT_BIT_RECORDS = [
    {"date": 1711101600.5 + i, "log": f"2024-03-22T10:00:0{i}Z WARN disk /data {90 + i}% full"}
    for i in range(4)
]

# syslog-ng 3.38 http() with body("$(format-json --scope rfc5424 --key ISODATE)") and
# delimiter("\n"), as captured from syslog-ng itself.
SYSLOG_NG_BODY = (
    b'{"PROGRAM":"sshd","PRIORITY":"notice","PID":"1234","MESSAGE":"Failed password for root '
    b'from 10.0.0.1 port 22 ssh2","ISODATE":"2024-03-22T11:00:01+01:00","HOST":"bastion",'
    b'"FACILITY":"auth","DATE":"Mar 22 11:00:01"}\n'
    b'{"PROGRAM":"sshd","PRIORITY":"notice","PID":"1235","MESSAGE":"Failed password for admin '
    b'from 10.0.0.2 port 22 ssh2","ISODATE":"2024-03-22T11:00:02+01:00","HOST":"bastion",'
    b'"FACILITY":"auth","DATE":"Mar 22 11:00:02"}'
)


def ndjson(records: list[dict[str, Any]]) -> bytes:
    return b"\n".join(orjson.dumps(r) for r in records)


def by_template(resp: httpx.Response) -> dict[str, dict[str, Any]]:
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"patterns", "anomalies", "insights"}
    return {p["template"]: p for p in body["patterns"]}


def test_vector_ndjson_gives_the_lines_own_times_and_levels(api: Server) -> None:
    with api.client(api.keys["a"]) as c:
        got = by_template(c.post("/v1/analyze", content=ndjson(VECTOR_EVENTS), headers=NDJSON))
        same = by_template(
            c.post("/v1/analyze", json={"logs": [orjson.dumps(e).decode() for e in VECTOR_EVENTS]})
        )
    refused = got["Connection to <*> refused"]
    assert (refused["count"], refused["severity"]) == (3, "error")
    # The application's own time, not the time Vector read the line.
    assert (refused["first_seen"], refused["last_seen"]) == (
        "2024-03-22T10:00:00Z",
        "2024-03-22T10:00:02Z",
    )
    (served,) = [p for t, p in got.items() if t.startswith("GET")]
    assert (served["count"], served["severity"]) == (4, "info")
    # The same records sent as strings in the contract's body give the same patterns.
    assert {t: (p["id"], p["count"]) for t, p in got.items()} == {
        t: (p["id"], p["count"]) for t, p in same.items()
    }


def test_fluent_bit_json_array_gzipped(api: Server) -> None:
    body = gzip.compress(orjson.dumps(FLUENT_BIT_RECORDS))
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    with api.client(api.keys["a"]) as c:
        got = by_template(c.post("/v1/analyze", content=body, headers=headers))
    (p,) = got.values()
    assert p["template"].startswith("disk ")
    assert (p["count"], p["severity"]) == (4, "warning")
    assert (p["first_seen"], p["last_seen"]) == ("2024-03-22T10:00:00Z", "2024-03-22T10:00:03Z")


def test_syslog_ng_ndjson(api: Server) -> None:
    with api.client(api.keys["a"]) as c:
        got = by_template(c.post("/v1/analyze", content=SYSLOG_NG_BODY, headers=NDJSON))
    # Two user names in one place make it a value: one event, both lines.
    (p,) = got.values()
    assert (p["template"], p["count"]) == ("Failed password for <*> from <*> port <*> ssh2", 2)
    # ISODATE's offset kept: 11:00 at +01:00 is 10:00 UTC.
    assert (p["first_seen"], p["last_seen"]) == ("2024-03-22T10:00:01Z", "2024-03-22T10:00:02Z")


def test_plain_text_lines_with_options_in_the_query(api: Server) -> None:
    text = (
        b"2024-03-22 11:00:00 ERROR Payment 17 declined\r\n"
        b"2024-03-22 11:00:04 ERROR Payment 18 declined\n"
    )
    with api.client(api.keys["a"]) as c:
        r = c.post(
            "/v1/analyze?timezone=Europe/Berlin&find_anomalies=false&generate_insights=false",
            content=text,
            headers={"content-type": "text/plain; charset=utf-8"},
        )
        hidden = c.post("/v1/analyze?detect_patterns=false", content=text, headers=TEXT)
        # Node's fetch() labels a string body text/plain: the contract's object sent so was
        # analysed as JSON before text was accepted, and still is.
        contract = orjson.dumps({"logs": ["2024-01-01 10:00:00 ERROR Database connection failed"]})
        labelled = c.post("/v1/analyze", content=contract, headers=TEXT)
    (p,) = by_template(r).values()
    assert (p["template"], p["count"]) == ("Payment <*> declined", 2)
    assert (p["first_seen"], p["last_seen"]) == ("2024-03-22T10:00:00Z", "2024-03-22T10:00:04Z")
    assert r.json()["anomalies"] == [] and r.json()["insights"] == []
    assert hidden.status_code == 200 and hidden.json()["patterns"] == []
    assert list(by_template(labelled)) == ["Database connection failed"]


def test_ndjson_strings_and_blank_lines(api: Server) -> None:
    body = (
        b'\n"2024-03-22 10:00:00 ERROR Cache miss for key 12"\r\n'
        b'\n{"msg":"Cache miss for key 13"}\n'
    )
    with api.client(api.keys["a"]) as c:
        got = by_template(c.post("/v1/analyze", content=body, headers=NDJSON))
    assert got["Cache miss for key <*>"]["count"] == 2


@pytest.mark.parametrize(
    ("body", "headers", "needle"),
    [
        (b'{"msg":"a"}\n{"msg":"b"}\n{"msg": oops}\n', NDJSON, "line 3"),
        (b'{"msg":"a"}\n\n42\n', NDJSON, "Line 3 of the body is a JSON number"),
        (b'[{"msg":"a"}, null]', {"content-type": "application/json"}, "Array item 1"),
        (b'[{"msg":"a"}, [1]]', {}, "Array item 1 is a JSON array"),
        (b" \n\n", NDJSON, "Empty request body"),
        (b"", TEXT, "Empty request body"),
        (b"", {"content-type": "application/x-ndjson"}, "Empty request body"),
        (b"x\n", {"content-type": "text/plain; charset=no-such"}, "charset"),
    ],
)
def test_bad_shipper_bodies_are_400(
    api: Server, body: bytes, headers: dict[str, str], needle: str
) -> None:
    with api.client(api.keys["a"]) as c:
        r = c.post("/v1/analyze", content=body, headers=headers)
    assert needle in envelope(r, 400, "invalid_request")


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("timezone=Mars/Olympus", "timezone"),
        ("find_anomalies=1", "find_anomalies"),
        ("bucket_seconds=0", "bucket_seconds"),
        ("bucket_seconds=ten", "bucket_seconds"),
        ("session_key=(", "session_key"),
        ("timzone=UTC", "timzone"),
        ("timezone=UTC&timezone=UTC", "more than once"),
    ],
)
def test_bad_query_options_are_400_naming_them(api: Server, query: str, needle: str) -> None:
    with api.client(api.keys["a"]) as c:
        r = c.post(f"/v1/analyze?{query}", content=b'{"msg":"a b"}', headers=NDJSON)
    assert needle in envelope(r, 400, "invalid_request")


def test_query_options_with_a_json_object_body_are_400(api: Server) -> None:
    with api.client(api.keys["a"]) as c:
        r = c.post("/v1/analyze?timezone=UTC", json={"logs": ["a b"]})
    assert "'options'" in envelope(r, 400, "invalid_request")


@pytest.mark.parametrize("fmt", ["ndjson", "array", "text"])
def test_more_records_than_the_batch_limit_are_413(api: Server, fmt: str) -> None:
    records = [{"msg": f"event {i}"} for i in range(501)]  # the fixture's limit is 500
    body, headers = {
        "ndjson": (ndjson(records) + b"\n", NDJSON),
        "array": (orjson.dumps(records), {"content-type": "application/json"}),
        "text": (b"\n".join(b"line %d" % i for i in range(501)), TEXT),
    }[fmt]
    with api.client(api.keys["a"]) as c:
        r = c.post("/v1/analyze", content=body, headers=headers)
    assert "501 lines" in envelope(r, 413, "payload_too_large")


def test_openapi_documents_the_body_types_and_query_options(api: Server) -> None:
    with api.client() as c:
        op = c.get("/openapi.json").json()["paths"]["/v1/analyze"]["post"]
    content = op["requestBody"]["content"]
    assert {"application/json", "application/x-ndjson", "text/plain"} <= set(content)
    assert {p["name"] for p in op["parameters"] if p["in"] == "query"} == {
        "detect_patterns",
        "find_anomalies",
        "generate_insights",
        "bucket_seconds",
        "session_key",
        "learn_only",
        "timezone",
    }
