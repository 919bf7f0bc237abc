"""Clients against a real ``logsum serve``: ``logsum.client`` (sync and async), and one that
a real generator makes from the served OpenAPI document: openapi-python-client (from PyPI, in a
virtualenv of its own because it pins an older typer than the service; ``make install`` builds
it from scripts/openapi-generator.txt), run by the generator's Python."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from logsum.api.schemas import AnalyzeOptions, AnalyzeResponse, PatternOut, WatchCreated
from logsum.client import AsyncClient, Client, LogSumError
from logsum.store import Store, Tier

from .conftest import Server, keyed_server

USE = Path(__file__).with_name("data") / "generated_client_use.py"


def _generator() -> Path:
    """The openapi-python-client command of the tools virtualenv (LOGSUM_OPENAPI_GENERATOR
    overrides); fails under CI, skips elsewhere, when it is missing."""
    configured = os.environ.get("LOGSUM_OPENAPI_GENERATOR")
    path = Path(
        configured
        or Path(sys.prefix) / "tools" / "openapi-python-client" / "bin" / "openapi-python-client"
    )
    if not path.is_file():
        message = f"{path} missing; `make install` builds it (scripts/openapi-generator.txt)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


LINES = [f"2024-01-01 10:00:{i:02d} ERROR Connection to db-{i % 3} refused" for i in range(30)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One service for the module: free keys a and b (a limit that does not bind), pro keys
    limited to 1 request per 2-second window, and 1 request in progress at most (the tests
    send one at a time, except the one that holds the slot on purpose)."""
    work = tmp_path_factory.mktemp("client")
    roots = work / "logs"
    roots.mkdir()
    env = {
        "LOGSUM_WATCH_ROOTS": str(roots),
        "LOGSUM_WEBHOOK_ALLOW_PRIVATE": "true",
        "LOGSUM_RATE_LIMIT_PRO": "1",
        "LOGSUM_RATE_LIMIT_WINDOW_SECONDS": "2",
        "LOGSUM_MAX_IN_FLIGHT": "1",
    }
    with keyed_server(work, env) as s:
        store = Store(f"sqlite:///{work / 'data' / 'logsum.db'}")
        try:
            for name in ("limited-1", "limited-2"):
                s.keys[name] = store.create_key(name, Tier.PRO)[1]
        finally:
            store.close()
        s.keys["roots"] = str(roots)
        yield s


def test_analyze_patterns_pattern(server: Server) -> None:
    with Client(server.url, server.keys["a"]) as c:
        result = c.analyze(LINES, find_anomalies=False)
        assert isinstance(result, AnalyzeResponse)
        (pattern,) = result.patterns
        assert pattern.template == "Connection to <*> refused"
        assert pattern.count == 30 and pattern.severity == "error"
        assert result.anomalies == []
        # Many distinct patterns, iterated over pages of 7.
        c.analyze(
            # Lines of 3..22 words: one template each.
            [f"2024-01-01 10:00:00 INFO job {'stage ' * i}done" for i in range(1, 21)],
            AnalyzeOptions(generate_insights=False),
        )
        everything = list(c.patterns(page_size=7))
        assert len(everything) == c.patterns_page(limit=1).total == 21
        assert len({p.id for p in everything}) == 21
        assert [p.id for p in c.patterns(severity="error")] == [pattern.id]
        again = c.pattern(pattern.id)
        assert isinstance(again, PatternOut) and again.count == 30


def test_errors_carry_the_envelope_code(server: Server) -> None:
    with Client(server.url, server.keys["a"]) as c:
        with pytest.raises(LogSumError) as missing:
            c.pattern("p_does/not/exist")
        assert missing.value.status == 404 and missing.value.code == "not_found"
        assert missing.value.request_id
        with pytest.raises(LogSumError) as bad:
            c.analyze(LINES, timezone="Mars/Olympus")
        assert bad.value.code == "invalid_request" and "timezone" in bad.value.message
    with Client(server.url, "lsk_wrong") as c, pytest.raises(LogSumError) as denied:
        c.analyze(LINES)
    assert denied.value.status == 401 and denied.value.code == "unauthorized"


