"""``POST /v1/logs``: OTLP/HTTP logs ingest, against a real ``logsum serve``, fed by a real
OpenTelemetry SDK logger with its OTLP/HTTP exporter, and by hand-built protobuf and JSON
bodies for the answers the specification asks for."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest
from google.rpc import status_pb2
from opentelemetry._logs import Logger, SeverityNumber
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue, KeyValueList
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource as ProtoResource
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from logsum.api.otlp import decode_error
from logsum.store import Store, Tier

from .conftest import Server, keyed_server

PROTOBUF = {"Content-Type": "application/x-protobuf"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Free keys a and b (a limit that does not bind) and a pro key limited to 1 request per
    window; at most 50 records and 64 KiB per request."""
    work = tmp_path_factory.mktemp("otlp")
    env = {
        "LOGSUM_MAX_BATCH_LINES": "50",
        "LOGSUM_MAX_BODY_BYTES": str(64 * 1024),
        "LOGSUM_RATE_LIMIT_PRO": "1",
    }
    with keyed_server(work, env) as s:
        store = Store(f"sqlite:///{work / 'data' / 'logsum.db'}")
        try:
            s.keys["limited"] = store.create_key("limited", Tier.PRO)[1]
        finally:
            store.close()
        yield s


def _patterns(server: Server, key: str) -> dict[str, dict[str, object]]:
    with server.client(key) as c:
        resp = c.get("/v1/patterns", params={"limit": 500})
    assert resp.status_code == 200, resp.text
    return {p["template"]: p for p in resp.json()["patterns"]}


def _request(*records: LogRecord, service: str = "checkout") -> ExportLogsServiceRequest:
    resource = ProtoResource(
        attributes=[KeyValue(key="service.name", value=AnyValue(string_value=service))]
    )
    return ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(resource=resource, scope_logs=[ScopeLogs(log_records=list(records))])
        ]
    )


def _record(
    body: str | None, *, severity: int = 9, time_ns: int = 1_704_103_200 * 10**9
) -> LogRecord:
    record = LogRecord(time_unix_nano=time_ns, severity_number=severity)  # type: ignore[arg-type]
    if body is not None:
        record.body.string_value = body
    return record


def _sdk_logger(server: Server, key: str, **exporter: object) -> tuple[Logger, LoggerProvider]:
    """An SDK logger exporting each record at once (a SimpleLogRecordProcessor) over
    OTLP/HTTP to ``server`` with ``key``, from a resource whose service.name is billing."""
    provider = LoggerProvider(resource=Resource.create({"service.name": "billing"}))
    otlp = OTLPLogExporter(
        endpoint=f"{server.url}/v1/logs",
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
        **exporter,  # type: ignore[arg-type]
    )
    provider.add_log_record_processor(SimpleLogRecordProcessor(otlp))
    return provider.get_logger("billing.sessions"), provider


@pytest.mark.parametrize("compression", [None, Compression.Gzip])
def test_sdk_logger_records_become_stored_patterns(server: Server, compression: object) -> None:
    key = server.keys["a"] if compression is None else server.keys["b"]
    logger, provider = _sdk_logger(server, key, compression=compression)
    now = time.time_ns()
    try:
        for user in (17, 42, 99):
            logger.emit(
                timestamp=now,
                severity_number=SeverityNumber.INFO,
                severity_text="INFO",
                body=f"User {user} signed in from 10.0.0.{user}",
                attributes={"code.file.path": "app.py", "enduser.id": str(user)},
            )
        logger.emit(
            timestamp=now,
            severity_number=SeverityNumber.ERROR,
            body="Payment gateway timed out after 3000 ms",
        )
        assert provider.force_flush(10_000)
    finally:
        provider.shutdown()
    patterns = _patterns(server, key)
    signed_in = patterns["User <*> signed in from <*> service.name=billing"]
    assert signed_in["count"] == 3
    assert signed_in["severity"] == "info"
    assert signed_in["last_seen"] is not None
    assert (
        patterns["Payment gateway timed out after <*> ms service.name=billing"]["severity"]
        == "error"
    )


