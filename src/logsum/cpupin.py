"""Pin a service process to one CPU of its own (``LOGSUM_CPU_AFFINITY``, off by default).

A Python process runs Python code on one core at a time (the interpreter lock), but the
kernel moves its threads between cores: the event loop's thread and the thread that runs an
analysis take turns, often on different cores, and each turn starts with cold caches. Pinning
the whole process to one core keeps its working set in that core's caches: on the 2-core
benchmark machine a 1,000-line request cost about a fifth less CPU. The price: the database
drivers' waits, which run without the interpreter lock, no longer overlap with Python work on
another core, and the scheduler can no longer move the process off a core that other work
keeps busy. So it is for machines whose cores the service has to itself.

Each process claims a free core with a non-blocking ``flock`` on a per-core slot file in a
directory of this user (``$XDG_RUNTIME_DIR``, else the system's temporary directory), so the
workers of one or several ``logsum serve`` of the user spread over the cores. Processes that
do not share that directory (other containers, other users) do not see each other's claims:
that is why pinning is opt-in. The lock is released by the kernel when the process ends, so a
restarted worker finds its slot free. A process stays unpinned when it finds no free core
(more workers than cores), when its cgroup's CPU quota is below the cores it sees (they are
shared), on a free-threaded interpreter (its threads do run in parallel), and on systems
without CPU affinity.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import stat
import sys
import tempfile
from pathlib import Path

_log = logging.getLogger(__name__)

_held: list[int] = []
"""Open descriptors of the slot files this process holds (kept open for its lifetime)."""


def slots_dir() -> Path:
    """The directory of the per-core slot files of this user."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = Path(runtime) if runtime and os.path.isdir(runtime) else Path(tempfile.gettempdir())
    return base / f"logsum-cpu-{os.getuid()}"


def pin_to_free_cpu(directory: Path | None = None) -> int | None:
    """Pin every thread of this process to one CPU no other pinned process holds, and return
    it; ``None`` (nothing changed) when pinning does not apply (see the module) or the slot
    directory cannot be trusted."""
    if _held or not hasattr(os, "sched_setaffinity"):
        return None  # already pinned, or a system without CPU affinity (macOS)
    if not getattr(sys, "_is_gil_enabled", lambda: True)():
        return None  # free-threaded: the process's threads run on several cores at once
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None
    quota = cpu_quota()
    if quota is not None and quota < len(allowed):
        return None
    directory = directory or slots_dir()
    if not _private_dir(directory):
        return None
    flags = os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC
    for cpu in allowed:
        try:
            fd = os.open(directory / f"cpu-{cpu}.lock", flags, 0o600)
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


def _private_dir(directory: Path) -> bool:
    """Create ``directory`` (mode 0700) if needed, and whether it is a real directory of this
    user that nobody else may write to: a directory in a shared temporary directory could
    have been made by someone else, with links planted in it."""
    try:
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)
        st = os.lstat(directory)
    except OSError as exc:
        _log.warning("not pinning to a CPU: cannot use %s: %s", directory, exc)
        return False
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        _log.warning("not pinning to a CPU: %s is not a private directory of this user", directory)
        return False
    return True


def cpu_quota(root: Path = Path("/sys/fs/cgroup"), proc: Path = Path("/proc/self")) -> float | None:
    """The CPUs' worth of time this process's cgroup may use, the smallest quota on its way up
    the cgroup tree (cgroup v2 ``cpu.max``, or v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``
    of the ``cpu`` controller's mount); ``None`` when unlimited or unknown."""
    quotas = []
    for directory in _cgroup_dirs(root, proc):
        try:
            quota, period = (directory / "cpu.max").read_text().split()[:2]
        except (OSError, ValueError):
            try:
                quota = (directory / "cpu.cfs_quota_us").read_text().strip()
                period = (directory / "cpu.cfs_period_us").read_text().strip()
            except OSError:
                continue
        with contextlib.suppress(ValueError):  # "max": no quota at this level
            q, p = int(quota), int(period)
            if q > 0 and p > 0:
                quotas.append(q / p)
    return min(quotas) if quotas else None


def _cgroup_dirs(root: Path, proc: Path) -> list[Path]:
    """The directories holding this process's CPU limits, from its own cgroup up to the root
    (the root alone when ``/proc/self/cgroup`` cannot be read)."""
    relative = ""
    mount = root
    try:
        lines = (proc / "cgroup").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        _id, controllers, path = line.split(":", 2)
        names = controllers.split(",")
        if controllers == "" or "cpu" in names:  # v2 unified, or the v1 cpu controller
            relative = path.strip("/")
            if controllers:
                mount = root / controllers
                if not mount.is_dir():
                    mount = root / "cpu"
            if "cpu" in names:
                break  # v1: its cpu controller decides
    if mount == root and not (root / "cpu.max").exists() and (root / "cpu").is_dir():
        mount = root / "cpu"  # v1 layout without a readable /proc/self/cgroup entry
    parts = [p for p in relative.split("/") if p]
    return [mount.joinpath(*parts[:n]) for n in range(len(parts), -1, -1)]


def _set_affinity(cpus: set[int]) -> None:
    """``cpus`` for every thread of this process (Linux sets it per thread; threads started
    later inherit it from the thread that starts them)."""
    tasks = Path("/proc/self/task")
    tids = [int(t.name) for t in tasks.iterdir()] if tasks.is_dir() else [0]
    for tid in tids:
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            os.sched_setaffinity(tid, cpus)
