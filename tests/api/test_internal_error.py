"""An unexpected exception becomes 500 ``internal_error`` with no internals, over real HTTP.

The service has no route that fails on purpose, so this test serves the real app (real
settings, store, middleware and error handlers) with one extra route that raises, on a real
socket (uvicorn in a thread)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from logsum.app_factory import build_app
from logsum.settings import load_settings
from logsum.store import Store

from .conftest import envelope, serve_in_thread


@pytest.fixture
def failing_server(tmp_path: Path) -> Iterator[str]:
    settings = load_settings(data_dir=tmp_path)
    store = Store(settings.store_url)
    store.migrate()
    store.close()
    app = build_app(settings)

    def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    app.add_api_route("/boom", boom)
    with serve_in_thread(app) as url:
        yield url


def test_unexpected_exception_is_a_bare_500(failing_server: str) -> None:
    r = httpx.get(f"{failing_server}/boom", headers={"X-Request-ID": "boom-1"})
    message = envelope(r, 500, "internal_error")
    assert message == "Internal server error"
    assert "hunter2" not in r.text and "RuntimeError" not in r.text
    assert r.headers["x-request-id"] == "boom-1"
    # The process keeps serving.
    assert httpx.get(f"{failing_server}/healthz").status_code == 200
