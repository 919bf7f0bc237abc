"""Per-request cost of the app in one process, without a server or a socket: the middlewares,
routing, key check, rate limit and a small analysis, driven through httpx's ASGI transport.

    python bench/middleware.py                 # 2,000 10-line POST /v1/analyze, 5 rounds
    python bench/middleware.py --requests 500 --rounds 3

It prints the best and the median round, in microseconds per request, for ``POST /v1/analyze``
(10 lines), for ``GET /healthz``, and for the app's middlewares alone (its ``user_middleware``
stacked around an app that answers at once, called directly with a 10-line POST: what the
middlewares themselves cost, without routing, FastAPI or the transport). Used to
check that a change to the middlewares costs no measurable time; compare two checkouts by
running it with each one's ``src`` on ``PYTHONPATH``, alternately, on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from logsum.app_factory import build_app
from logsum.settings import load_settings
from logsum.store import Store, Tier

LINES = [
    f"2024-05-01 10:00:{i:02d} INFO worker-{i % 3} handled request {1000 + i} in {i * 7} ms"
    for i in range(10)
]


async def _round(client: httpx.AsyncClient, method: str, path: str, n: int, **kw: object) -> float:
    """Microseconds per request over ``n`` sequential requests."""
    t0 = time.perf_counter()
    for _ in range(n):
        r = await client.request(method, path, **kw)  # type: ignore[arg-type]
        if r.status_code != 200:
            raise SystemExit(f"{method} {path}: {r.status_code} {r.text[:200]}")
    return (time.perf_counter() - t0) / n * 1e6


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that reads the body and answers 200 at once."""
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _stack_round(stack: ASGIApp, body: bytes, n: int) -> float:
    """Microseconds per request through ``stack`` called directly."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope: Scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/analyze",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        pass

    t0 = time.perf_counter()
    for _ in range(n):
        await stack(dict(scope), receive, send)
    return (time.perf_counter() - t0) / n * 1e6


async def _main(requests: int, rounds: int) -> None:
    logging.getLogger("logsum.access").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), rate_limit_enterprise=10_000_000)
        store = Store(settings.store_url)
        store.migrate()
        key = store.create_key("bench", Tier.ENTERPRISE)[1]
        store.close()
        app = build_app(settings)
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as client:
            body = {"json": {"logs": LINES}}
            await _round(client, "POST", "/v1/analyze", 200, **body)  # warm up
            await _round(client, "GET", "/healthz", 200)
            analyze, health, alone = [], [], []
            stack: ASGIApp = _answer
            for cls, args, kwargs in reversed(app.user_middleware):
                stack = cls(stack, *args, **kwargs)
            raw = orjson.dumps({"logs": LINES})
            for _ in range(rounds):
                analyze.append(await _round(client, "POST", "/v1/analyze", requests, **body))
                health.append(await _round(client, "GET", "/healthz", requests))
                alone.append(await _stack_round(stack, raw, requests * 10))
    for name, times in (
        ("POST /v1/analyze (10 lines)", analyze),
        ("GET /healthz", health),
        ("middlewares alone", alone),
    ):
        print(
            f"{name:30s} best {min(times):8.1f} us   median {statistics.median(times):8.1f} us"
            f"   ({rounds} rounds of {requests})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(_main(args.requests, args.rounds))


if __name__ == "__main__":
    main()
