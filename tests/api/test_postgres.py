"""The service on a real PostgreSQL store (started by the shared ``pg_url`` fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest

from logsum.store import Tier

from .conftest import make_keys, start_server


@pytest.fixture
def pg_db(pg_url: str) -> str:
    """A fresh database on the session's PostgreSQL server."""
    import psycopg

    name = f"logsum_api_{abs(hash(pg_url)) % 10_000}_{id(object())}"
    admin = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_url.rsplit("/", 1)[0] + "/" + name


def test_analyze_and_list_on_postgresql(pg_db: str, tmp_path: Path) -> None:
    keys = make_keys(pg_db, ("pg", Tier.PRO))
    server = start_server(tmp_path, {"LOGSUM_DATABASE_URL": pg_db})
    try:
        with server.client(keys["pg"]) as c:
            assert c.get("/readyz").status_code == 200
            lines = [
                "2024-03-01 12:00:00 WARN cache miss for key 17",
                "2024-03-01 12:00:01 WARN cache miss for key 18",
                "2024-03-01 12:00:02 ERROR bad\x00byte in record 9",  # NUL: PostgreSQL text
            ]
            for _ in range(2):
                r = c.post("/v1/analyze", json={"logs": lines})
                assert r.status_code == 200, r.text
            listing = c.get("/v1/patterns").json()
            assert sum(p["count"] for p in listing["patterns"]) == 6
            assert listing["patterns"][0]["count"] == 4
            assert listing["patterns"][0]["severity"] == "warning"
            assert listing["patterns"][0]["last_seen"] == "2024-03-01T12:00:01Z"
            assert c.get("/v1/patterns/p%00x").status_code == 404
            assert c.get("/v1/patterns/" + listing["patterns"][0]["id"]).status_code == 200
    finally:
        server.stop()