def test_protobuf_answer_and_partial_success(server: Server) -> None:
    body = _request(
        _record("Cache warmed in 120 ms", severity=5),
        _record("Cache warmed in 95 ms", severity=5),
        _record(None),
        _record("   "),
    ).SerializeToString()
    with server.client(server.keys["a"]) as c:
        resp = c.post("/v1/logs", content=body, headers=PROTOBUF)
    assert resp.status_code == 200, resp.content
    assert resp.headers["content-type"] == "application/x-protobuf"
    assert resp.headers["x-ratelimit-limit"]
    answer = ExportLogsServiceResponse.FromString(resp.content)
    assert answer.HasField("partial_success")
    assert answer.partial_success.rejected_log_records == 2
    assert "no body" in answer.partial_success.error_message
    stored = _patterns(server, server.keys["a"])["Cache warmed in <*> ms service.name=checkout"]
    assert stored["severity"] == "debug"
    assert stored["first_seen"] == "2024-01-01T10:00:00Z"


def test_full_success_leaves_partial_success_unset(server: Server) -> None:
    body = gzip.compress(_request(_record("Worker pool resized to 8")).SerializeToString())
    with server.client(server.keys["a"]) as c:
        resp = c.post("/v1/logs", content=body, headers={**PROTOBUF, "Content-Encoding": "gzip"})
        empty = c.post("/v1/logs", content=b"", headers=PROTOBUF)
    assert resp.status_code == 200
    assert not ExportLogsServiceResponse.FromString(resp.content).HasField("partial_success")
    assert empty.status_code == 200  # an empty request is a success