class _Recording(httpx.HTTPTransport):
    """httpx's own transport, noting each request's Content-Encoding and size on the wire."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str | None, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.headers.get("content-encoding"), len(request.content)))
        return super().handle_request(request)


def test_large_bodies_are_gzipped_and_still_analysed(server: Server) -> None:
    lines = [f"2024-01-01 10:00:00 INFO upload {i} stored in bucket-{i % 7}" for i in range(4000)]
    transport = _Recording()
    with Client(server.url, server.keys["b"], gzip_min_bytes=1024, transport=transport) as c:
        result = c.analyze(lines, find_anomalies=False, generate_insights=False)
        c.analyze(lines[:2])
    assert sum(p.count for p in result.patterns) == 4000
    (big_encoding, big_size), (small_encoding, _) = transport.sent
    assert big_encoding == "gzip" and big_size < 40_000  # the JSON is about 250 kB
    assert small_encoding is None


def test_watch_routes(server: Server) -> None:
    source = str(Path(server.keys["roots"]) / "app.log")
    with Client(server.url, server.keys["a"]) as c:
        created = c.create_watch(source, "http://127.0.0.1:9/hook", severities=["error"])
        assert isinstance(created, WatchCreated) and created.secret.startswith("whsec_")
        assert created.filters.severity == ["error"]
        assert [w.id for w in c.watches().watches] == [created.id]
        assert c.watch(created.id).source == source
        c.delete_watch(created.id)
        with pytest.raises(LogSumError) as gone:
            c.watch(created.id)
        assert gone.value.code == "not_found"


def test_async_client(server: Server) -> None:
    async def run() -> tuple[int, int, str]:
        async with AsyncClient(server.url, server.keys["b"]) as c:
            result = await c.analyze(LINES[:5])
            ids = [p.id async for p in c.patterns(page_size=2)]
            one = await c.pattern(result.patterns[0].id)
            try:
                await c.pattern("nope")
            except LogSumError as exc:
                code = exc.code
            return len(ids), one.count, code

    count, stored, code = asyncio.run(run())
    assert count >= 1 and stored >= 5 and code == "not_found"


def test_429_is_retried_after_retry_after(server: Server) -> None:
    with Client(server.url, server.keys["limited-1"], retries=0) as c:
        c.analyze(LINES[:1])
        with pytest.raises(LogSumError) as limited:
            c.analyze(LINES[:1])
    assert limited.value.status == 429 and limited.value.code == "rate_limited"
    assert limited.value.retry_after is not None and 0 < limited.value.retry_after <= 2
    with Client(server.url, server.keys["limited-2"], retries=3) as c:
        c.analyze(LINES[:1])
        t0 = time.monotonic()
        c.analyze(LINES[:1])  # 429 first, then allowed once the window ends
        waited = time.monotonic() - t0
    assert 0.2 < waited < 6


def test_503_when_busy_is_retried(server: Server) -> None:
    """One request in flight holds the only slot (its body is sent slowly): the client's
    request gets 503 with Retry-After: 1 and succeeds on a later attempt."""
    port = int(server.url.rsplit(":", 1)[1])
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(
        b"POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 11\r\n\r\n{"logs"'
    )
    time.sleep(0.3)
    finisher = threading.Timer(1.2, lambda: slow.sendall(b":[]}"))
    finisher.start()
    try:
        with (
            Client(server.url, server.keys["a"], retries=0) as c,
            pytest.raises(LogSumError) as busy,
        ):
            c.analyze(LINES[:1])
        assert busy.value.status == 503 and busy.value.retry_after == 1
        with Client(server.url, server.keys["a"], retries=5) as c:
            assert c.analyze(LINES[:1]).patterns
    finally:
        finisher.join()
        slow.close()


def test_client_imports_no_server_modules() -> None:
    code = (
        "import sys, logsum.client; "
        "bad = [m for m in ('fastapi', 'sqlalchemy', 'uvicorn', 'logsum.store') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_operation_ids_and_types(server: Server) -> None:
    doc = httpx.get(f"{server.url}/openapi.json").json()
    ids = {op["operationId"] for item in doc["paths"].values() for op in item.values()}
    assert {
        "analyze",
        "exportLogs",
        "listPatterns",
        "getPattern",
        "createWatch",
        "listWatches",
        "getWatch",
        "deleteWatch",
    } <= ids
    schemas = doc["components"]["schemas"]
    first_seen = schemas["PatternOut"]["properties"]["first_seen"]["anyOf"][0]
    assert first_seen["format"] == "date-time"
    assert "volume_spike" in schemas["AnomalyType"]["enum"]
    assert "security" in schemas["InsightType"]["enum"]
    assert schemas["Severity"]["enum"] == ["critical", "error", "warning", "info", "debug"]
    assert schemas["TimeWindow"]["properties"]["start"]["format"] == "date-time"


def test_generated_client_against_the_service(server: Server, tmp_path: Path) -> None:
    generator = _generator()
    spec = tmp_path / "openapi.json"
    spec.write_bytes(httpx.get(f"{server.url}/openapi.json").content)
    package = tmp_path / "gen" / "logsum_gen"
    done = subprocess.run(
        [
            *(str(generator), "generate", "--path", str(spec)),
            "--meta",
            "none",
            "--output-path",
            str(package),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The only parts it leaves out: the request bodies it has no support for (the analyze
    # route's NDJSON and text, /v1/logs's binary protobuf); JSON is generated for both.
    for line in done.stdout.splitlines():
        if line.startswith("Unsupported content type"):
            assert line.split()[-1] in {
                "application/x-ndjson",
                "text/plain",
                "application/x-protobuf",
            }
    source = str(Path(server.keys["roots"]) / "app.log")
    python = generator.parent / "python"
    run = subprocess.run(
        [str(python), str(USE), server.url, server.keys["a"], source],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(package.parent)},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    seen = json.loads(run.stdout)
    assert seen["severity_is_enum"]
    assert seen["first_seen_is_datetime"] and seen["first_seen"] == "2024-01-01T10:00:00+00:00"
    assert seen["anomaly_types"] and seen["anomaly_types_are_enums"]
    assert seen["windows_are_datetimes"] and all(seen["windows_are_datetimes"])
    assert seen["insight_types_are_enums"]
    assert seen["total"] >= 2 and seen["got_pattern"]
    assert seen["missing"] == [404, "not_found"]
    assert seen["watch_created_at_is_datetime"]
    assert seen["watches"] == [True] and seen["watch_source"] == source
    assert seen["deleted"] == 204
