"""The analysis use case behind POST /v1/analyze, on a real SQLite store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from logsum.api.service import AnalysisService
from logsum.settings import Settings
from logsum.store import Store, StoreUnavailable

LINES = [f"2024-03-01 12:00:0{i} ERROR request {17 + i} failed" for i in range(4)]


def test_example_values_of_a_failed_write_are_sent_again(tmp_path: Path) -> None:
    """A request whose store write fails (503 to its client) leaves nothing behind that stops
    the next request from storing the same pattern's example values."""
    settings = Settings(data_dir=tmp_path)
    with Store(settings.store_url) as store:
        store.migrate()
        service = AnalysisService(settings, store)
        body = orjson.dumps({"logs": LINES})
        real = store.upsert_patterns
        calls = 0

        def fail_once(*args: Any, **kwargs: Any) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise StoreUnavailable("database unavailable")
            real(*args, **kwargs)

        store.upsert_patterns = fail_once  # type: ignore[method-assign]
        with pytest.raises(StoreUnavailable):
            service.analyze_raw("t", body)
        (pattern,) = service.analyze_raw("t", body).patterns
        stored = store.get_pattern("t", pattern["id"])
    assert stored is not None
    assert stored.count == 4  # the failed request's lines were not counted
    assert stored.examples == (("17", "18", "19", "20"),)


def test_a_requests_zone_applies_to_it_alone(tmp_path: Path) -> None:
    """The tenant's warm engine reads zone-less times in each request's own zone (UTC when it
    names none): a zone never leaks into the tenant's next request."""
    settings = Settings(data_dir=tmp_path)
    lines = ["2026-07-15 10:00:00 INFO job 1 done", "2026-07-15T10:00:00Z INFO job 2 done"]

    def seen(service: AnalysisService, options: dict[str, Any]) -> tuple[str, str]:
        body = orjson.dumps({"logs": lines, "options": options})
        (p,) = orjson.loads(service.analyze_raw("t", body).to_json())["patterns"]
        return p["first_seen"], p["last_seen"]

    with Store(settings.store_url) as store:
        store.migrate()
        service = AnalysisService(settings, store)
        assert seen(service, {}) == ("2026-07-15T10:00:00Z", "2026-07-15T10:00:00Z")
        # 10:00 in Berlin in summer is 08:00 UTC; the line with Z keeps 10:00 UTC.
        berlin = {"timezone": "Europe/Berlin"}
        assert seen(service, berlin) == ("2026-07-15T08:00:00Z", "2026-07-15T10:00:00Z")
        assert seen(service, berlin) == ("2026-07-15T08:00:00Z", "2026-07-15T10:00:00Z")
        assert seen(service, {}) == ("2026-07-15T10:00:00Z", "2026-07-15T10:00:00Z")
        assert seen(service, {"timezone": "UTC"}) == seen(service, {})
