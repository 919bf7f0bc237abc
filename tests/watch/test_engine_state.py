"""A watch whose service restarts goes on with the engine it had: the lines after the restart
get the patterns, messages and times the engine that never stopped gives them (its learned
state is saved in the store with the watch's commits and when its runner stops)."""

from __future__ import annotations

import json
import zlib
from dataclasses import replace
from pathlib import Path

from logsum import Engine, EngineConfig
from logsum.store import Store
from logsum.watch.model import BatchCommit
from logsum.watch.repo import WatchStore
from logsum.watch.service import WatchService

from .receiver import Receiver
from .test_service import append, config, sqlite_store, start_watch

__all__ = ["sqlite_store"]


def _before() -> list[str]:
    """Lines that teach: a CSV export's header row (its Message column holds one word on
    these rows), a day-first date (13/03), a JSON source whose free text is under ``detail``."""
    out = ["Timestamp,Level,Message,Source,Host,Region"]
    out += [
        f"2026-03-02 10:00:{i:02d},INFO,{('started', 'stopped')[i % 2]},pool {i},host{i},eu"
        for i in range(4)
    ]
    out += [f"13/03/2026 10:01:0{i} INFO scheduler: job {i} queued" for i in range(2)]
    out += [
        json.dumps(
            {"when": f"2026-03-02T10:02:0{i}Z", "sev": "info", "detail": f"cache {i} was refreshed"}
        )
        for i in range(2)
    ]
    return out


def _after() -> list[str]:
    """Lines read the way the lines before taught (each reads otherwise on a new engine)."""
    out = [
        f"2026-03-02 10:03:{i:02d},INFO,{('paused', 'resumed')[i % 2]},pool {i},host{i},eu"
        for i in range(3)
    ]
    out += [f"0{i + 1}/04/2026 10:04:0{i} INFO scheduler: job {i} queued" for i in range(2)]
    out += [
        json.dumps({"when": f"2026-03-02T10:05:0{i}Z", "sev": "info", "detail": "flushed"})
        for i in range(2)
    ]
    return out


def test_a_restarted_watch_reads_on_with_what_its_engine_learned(
    sqlite_store: Store, tmp_path: Path
) -> None:
    logdir = tmp_path / "logs"
    logdir.mkdir()
    log = logdir / "app.log"
    log.write_text("", encoding="utf-8")
    rx = Receiver().start()
    cfg = config(logdir)
    wid = start_watch(sqlite_store, cfg, log, rx)
    before, after = _before(), _after()

    svc = WatchService(sqlite_store, cfg)
    svc.start()
    try:
        append(log, "".join(f"{x}\n" for x in before))
        rx.wait_for(len(before))
    finally:
        svc.stop()
    saved = WatchStore(sqlite_store).get_engine_state(wid)
    assert saved is not None
    assert json.loads(zlib.decompress(saved))["format"] == "logsum.engine-state"

    svc = WatchService(sqlite_store, replace(cfg))  # a new process: nothing kept in memory
    svc.start()
    try:
        append(log, "".join(f"{x}\n" for x in after))
        rx.wait_for(len(before) + len(after))
    finally:
        svc.stop()

    whole = Engine(
        EngineConfig(max_line_chars=cfg.max_line_bytes, max_record_lines=cfg.max_record_lines)
    )
    expected = [whole.process(x) for x in before + after][len(before) :]
    events = rx.events()[len(before) :]
    assert [e["text"] for e in events] == after
    assert [e["message"] for e in events] == [r.message for r in expected]
    assert [e["pattern_id"] for e in events] == [r.pattern_id for r in expected]
    assert [e["template"] for e in events] == [whole.template(r.pattern_id) for r in expected]
    assert [e["timestamp"][:10] for e in events] == [
        r.timestamp.date().isoformat() if r.timestamp else None for r in expected
    ]
    # (the CSV rows' message is their Message column; 01/04/2026 is the 1st of April)
    assert [e["message"] for e in events[:3]] == ["paused", "resumed", "paused"]
    assert events[3]["timestamp"].startswith("2026-04-01")


def test_an_unreadable_saved_state_is_skipped(sqlite_store: Store, tmp_path: Path) -> None:
    """A state this version can not read (a newer version's, damaged bytes) is not used: the
    watch starts with a new engine and follows its file as before."""
    logdir = tmp_path / "logs"
    logdir.mkdir()
    log = logdir / "app.log"
    log.write_text("", encoding="utf-8")
    rx = Receiver().start()
    cfg = config(logdir)
    wid = start_watch(sqlite_store, cfg, log, rx)
    repo = WatchStore(sqlite_store)
    newer = {"format": "logsum.engine-state", "version": 99}
    for data in (zlib.compress(json.dumps(newer).encode()), b"not zlib"):
        assert repo.acquire_lease(wid, "someone", 30.0)
        repo.commit_batch(wid, "someone", None, BatchCommit(engine_state=data))
        repo.release_lease(wid, "someone")
        svc = WatchService(sqlite_store, cfg)
        svc.start()
        try:
            n = len(rx.events())
            append(log, "2026-03-02 10:00:00 ERROR request 7 failed\n")
            rx.wait_for(n + 1)
        finally:
            svc.stop()
        assert rx.events()[-1]["message"] == "request 7 failed"
