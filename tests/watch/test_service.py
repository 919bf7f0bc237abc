"""The watch service end to end, in process: real files, real rotation, a real HTTP receiver
on 127.0.0.1 that verifies signatures, a receiver that fails and recovers, two processes'
worth of services sharing one database through leases."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from logsum.store import Store
from logsum.watch.config import WatchConfig
from logsum.watch.errors import SourcePathError, WatchValidationError, WebhookUrlError
from logsum.watch.manage import create_watch
from logsum.watch.repo import WatchStore
from logsum.watch.retry import RetryPolicy
from logsum.watch.service import WatchService

from .receiver import Receiver

FAST = WatchConfig(
    allow_private=True,
    batch_max_events=50,
    batch_max_wait_s=0.05,
    poll_interval_s=0.02,
    record_idle_s=0.05,
    lease_ttl_s=1.0,
    supervisor_interval_s=0.1,
    delivery_timeout_s=2.0,
    retry=RetryPolicy(max_attempts=50, base_s=0.05, cap_s=0.2),
)


def eventually(cond: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``cond`` until it holds or ``timeout`` passes (no fixed sleeps: CI may be slow)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def line(i: int, level: str = "ERROR") -> str:
    return f"2024-01-01 10:00:{i % 60:02d} {level} request {i} failed on host-{i % 7}\n"


def append(p: Path, text: str) -> None:
    with open(p, "a", encoding="utf-8") as fh:
        fh.write(text)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    d = tmp_path / "logs"
    d.mkdir()
    return d


def config(logdir: Path, **kw: object) -> WatchConfig:
    from dataclasses import replace

    return replace(FAST, roots=(logdir,), **kw)  # type: ignore[arg-type]


def start_watch(
    store: Store, cfg: WatchConfig, log: Path, rx: Receiver, severities: list[str] | None = None
) -> str:
    created = create_watch(
        WatchStore(store),
        cfg,
        tenant_id="key_t",
        source=str(log),
        severities=severities,
        webhook_url=rx.url,
    )
    rx.secrets.append(created.secret)
    return created.watch.id


def test_lines_are_filtered_grouped_signed_and_delivered(sqlite_store: Store, logdir: Path) -> None:
    log = logdir / "app.log"
    append(log, line(0) + "old content is not sent\n")
    rx = Receiver().start()
    cfg = config(logdir)
    wid = start_watch(sqlite_store, cfg, log, rx, severities=["error", "warning"])
    svc = WatchService(sqlite_store, cfg)
    svc.start()
    try:
        append(log, line(1))
        append(log, line(2, "INFO"))
        append(log, "2024-01-01 10:00:03 ERROR Unhandled exception in worker 7\n")
        append(log, "    at com.foo.Bar(Bar.java:10)\n    at com.foo.Baz(Baz.java:20)\n")
        append(log, line(4, "WARN"))
        append(log, line(5, "INFO"))
        got = rx.wait_for(3)
    finally:
        svc.stop()
    assert got == [
        line(1).rstrip("\n"),
        "2024-01-01 10:00:03 ERROR Unhandled exception in worker 7\n"
        "    at com.foo.Bar(Bar.java:10)\n    at com.foo.Baz(Baz.java:20)",
        line(4, "WARN").rstrip("\n"),
    ]
    assert rx.bad_signatures == 0
    events = rx.events()
    assert [e["severity"] for e in events] == ["error", "error", "warning"]
    assert events[1]["line_count"] == 3
    assert events[0]["timestamp"] == "2024-01-01T10:00:01Z"
    assert all(e["pattern_id"] and e["template"] for e in events)
    w = WatchStore(sqlite_store).get_watch("key_t", wid)
    assert w is not None
    assert w.lines_read == 7 and w.events_count == 3 and w.delivered_count >= 1
    assert w.offset == log.stat().st_size
    # the tenant's patterns were updated (at the latest when the service stopped)
    page, total = sqlite_store.list_patterns("key_t", limit=50)
    assert total >= 2 and sum(p.count for p in page) == 7


def test_rename_and_copytruncate_rotation_lose_nothing(sqlite_store: Store, logdir: Path) -> None:
    log = logdir / "app.log"
    log.write_text("")
    rx = Receiver().start()
    cfg = config(logdir)
    start_watch(sqlite_store, cfg, log, rx)
    svc = WatchService(sqlite_store, cfg)
    svc.start()
    try:
        expected = []
        for i in range(300):
            append(log, line(i))
            expected.append(line(i).rstrip("\n"))
            if i == 100:  # logrotate "create": rename, then the app reopens a new file
                os.rename(log, logdir / "app.log.1")
                log.write_text("")
            if i == 200:  # logrotate "copytruncate"
                time.sleep(0.3)  # the copy is taken after the follower read everything
                shutil.copy(log, logdir / "app.log.2")
                with open(log, "r+") as fh:
                    fh.truncate(0)
            if i % 50 == 0:
                time.sleep(0.05)
        got = rx.wait_for(300)
    finally:
        svc.stop()
    assert sorted(got) == sorted(expected)
    assert got == expected  # in order, too
    assert rx.duplicates == 0


def test_receiver_failing_then_down_then_back_gets_everything_once(
    sqlite_store: Store, logdir: Path
) -> None:
    log = logdir / "app.log"
    log.write_text("")
    rx = Receiver().start()
    cfg = config(logdir)
    wid = start_watch(sqlite_store, cfg, log, rx)
    svc = WatchService(sqlite_store, cfg)
    svc.start()
    try:
        rx.fail_with = 500
        for i in range(50):
            append(log, line(i))
        time.sleep(0.5)
        rx.fail_with = 503
        rx.retry_after = "1"
        time.sleep(0.3)
        rx.retry_after = None
        rx.fail_with = None
        rx.down()  # connection refused for a while
        for i in range(50, 100):
            append(log, line(i))
        repo = WatchStore(sqlite_store)

        def stuck() -> bool:
            w = repo.get_watch("key_t", wid)
            return w is not None and bool(w.last_error) and w.pending_count >= 1

        assert eventually(stuck)
        rx.up()
        got = rx.wait_for(100)
    finally:
        svc.stop()
    assert got == [line(i).rstrip("\n") for i in range(100)]
    assert rx.bad_signatures == 0
    w = WatchStore(sqlite_store).get_watch("key_t", wid)
    assert w is not None and w.failed_count == 0 and w.pending_count == 0


def test_exhausted_retries_mark_the_delivery_failed(sqlite_store: Store, logdir: Path) -> None:
    log = logdir / "app.log"
    log.write_text("")
    rx = Receiver().start()
    cfg = config(logdir, retry=RetryPolicy(max_attempts=2, base_s=0.01, cap_s=0.01))
    wid = start_watch(sqlite_store, cfg, log, rx)
    rx.fail_with = 500
    svc = WatchService(sqlite_store, cfg)
    svc.start()
    try:
        append(log, line(1))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            w = WatchStore(sqlite_store).get_watch("key_t", wid)
            assert w is not None
            if w.failed_count:
                break
            time.sleep(0.05)
    finally:
        svc.stop()
    assert w.failed_count == 1 and w.last_error == "HTTP 500" and rx.attempts == 2


def test_create_watch_validation(sqlite_store: Store, logdir: Path, tmp_path: Path) -> None:
    repo = WatchStore(sqlite_store)
    cfg = config(logdir, allow_private=False, max_watches_per_key=1)

    def make(**kw: object) -> None:
        args: dict[str, object] = {
            "tenant_id": "key_t",
            "source": str(logdir / "a.log"),
            "severities": ["error"],
            "webhook_url": "http://93.184.216.34/hook",
        }
        args.update(kw)
        create_watch(repo, cfg, **args)  # type: ignore[arg-type]

    with pytest.raises(SourcePathError):
        make(source=str(logdir / ".." / "db.sqlite"))
    with pytest.raises(WebhookUrlError):
        make(webhook_url="http://127.0.0.1:9/")
    with pytest.raises(WatchValidationError, match="severity"):
        make(severities=["loud"])
    make()
    with pytest.raises(WatchValidationError, match="most allowed"):
        make()


def test_unreadable_path_is_an_error_status_then_recovers(
    sqlite_store: Store, logdir: Path
) -> None:
    log = logdir / "app.log"
    rx = Receiver().start()
    cfg = config(logdir)
    wid = start_watch(sqlite_store, cfg, log, rx)
    log.mkdir()  # a directory where the file should be: open works, reading fails (EISDIR)
    svc = WatchService(sqlite_store, cfg)
    svc.start()
    repo = WatchStore(sqlite_store)
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            w = repo.get_watch("key_t", wid)
            assert w is not None
            if w.status == "error":
                break
            time.sleep(0.05)
        assert w.status == "error" and "app.log" in (w.last_error or "")
        log.rmdir()
        append(log, line(1))
        assert rx.wait_for(1) == [line(1).rstrip("\n")]
        w = repo.get_watch("key_t", wid)
        assert w is not None and w.status == "following"
    finally:
        svc.stop()


def test_a_full_outbox_pauses_reading_and_nothing_is_lost(
    sqlite_store: Store, logdir: Path
) -> None:
    log = logdir / "app.log"
    log.write_text("")
    rx = Receiver().start()
    cfg = config(logdir, batch_max_events=1, max_pending_deliveries=3)
    wid = start_watch(sqlite_store, cfg, log, rx)
    rx.fail_with = 503
    svc = WatchService(sqlite_store, cfg)
    svc.start()
    repo = WatchStore(sqlite_store)
    try:
        for i in range(30):
            append(log, line(i))
        time.sleep(1.5)
        w = repo.get_watch("key_t", wid)
        assert w is not None
        assert w.pending_count <= 5 and w.lines_read < 30  # the file is the buffer
        rx.fail_with = None
        got = rx.wait_for(30)
    finally:
        svc.stop()
    assert got == [line(i).rstrip("\n") for i in range(30)]


def test_anomalies_found_on_the_stream_are_delivered(sqlite_store: Store, logdir: Path) -> None:
    log = logdir / "app.log"
    log.write_text("")
    rx = Receiver().start()
    cfg = config(logdir, analysis_window_s=0.3)
    watch_id = start_watch(sqlite_store, cfg, log, rx, severities=["error"])
    svc = WatchService(sqlite_store, cfg)
    svc.start()
    try:
        for i in range(50):
            append(log, f"2024-01-01 10:00:{i % 60:02d} INFO heartbeat {i} ok\n")
        time.sleep(0.8)  # a first window: the baseline
        append(log, "2024-01-01 10:01:00 ERROR disk controller 3 reset unexpectedly\n")
        assert rx.wait_for(1)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not rx.anomalies():
            time.sleep(0.05)
    finally:
        svc.stop()
    event = rx.events()[0]
    found = [a for a in rx.anomalies() if event["pattern_id"] in a.get("pattern_ids", [])]
    assert found, rx.anomalies()
    assert "new_pattern" in {a["type"] for a in found}
    # The watch's anomalies are stored for GET /v1/anomalies too (written with its counts,
    # flushed at the latest when the watch stops).
    stored, total = sqlite_store.list_anomalies("key_t", limit=100)
    assert total >= len(found)
    assert {a.anomaly["id"] for a in stored} >= {a["id"] for a in found}
    assert {a.source for a in stored} == {f"watch:{watch_id}"}


def test_leases_and_delivery_on_both_databases(store: Store, tmp_path: Path) -> None:
    """The same run on SQLite and PostgreSQL: two services, each watch run once, a stopped
    service's watches taken over, every line delivered once."""
    logdir = tmp_path / "logs"
    logdir.mkdir()
    rx = Receiver().start()
    cfg = config(logdir)
    logs = [logdir / f"app{i}.log" for i in range(3)]
    for p in logs:
        p.write_text("")
        start_watch(store, cfg, p, rx)
    a, b = WatchService(store, cfg), WatchService(store, cfg)
    a.start()
    b.start()
    try:
        assert eventually(lambda: len(set(a.running()) | set(b.running())) == 3)
        assert not set(a.running()) & set(b.running())
        for n, p in enumerate(logs):
            append(p, line(n))
        assert len(rx.wait_for(3)) == 3
        a.stop()
        assert eventually(lambda: len(b.running()) == 3)
        for n, p in enumerate(logs):
            append(p, line(10 + n))
        got = rx.wait_for(6)
    finally:
        a.stop()
        b.stop()
    assert sorted(got) == sorted(line(i).rstrip("\n") for i in (0, 1, 2, 10, 11, 12))
    assert rx.duplicates == 0 and rx.bad_signatures == 0
