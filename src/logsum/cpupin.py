"""Pin a service process to one CPU of its own (``LOGSUM_CPU_AFFINITY``).

A Python process runs Python code on one core at a time (the interpreter lock), but the
kernel moves its threads between cores: the event loop's thread and the thread that runs an
analysis take turns, often on different cores, and each turn starts with cold caches. Pinning
the whole process to one core keeps its working set in that core's caches: on the 2-core
benchmark machine a 1,000-line request cost about a fifth less CPU.

Each process claims a free core with a non-blocking ``flock`` on a per-core slot file in a
directory shared by the processes of this user (the system's temporary directory), so the
workers of one or several ``logsum serve`` on a machine spread over the cores. The lock is
released by the kernel when the process ends, so a restarted worker finds its slot free. A
process that finds no free core (more workers than cores) stays unpinned, and so does every
process of a container whose CPU quota is smaller than the cores it sees: its cores are
shared with other containers, and the scheduler should keep the freedom to move it.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
from pathlib import Path

_log = logging.getLogger(__name__)

_held: list[int] = []
"""Open descriptors of the slot files this process holds (kept open for its lifetime)."""


def slots_dir() -> Path:
    """The directory of the per-core slot files of this user."""
    return Path(tempfile.gettempdir()) / f"logsum-cpu-{os.getuid()}"


def pin_to_free_cpu(directory: Path | None = None) -> int | None:
    """Pin every thread of this process to one CPU no other pinned process holds, and return
    it; ``None`` (nothing changed) when the process may use a single CPU only, when every
    allowed CPU is taken, or when the slot directory cannot be used."""
    if _held or not hasattr(os, "sched_setaffinity"):
        return None  # already pinned, or a system without CPU affinity (macOS)
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None
    quota = cpu_quota()
    if quota is not None and quota < len(allowed):
        return None
    directory = directory or slots_dir()
    try:
        directory.mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        _log.warning("not pinning to a CPU: cannot create %s: %s", directory, exc)
        return None
    for cpu in allowed:
        try:
            fd = os.open(directory / f"cpu-{cpu}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        except OSError as exc:
            _log.warning("not pinning to a CPU: %s", exc)
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        _held.append(fd)
        _set_affinity({cpu})
        _log.info("service process %d pinned to CPU %d", os.getpid(), cpu)
        return cpu
    return None


def cpu_quota(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """The CPUs' worth of time this process's cgroup may use (cgroup v2 ``cpu.max``, or v1
    ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``), or ``None`` when unlimited or unknown."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        try:
            quota = (root / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (root / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    try:
        q, p = int(quota), int(period)
    except ValueError:  # "max": no quota
        return None
    return q / p if q > 0 and p > 0 else None


def _set_affinity(cpus: set[int]) -> None:
    """``cpus`` for every thread of this process (Linux sets it per thread; threads started
    later inherit it from the thread that starts them)."""
    tasks = Path("/proc/self/task")
    tids = [int(t.name) for t in tasks.iterdir()] if tasks.is_dir() else [0]
    for tid in tids:
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            os.sched_setaffinity(tid, cpus)