def test_json_encoding(server: Server) -> None:
    body = {
        "resourceLogs": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "web"}}]
                },
                "scopeLogs": [
                    {
                        "scope": {"name": "web.access"},
                        "logRecords": [
                            {
                                "timeUnixNano": "1704103200000000000",
                                "severityNumber": 13,
                                "severityText": "WARN",
                                "traceId": "5B8EFFF798038103D269B633813FC60C",
                                "body": {"stringValue": f"Slow query took {ms} ms"},
                                "unknownFutureField": 1,
                            }
                            for ms in (900, 1200)
                        ]
                        + [{"timeUnixNano": "1704103200000000000", "severityNumber": 9}],
                    }
                ],
            }
        ]
    }
    with server.client(server.keys["b"]) as c:
        resp = c.post("/v1/logs", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/json"
    assert resp.json()["partialSuccess"]["rejectedLogRecords"] == "1"
    stored = _patterns(server, server.keys["b"])["Slow query took <*> ms service.name=web"]
    assert stored["severity"] == "warning"
    assert stored["count"] == 2


def test_bad_bodies_are_400_status_in_the_request_encoding(server: Server) -> None:
    with server.client(server.keys["a"]) as c:
        binary = c.post("/v1/logs", content=b"\xff\xff\xff\xff", headers=PROTOBUF)
        as_json = c.post(
            "/v1/logs", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        other = c.post("/v1/logs", content=b"x", headers={"Content-Type": "text/csv"})
        bad_gzip = c.post(
            "/v1/logs", content=b"not gzip", headers={**PROTOBUF, "Content-Encoding": "gzip"}
        )
    assert binary.status_code == 400
    assert binary.headers["content-type"] == "application/x-protobuf"
    message, reason = decode_error(binary.content)
    assert "protobuf" in message and reason == "invalid_request"
    assert status_pb2.Status.FromString(binary.content).code == 3
    assert as_json.status_code == 400
    data = as_json.json()
    assert data["code"] == 3 and data["error"]["code"] == "invalid_request"
    assert data["message"] == data["error"]["message"]
    assert other.status_code == 400 and "Content-Type" in other.json()["message"]
    assert bad_gzip.status_code == 400
    assert decode_error(bad_gzip.content)[1] == "invalid_request"


def test_auth_and_limits_answer_as_otlp(server: Server) -> None:
    body = _request(_record("Job finished")).SerializeToString()
    too_many = _request(*[_record(f"Job {i} finished") for i in range(51)]).SerializeToString()
    with server.client() as anonymous:
        unauthorized = anonymous.post("/v1/logs", content=body, headers=PROTOBUF)
    with server.client(server.keys["revoked"]) as revoked:
        revoked_resp = revoked.post("/v1/logs", content=body, headers=PROTOBUF)
    with server.client(server.keys["a"]) as c:
        large = c.post("/v1/logs", content=too_many, headers=PROTOBUF)
        huge = c.post("/v1/logs", content=b"\x0a" * (65 * 1024), headers=PROTOBUF)
    for resp in (unauthorized, revoked_resp):
        assert resp.status_code == 401
        assert decode_error(resp.content)[1] == "unauthorized"
    assert large.status_code == 413
    assert "51 log records" in decode_error(large.content)[0]
    assert huge.status_code == 413
    assert huge.headers["content-type"] == "application/x-protobuf"
    assert decode_error(huge.content)[1] == "payload_too_large"


def test_rate_limited_is_429_with_retry_after(server: Server) -> None:
    body = _request(_record("Job finished")).SerializeToString()
    with server.client(server.keys["limited"]) as c:
        first = c.post("/v1/logs", content=body, headers=PROTOBUF)
        second = c.post("/v1/logs", content=body, headers=PROTOBUF)
    assert first.status_code == 200
    assert second.status_code == 429
    assert int(second.headers["retry-after"]) >= 1
    assert decode_error(second.content)[1] == "rate_limited"


def test_other_routes_keep_the_envelope(server: Server) -> None:
    with server.client() as c:
        resp = c.post("/v1/analyze", json={"logs": []})
    assert resp.status_code == 401
    assert set(resp.json()) == {"error"}
    assert orjson.loads(resp.content)["error"]["code"] == "unauthorized"


def test_openapi_documents_the_route(server: Server) -> None:
    doc = httpx.get(f"{server.url}/openapi.json").json()
    op = doc["paths"]["/v1/logs"]["post"]
    assert op["operationId"] == "exportLogs"
    assert set(op["requestBody"]["content"]) == {"application/x-protobuf", "application/json"}


def test_event_names_map_bodies_and_raw_lines(server: Server) -> None:
    """An event name's attributes become its template's fields (source locations left out),
    a map body is read as a structured log, and a record with neither time nor severity is a
    raw line whose own header is read (only its first line)."""

    def attr(key: str, value: AnyValue) -> KeyValue:
        return KeyValue(key=key, value=value)

    events = [
        LogRecord(
            time_unix_nano=1_704_103_200 * 10**9,
            severity_number=9,  # type: ignore[arg-type]
            body=AnyValue(string_value="request"),
            attributes=[
                attr("http.method", AnyValue(string_value=method)),
                attr("code.lineno", AnyValue(int_value=12)),
            ],
        )
        for method in ("GET", "POST", "PUT")
    ]
    structured = [
        LogRecord(
            severity_number=17,  # type: ignore[arg-type]
            observed_time_unix_nano=1_704_103_200 * 10**9,
            body=AnyValue(
                kvlist_value=KeyValueList(
                    values=[attr("msg", AnyValue(string_value=f"Upstream host-{i} timed out"))]
                )
            ),
        )
        for i in range(2)
    ]
    raw = LogRecord(
        body=AnyValue(
            string_value="2024-01-01 10:00:00 WARN Queue depth 812 over limit\n  at worker"
        )
    )
    body = _request(*events, *structured, raw).SerializeToString()
    with server.client(server.keys["a"]) as c:
        resp = c.post("/v1/logs", content=body, headers=PROTOBUF)
    assert resp.status_code == 200
    patterns = _patterns(server, server.keys["a"])
    event = patterns["request http.method=<*>"]
    assert event["count"] == 3 and event["severity"] == "info"
    assert patterns["Upstream <*> timed out"]["severity"] == "error"
    queue = patterns["Queue depth <*> over limit"]
    assert queue["severity"] == "warning" and queue["first_seen"] == "2024-01-01T10:00:00Z"


def test_service_names_are_kept_with_the_pattern(server: Server) -> None:
    """One message from three services is one pattern whose service.name is a <*> with the
    services among its examples; the SDKs' default service name is left out."""
    records = {
        service: _request(_record(f"Cache miss for key {700 + i}"), service=service)
        for i, service in enumerate(("cart", "search", "auth", "unknown_service:python"))
    }
    with server.client(server.keys["b"]) as c:
        for request in records.values():
            body = request.SerializeToString()
            assert c.post("/v1/logs", content=body, headers=PROTOBUF).status_code == 200
    patterns = _patterns(server, server.keys["b"])
    shared = patterns["Cache miss for key <*> service.name=<*>"]
    assert shared["count"] == 3
    examples = {e for p in shared["params"] for e in p["examples"]}  # type: ignore[attr-defined]
    assert "auth" in examples
    assert patterns["Cache miss for key <*>"]["count"] == 1  # the default name: no field
