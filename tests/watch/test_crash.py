"""A watch worker process killed with SIGKILL and restarted loses no line, even with a rotation
while it was down; after dedupe by ``webhook-id`` every line arrives exactly once."""

from __future__ import annotations

import collections
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from logsum.store import Store, Tier
from logsum.watch.config import WatchConfig
from logsum.watch.manage import create_watch
from logsum.watch.repo import WatchStore

from .receiver import Receiver


def worker_env(db_url: str, root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "LOGSUM_DATABASE_URL": db_url,
            "LOGSUM_WATCH_ROOTS": str(root),
            "LOGSUM_WEBHOOK_ALLOW_PRIVATE": "true",
            "LOGSUM_WATCH_BATCH_MAX_EVENTS": "20",
            "LOGSUM_WATCH_BATCH_MAX_WAIT_SECONDS": "0.05",
            "LOGSUM_WATCH_POLL_INTERVAL_SECONDS": "0.02",
            "LOGSUM_WATCH_LEASE_SECONDS": "1",
            "LOGSUM_WEBHOOK_RETRY_BASE_SECONDS": "0.05",
            "LOGSUM_WEBHOOK_RETRY_CAP_SECONDS": "0.2",
            "LOGSUM_WEBHOOK_MAX_ATTEMPTS": "100",
            "LOGSUM_LOG_LEVEL": "warning",
        }
    )
    return env


def start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "logsum.watch"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert "running as" in proc.stdout.readline()
    return proc


def write_lines(path: Path, start: int, n: int, per_s: float = 2000.0) -> list[str]:
    out = []
    with open(path, "a", encoding="utf-8") as fh:
        for i in range(start, start + n):
            text = f"2024-01-01 10:00:00 ERROR job {i} failed with code {i % 13}"
            fh.write(text + "\n")
            fh.flush()
            out.append(text)
            if i % 20 == 0:
                time.sleep(20 / per_s)
    return out


def test_sigkill_and_restart_lose_nothing(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    root.mkdir()
    log = root / "app.log"
    log.write_text("")
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = Store(db_url)
    store.migrate()
    rx = Receiver().start()
    cfg = WatchConfig(roots=(root,), allow_private=True)
    created = create_watch(
        WatchStore(store),
        cfg,
        tenant_id="key_t",
        source=str(log),
        severities=["error"],
        webhook_url=rx.url,
    )
    rx.secrets.append(created.secret)
    env = worker_env(db_url, root)

    worker = start_worker(env)
    expected: list[str] = []
    try:
        expected += write_lines(log, 0, 600)
        # Kill it mid-stream: some batches delivered, others in the outbox or not yet read.
        rx.wait_for(100)
        expected += write_lines(log, 600, 100, per_s=10_000)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        before = len(rx.texts())
        assert worker.returncode == -signal.SIGKILL
        # While the worker is dead: more lines, then a rename-and-create rotation, more lines.
        expected += write_lines(log, 700, 100)
        os.rename(log, root / "app.log.1")
        log.write_text("")
        expected += write_lines(log, 800, 200)
        time.sleep(1.1)  # the dead worker's lease (1 s) expires: the API shows nobody runs it
        w = WatchStore(store).get_watch("key_t", created.watch.id)
        assert w is not None and w.status == "pending"
        worker = start_worker(env)  # takes the lease over once the dead one's expired
        expected += write_lines(log, 1000, 400)
        got = rx.wait_for(len(expected), timeout=30)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
        rx.down()
        store.close()
    counts = collections.Counter(got)
    assert set(counts) == set(expected), f"missing {len(set(expected) - set(counts))} lines"
    assert max(counts.values()) == 1, "a line arrived under two different webhook ids"
    assert rx.bad_signatures == 0
    print(
        f"delivered before the kill: {before}, duplicates dropped: {rx.duplicates}, "
        f"requests cut by the kill: {rx.incomplete}"
    )


def start_serve(env: dict[str, str], workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``logsum serve`` (API + watch service in one process) on a free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    full = {**env, "LOGSUM_HOST": "127.0.0.1", "LOGSUM_PORT": str(port)}
    err = open(workdir / f"serve-{port}.err", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "logsum"), "serve"],
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=err,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, (workdir / f"serve-{port}.err").read_text()
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("logsum serve did not start")


def test_service_process_sigkill_and_restart_lose_nothing(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    root.mkdir()
    log = root / "app.log"
    log.write_text("")
    data = tmp_path / "data"
    data.mkdir()
    db_url = f"sqlite:///{data / 'logsum.db'}"
    store = Store(db_url)
    store.migrate()
    _, key = store.create_key("ops", Tier.ENTERPRISE)
    store.close()
    env = {k: v for k, v in worker_env(db_url, root).items() if k != "LOGSUM_DATABASE_URL"}
    env["LOGSUM_DATA_DIR"] = str(data)
    rx = Receiver().start()
    headers = {"Authorization": f"Bearer {key}"}
    proc, url = start_serve(env, tmp_path)
    expected: list[str] = []
    try:
        resp = httpx.post(
            f"{url}/v1/watch",
            headers=headers,
            json={"source": str(log), "filters": {"severity": ["error"]}, "webhook_url": rx.url},
        )
        assert resp.status_code == 201, resp.text
        watch = resp.json()
        rx.secrets.append(watch["secret"])
        time.sleep(0.3)  # picked up by the service's supervisor
        expected += write_lines(log, 0, 400)
        rx.wait_for(50)
        expected += write_lines(log, 400, 100, per_s=10_000)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        expected += write_lines(log, 500, 200)
        proc, url = start_serve(env, tmp_path)
        expected += write_lines(log, 700, 300)
        got = rx.wait_for(len(expected), timeout=30)
        status = httpx.get(f"{url}/v1/watch/{watch['id']}", headers=headers).json()
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        rx.down()
    counts = collections.Counter(got)
    assert set(counts) == set(expected), f"missing {len(set(expected) - set(counts))} lines"
    assert max(counts.values()) == 1
    assert rx.bad_signatures == 0
    assert status["failed_count"] == 0 and status["status"] == "following"
    print(f"requests cut by the kill: {rx.incomplete}, duplicates dropped: {rx.duplicates}")
