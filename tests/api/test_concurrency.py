"""Counts stay exact when two service processes analyse the same tenant's lines at once
(both on one SQLite file; the store's own tests cover PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from logsum.store import Tier

from .conftest import make_keys, start_server, two_servers


def _batch(loghub: Path) -> list[str]:
    """The first 60 lines of the OpenSSH log (the in-repository Loghub copy)."""
    path = loghub / "OpenSSH" / "OpenSSH_2k.log"
    return path.read_text(encoding="utf-8", errors="replace").splitlines()[:60]


def test_two_processes_lose_no_counts(tmp_path: Path, loghub: Path) -> None:
    batch = _batch(loghub)
    requests_per_client, clients = 8, 4
    with two_servers(tmp_path, {}, ("t", Tier.ENTERPRISE)) as (one, two, keys):
        servers = [one, two]
        with servers[0].client(keys["t"]) as c:
            per_request = {
                p["id"]: p["count"]
                for p in c.post("/v1/analyze", json={"logs": batch}).json()["patterns"]
            }
        assert sum(per_request.values()) == len(batch)

        def client(n: int) -> list[int]:
            codes = []
            for i in range(requests_per_client):
                server = servers[(n + i) % 2]
                with server.client(keys["t"]) as c:
                    codes.append(c.post("/v1/analyze", json={"logs": batch}).status_code)
            return codes

        with ThreadPoolExecutor(max_workers=clients) as pool:
            codes = [code for result in pool.map(client, range(clients)) for code in result]
        assert codes == [200] * (clients * requests_per_client)

        rounds = 1 + clients * requests_per_client
        with servers[1].client(keys["t"]) as c:
            stored = c.get("/v1/patterns?limit=500").json()
        assert sum(p["count"] for p in stored["patterns"]) == rounds * len(batch)
        assert {p["id"]: p["count"] for p in stored["patterns"]} == {
            pid: n * rounds for pid, n in per_request.items()
        }


def test_ids_and_counts_survive_a_restart(tmp_path: Path, loghub: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    keys = make_keys(f"sqlite:///{data / 'logsum.db'}", ("t", Tier.FREE))
    env = {"LOGSUM_DATA_DIR": str(data)}
    batch = _batch(loghub)
    first = start_server(tmp_path / "one", env)
    try:
        with first.client(keys["t"]) as c:
            before = {
                p["id"]: p["count"]
                for p in c.post("/v1/analyze", json={"logs": batch}).json()["patterns"]
            }
    finally:
        first.stop()
    second = start_server(tmp_path / "two", env)
    try:
        with second.client(keys["t"]) as c:
            after = {
                p["id"]: p["count"]
                for p in c.post("/v1/analyze", json={"logs": batch}).json()["patterns"]
            }
            stored = {
                p["id"]: p["count"] for p in c.get("/v1/patterns?limit=500").json()["patterns"]
            }
    finally:
        second.stop()
    assert after == before  # same ids, same per-request counts in a new process
    assert stored == {pid: 2 * n for pid, n in before.items()}
