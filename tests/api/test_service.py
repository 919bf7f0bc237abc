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
