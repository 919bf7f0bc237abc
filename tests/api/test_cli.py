"""``logsum keys`` and ``logsum serve`` as a user runs them (real processes, real store)."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from .conftest import LOGSUM, start_server

KEY = re.compile(r"^lsk_[A-Za-z0-9_-]{43}$")


def run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGSUM_")}
    env["LOGSUM_DATA_DIR"] = str(data)
    return subprocess.run(
        [LOGSUM, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"  # does not exist yet: created
    done = run(data, "keys", "create", "--name", "ci job", "--tier", "pro")
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    assert KEY.match(key)
    key_id = re.search(r"key_[0-9a-f]+", done.stdout)
    assert key_id

    listing = run(data, "keys", "list")
    assert listing.returncode == 0
    assert key_id.group(0) in listing.stdout and "ci job" in listing.stdout
    assert "pro" in listing.stdout
    assert key not in listing.stdout  # never the key itself
    assert key[:12] in listing.stdout  # its display prefix

    server = start_server(tmp_path / "srv", {"LOGSUM_DATA_DIR": str(data)})
    try:
        auth = {"Authorization": f"Bearer {key}"}
        r = httpx.get(f"{server.url}/v1/patterns", headers=auth)
        assert r.status_code == 200 and r.headers["x-ratelimit-limit"] == "1000"
        revoked = run(data, "keys", "revoke", key_id.group(0))
        assert revoked.returncode == 0, revoked.stderr
        assert httpx.get(f"{server.url}/v1/patterns", headers=auth).status_code == 401
    finally:
        server.stop()

    assert run(data, "keys", "revoke", key_id.group(0)).returncode == 0  # idempotent
    unknown = run(data, "keys", "revoke", "key_nope")
    assert unknown.returncode == 1 and "no key with id" in unknown.stderr


def test_keys_create_rejects_bad_input(tmp_path: Path) -> None:
    bad_tier = run(tmp_path, "keys", "create", "--name", "x", "--tier", "gold")
    assert bad_tier.returncode == 2 and "gold" in bad_tier.stderr
    assert run(tmp_path, "keys", "create", "--name", "  ").returncode == 2
    assert run(tmp_path, "keys", "create").returncode == 2  # --name is required
    control = run(tmp_path, "keys", "create", "--name", "bad\x07name")
    assert control.returncode == 2 and "control" in control.stderr
    assert "Traceback" not in control.stderr


def test_serve_first_start_prints_one_key_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_server(tmp_path / "a", {"LOGSUM_DATA_DIR": str(data)})
    try:
        out = first.stdout.read_text().strip().splitlines()
        key = out[-1]
        assert KEY.match(key), out
        assert "enterprise" in "\n".join(out)
        r = httpx.post(
            f"{first.url}/v1/analyze",
            headers={"Authorization": f"Bearer {key}"},
            json={"logs": ["2024-01-01 10:00:00 ERROR Database connection failed"]},
        )
        assert r.status_code == 200
        assert r.headers["x-ratelimit-limit"] == "10000"
    finally:
        first.stop()
    assert (data / "logsum.db").exists()
    second = start_server(tmp_path / "b", {"LOGSUM_DATA_DIR": str(data)})
    try:
        assert not KEY.search(second.stdout.read_text())
    finally:
        second.stop()


def test_serve_with_two_workers(tmp_path: Path) -> None:
    server = start_server(tmp_path, {"LOGSUM_DATA_DIR": str(tmp_path / "d")}, "--workers", "2")
    try:
        key = server.stdout.read_text().strip().splitlines()[-1]
        with server.client(key) as c:
            codes = {
                c.post("/v1/analyze", json={"logs": ["a 1", "a 2"]}).status_code for _ in range(6)
            }
        assert codes == {200}
        # Two worker processes started (each logs its own line).
        deadline = time.monotonic() + 20
        while server.stderr.read_text().count("Started server process") < 2:
            assert time.monotonic() < deadline, server.logs()
            time.sleep(0.1)
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LOGSUM_RATE_LIMIT_FREE", "lots"),
        ("LOGSUM_REDIS_URL", "http://127.0.0.1:6379"),
        ("LOGSUM_LOG_LEVEL", "chatty"),
    ],
)
def test_serve_rejects_bad_settings(tmp_path: Path, name: str, value: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGSUM_")}
    env.update({"LOGSUM_DATA_DIR": str(tmp_path), name: value})
    done = subprocess.run(
        [LOGSUM, "serve"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert name in done.stderr and "Traceback" not in done.stderr
