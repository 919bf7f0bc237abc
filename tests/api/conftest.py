"""Fixtures for the REST service tests: real ``logsum serve`` processes on loopback ports (or
the real app on a real socket, uvicorn in a thread, where a test must reach inside the process),
real SQLite files, a real ``redis-server``, and httpx clients. Nothing is mocked."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from logsum.store import Store, Tier

LOGSUM = str(Path(sys.executable).parent / "logsum")


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def envelope(resp: httpx.Response, status: int, code: str) -> str:
    """Assert ``resp`` is an error envelope with ``status`` and ``code``; return the message."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert "Traceback" not in body["error"]["message"]
    assert resp.headers.get("x-request-id")
    return str(body["error"]["message"])


@dataclass
class Server:
    """One ``logsum serve`` process."""

    url: str
    proc: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    keys: dict[str, str] = field(default_factory=dict)
    """Name -> plaintext key, for the keys the fixture created."""

    def client(self, key: str | None = None, **kw: object) -> httpx.Client:
        """An httpx client for this server, authenticated with ``key`` when given."""
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0, **kw)  # type: ignore[arg-type]

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def logs(self) -> str:
        """What the process wrote so far (stdout, then stderr)."""
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")


def start_server(workdir: Path, env: dict[str, str], *args: str, wait: float = 30.0) -> Server:
    """Start ``logsum serve`` on a free port with ``env`` added to the environment, and wait
    until ``/healthz`` answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LOGSUM_")}
    full_env.update({"LOGSUM_HOST": "127.0.0.1", "LOGSUM_PORT": str(port), **env})
    out = workdir / f"serve-{port}.out"
    err = workdir / f"serve-{port}.err"
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen([LOGSUM, "serve", *args], env=full_env, stdout=o, stderr=e)
    server = Server(url=f"http://127.0.0.1:{port}", proc=proc, stdout=out, stderr=err)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"logsum serve exited with {proc.returncode}:\n{server.logs()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1.0).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"logsum serve did not become healthy:\n{server.logs()}")


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a daemon thread; yields its base
    URL and stops the server (running the app's shutdown) on exit."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def make_keys(db_url: str, *specs: tuple[str, Tier]) -> dict[str, str]:
    """Create keys directly in the store (migrating it first); name -> plaintext."""
    store = Store(db_url)
    try:
        store.migrate()
        return {name: store.create_key(name, tier)[1] for name, tier in specs}
    finally:
        store.close()


@contextmanager
def keyed_server(work: Path, env: dict[str, str]) -> Iterator[Server]:
    """A ``logsum serve`` on its own SQLite store in ``work``, with free keys ``a`` and ``b``
    (a limit that does not bind) and a revoked key, and ``env`` besides; stopped on exit."""
    data = work / "data"
    data.mkdir()
    db_url = f"sqlite:///{data / 'logsum.db'}"
    keys = make_keys(db_url, ("a", Tier.FREE), ("b", Tier.FREE), ("revoked", Tier.FREE))
    store = Store(db_url)
    try:
        store.revoke_key(next(r.id for r in store.list_keys() if r.name == "revoked"))
    finally:
        store.close()
    server = start_server(
        work, {"LOGSUM_DATA_DIR": str(data), "LOGSUM_RATE_LIMIT_FREE": "100000", **env}
    )
    server.keys = keys
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def two_servers(
    tmp_path: Path, env: dict[str, str], *specs: tuple[str, Tier]
) -> Iterator[tuple[Server, Server, dict[str, str]]]:
    """Two ``logsum serve`` processes on one SQLite store in ``tmp_path``, with keys ``specs``
    (name -> plaintext) and ``env`` besides; both stopped on exit."""
    data = tmp_path / "data"
    data.mkdir()
    keys = make_keys(f"sqlite:///{data / 'logsum.db'}", *specs)
    env = {"LOGSUM_DATA_DIR": str(data), **env}
    one = start_server(tmp_path / "one", env)
    try:
        two = start_server(tmp_path / "two", env)
    except BaseException:
        one.stop()
        raise
    try:
        yield one, two, keys
    finally:
        one.stop()
        two.stop()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A service with free keys ``a`` and ``b``, a revoked key, and small body/batch limits."""
    env = {
        "LOGSUM_MAX_BODY_BYTES": str(256 * 1024),
        "LOGSUM_MAX_BATCH_LINES": "500",
        "LOGSUM_MAX_LINE_CHARS": "1024",
    }
    with keyed_server(tmp_path_factory.mktemp("api"), env) as server:
        yield server


@dataclass
class Redis:
    """A ``redis-server`` process on a loopback port."""

    url: str
    proc: subprocess.Popen[bytes]


def start_redis(workdir: Path) -> Redis:
    """A real redis-server on a free loopback port (no persistence). Skips (or fails, as root,
    where ``scripts/system-deps.sh`` could have installed it) when redis-server is missing."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.geteuid() == 0:
            pytest.fail("redis-server missing; `bash scripts/system-deps.sh` installs it")
        pytest.skip("redis-server not found; run `bash scripts/system-deps.sh` as root")
    port = free_port()
    args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(
        [binary, *args, "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return Redis(url=f"redis://127.0.0.1:{port}/0", proc=proc)
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    """A real redis-server for this module."""
    redis = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield redis
    finally:
        redis.proc.terminate()
        redis.proc.wait(10)
