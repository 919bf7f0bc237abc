"""The SQLite writer lock: one writer at a time across processes and threads, handed over as
soon as it is released."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from logsum.store.writerlock import WriterLock

_HOLDER = """
import sys, time
from pathlib import Path
from logsum.store.writerlock import WriterLock
lock = WriterLock(Path(sys.argv[1]))
with lock:
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
print("released", flush=True)
"""


def test_another_process_waits_until_the_holder_releases(tmp_path: Path) -> None:
    path = tmp_path / "db.writer"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path), "0.6"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        with WriterLock(path):
            waited = time.monotonic() - t0
        assert 0.3 < waited < 5  # blocked while held, then handed over promptly
    finally:
        holder.wait(10)


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    lock = WriterLock(tmp_path / "db.writer")
    inside = 0
    most = 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal inside, most
        for _ in range(50):
            with lock:
                with guard:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.0005)
                with guard:
                    inside -= 1

    pool = [threading.Thread(target=work) for _ in range(4)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(30)
    lock.close()
    assert most == 1
