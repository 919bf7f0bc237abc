"""``logsum.client``: the sync and async clients against a real ``logsum serve``."""

from __future__ import annotations

import asyncio
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

from .conftest import Server, keyed_server

LINES = [f"2024-01-01 10:00:{i:02d} ERROR Connection to db-{i % 3} refused" for i in range(30)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("client")
    roots = work / "logs"
    roots.mkdir()
    env = {"LOGSUM_WATCH_ROOTS": str(roots), "LOGSUM_WEBHOOK_ALLOW_PRIVATE": "true"}
    with keyed_server(work, env) as s:
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


def test_429_is_retried_after_retry_after(tmp_path: Path) -> None:
    env = {"LOGSUM_RATE_LIMIT_FREE": "1", "LOGSUM_RATE_LIMIT_WINDOW_SECONDS": "2"}
    with keyed_server(tmp_path, env) as s:
        with Client(s.url, s.keys["a"], retries=0) as c:
            c.analyze(LINES[:1])
            with pytest.raises(LogSumError) as limited:
                c.analyze(LINES[:1])
        assert limited.value.status == 429 and limited.value.code == "rate_limited"
        assert limited.value.retry_after is not None and 0 < limited.value.retry_after <= 2
        with Client(s.url, s.keys["b"], retries=3) as c:
            c.analyze(LINES[:1])
            t0 = time.monotonic()
            c.analyze(LINES[:1])  # 429 first, then allowed once the window ends
            waited = time.monotonic() - t0
        assert 0.2 < waited < 6


def test_503_when_busy_is_retried(tmp_path: Path) -> None:
    """One request in flight holds the only slot (its body is sent slowly): the client's
    request gets 503 with Retry-After: 1 and succeeds on a later attempt."""
    with keyed_server(tmp_path, {"LOGSUM_MAX_IN_FLIGHT": "1"}) as s:
        port = int(s.url.rsplit(":", 1)[1])
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(
            b"POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 11\r\n\r\n{"logs"'
        )
        time.sleep(0.3)
        finisher = threading.Timer(1.5, lambda: slow.sendall(b":[]}"))
        finisher.start()
        try:
            with Client(s.url, s.keys["a"], retries=0) as c, pytest.raises(LogSumError) as busy:
                c.analyze(LINES[:1])
            assert busy.value.status == 503 and busy.value.retry_after == 1
            with Client(s.url, s.keys["a"], retries=5) as c:
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
