"""``/v1/watch`` against hostile input, through a real ``logsum serve`` process (issue 18):
sources that are not regular files, parent directories swapped for symlinks, webhook hosts
that hide loopback in IPv6, concurrent creates racing the per-key limit."""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from api.conftest import Server, envelope, make_keys, start_server
from logsum.store import Tier

from .receiver import Receiver

REFUSE_WITHIN_S = 1.0
"""Every refusal below must come this fast (a refusal that hangs is the bug)."""


@contextmanager
def serve(work: Path, **env: str) -> Iterator[tuple[Server, Path]]:
    """``logsum serve`` on SQLite in ``work/data`` (or ``LOGSUM_DATABASE_URL``), watching
    ``work/logs``; key ``a`` (free tier, a limit that does not bind)."""
    root = work / "logs"
    root.mkdir(parents=True)
    data = work / "data"
    data.mkdir()
    db_url = env.get("LOGSUM_DATABASE_URL", f"sqlite:///{data / 'logsum.db'}")
    keys = make_keys(db_url, ("a", Tier.FREE), ("b", Tier.FREE))
    base = {
        "LOGSUM_DATA_DIR": str(data),
        "LOGSUM_WATCH_ROOTS": str(root),
        "LOGSUM_RATE_LIMIT_FREE": "100000",
        "LOGSUM_WATCH_POLL_INTERVAL_SECONDS": "0.02",
        "LOGSUM_WATCH_BATCH_MAX_WAIT_SECONDS": "0.05",
        "LOGSUM_WATCH_LEASE_SECONDS": "1",
    }
    server = start_server(work, {**base, **env})
    server.keys = keys
    try:
        yield server, root
    finally:
        server.stop()


def create(client: httpx.Client, source: str, url: str) -> httpx.Response:
    start = time.monotonic()
    resp = client.post("/v1/watch", json={"source": source, "webhook_url": url}, timeout=10)
    assert time.monotonic() - start < REFUSE_WITHIN_S or resp.status_code == 201
    return resp


# -- webhook addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["[64:ff9b::7f00:1]", "[::7f00:1]", "[::127.0.0.1]", "[2002:7f00:1::1]"]
)
def test_loopback_hidden_in_ipv6_is_a_400(tmp_path: Path, host: str) -> None:
    with serve(tmp_path) as (server, root), server.client(server.keys["a"]) as client:
        resp = create(client, str(root / "a.log"), f"http://{host}:9/hook")
        assert "loopback" in envelope(resp, 400, "invalid_request")


# -- the per-key watch limit ----------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_creates_never_pass_the_per_key_limit(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    """40 creates at once with a limit of 20 leave exactly 20 watches (29 did before)."""
    env = {"LOGSUM_MAX_WATCHES_PER_KEY": "20", "LOGSUM_WEBHOOK_ALLOW_PRIVATE": "true"}
    if backend == "postgresql":
        env["LOGSUM_DATABASE_URL"] = request.getfixturevalue("pg_db_url")
    with serve(tmp_path, **env) as (server, root):
        barrier = threading.Barrier(40)

        def one(i: int) -> int:
            with server.client(server.keys["a"]) as client:
                body = {"source": str(root / f"f{i}.log"), "webhook_url": "http://127.0.0.1:9/h"}
                barrier.wait()
                return client.post("/v1/watch", json=body).status_code

        with ThreadPoolExecutor(40) as pool:
            codes = list(pool.map(one, range(40)))
        with server.client(server.keys["a"]) as client:
            total = client.get("/v1/watch").json()["total"]
        assert sorted(codes) == [201] * 20 + [400] * 20
        assert total == 20


# -- sources that are not regular files -----------------------------------------------------------


def test_a_fifo_is_refused_at_once_and_the_api_stays_up(tmp_path: Path) -> None:
    """Each create used to block a worker thread in open() until a writer came: after ~40 the
    API's thread pool was gone. Now each is a 400 within a second, and the API answers."""
    with serve(tmp_path) as (server, root), server.client(server.keys["a"]) as client:
        fifo = root / "pipe.log"
        os.mkfifo(fifo)
        for _ in range(45):
            resp = client.post(
                "/v1/watch",
                json={"source": str(fifo), "webhook_url": "https://93.184.216.34/h"},
                timeout=REFUSE_WITHIN_S * 2,
            )
            assert "FIFO" in envelope(resp, 400, "invalid_request")
        start = time.monotonic()
        assert client.get("/v1/watch", timeout=5).json()["total"] == 0
        assert time.monotonic() - start < REFUSE_WITHIN_S


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_a_character_device_is_refused_and_never_read(tmp_path: Path) -> None:
    with serve(tmp_path) as (server, root), server.client(server.keys["a"]) as client:
        zero = root / "zero.log"
        os.mknod(zero, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # what /dev/zero is
        resp = create(client, str(zero), "https://93.184.216.34/h")
        assert "character device" in envelope(resp, 400, "invalid_request")


def wait_status(client: httpx.Client, watch_id: str, status: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        got = client.get(f"/v1/watch/{watch_id}").json()
        if got["status"] == status or time.monotonic() > deadline:
            return dict(got)
        time.sleep(0.05)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_fifo_or_device_appearing_later_is_not_read(tmp_path: Path, kind: str) -> None:
    """The source did not exist at creation; a FIFO or a device created there later is
    refused by the follower (status error, saying why), never opened for reading."""
    if kind == "device" and os.geteuid() != 0:
        pytest.skip("mknod of a character device needs root")
    rx = Receiver().start()
    env = {"LOGSUM_WEBHOOK_ALLOW_PRIVATE": "true"}
    with serve(tmp_path, **env) as (server, root), server.client(server.keys["a"]) as client:
        source = root / "later.log"
        resp = create(client, str(source), rx.url)
        assert resp.status_code == 201, resp.text
        watch = resp.json()
        rx.secrets.append(watch["secret"])
        assert wait_status(client, watch["id"], "waiting")["status"] == "waiting"
        if kind == "fifo":
            os.mkfifo(source)
        else:
            os.mknod(source, stat.S_IFCHR | 0o600, os.makedev(1, 5))
        got = wait_status(client, watch["id"], "error")
        assert got["status"] == "error"
        assert ("FIFO" if kind == "fifo" else "character device") in got["last_error"]
        if kind == "fifo":
            # A writer comes: the follower never opened the FIFO, so nothing is read.
            fd = os.open(source, os.O_RDWR | os.O_NONBLOCK)
            os.write(fd, b"2024-01-01 10:00:00 ERROR through the pipe\n")
            os.close(fd)
        time.sleep(0.5)
        got = client.get(f"/v1/watch/{watch['id']}", timeout=REFUSE_WITHIN_S).json()
        assert got["lines_read"] == 0 and rx.texts() == []
    rx.down()


# -- directories swapped for symlinks -------------------------------------------------------------


def test_a_parent_directory_swapped_for_a_symlink_is_not_followed(tmp_path: Path) -> None:
    """root/sub/app.log is watched; sub is renamed away and replaced by a symlink to a
    directory outside the roots holding an app.log: nothing of it is delivered. A real sub
    directory coming back is followed again."""
    rx = Receiver().start()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "app.log").write_text("")
    env = {"LOGSUM_WEBHOOK_ALLOW_PRIVATE": "true"}
    with serve(tmp_path, **env) as (server, root), server.client(server.keys["a"]) as client:
        sub = root / "sub"
        sub.mkdir()
        (sub / "app.log").write_text("")
        resp = create(client, str(sub / "app.log"), rx.url)
        assert resp.status_code == 201, resp.text
        watch = resp.json()
        rx.secrets.append(watch["secret"])
        assert wait_status(client, watch["id"], "following")["status"] == "following"
        with open(sub / "app.log", "a") as fh:
            fh.write("2024-01-01 10:00:00 ERROR inside before the swap\n")
        assert rx.wait_for(1) == ["2024-01-01 10:00:00 ERROR inside before the swap"]

        sub.rename(root / "sub.old")
        sub.symlink_to(outside, target_is_directory=True)
        with open(outside / "app.log", "a") as fh:
            fh.write("2024-01-01 10:00:01 ERROR outside the roots\n")
        time.sleep(1.0)  # many polls (every 20 ms), rotation drains (5 polls)
        assert rx.texts() == ["2024-01-01 10:00:00 ERROR inside before the swap"]

        sub.unlink()
        sub.mkdir()
        with open(sub / "app.log", "a") as fh:
            fh.write("2024-01-01 10:00:02 ERROR inside again\n")
        got = rx.wait_for(2)
    rx.down()
    assert got == [
        "2024-01-01 10:00:00 ERROR inside before the swap",
        "2024-01-01 10:00:02 ERROR inside again",
    ]
    assert rx.bad_signatures == 0
