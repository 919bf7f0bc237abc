"""A service process applies its process-wide tuning from the settings."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from logsum.app_factory import tune_process
from logsum.cpupin import cpu_quota, pin_to_free_cpu
from logsum.settings import Settings


def test_gc_threshold_and_thread_switch_interval_are_applied(tmp_path: Path) -> None:
    saved_gc, saved_switch = gc.get_threshold(), sys.getswitchinterval()
    try:
        tune_process(
            Settings(
                data_dir=tmp_path, gc_gen0_threshold=1234, thread_switch_ms=2.5, cpu_affinity=False
            )
        )
        assert gc.get_threshold()[0] == 1234
        assert gc.get_threshold()[1:] == saved_gc[1:]
        assert sys.getswitchinterval() == 0.0025
        tune_process(
            Settings(data_dir=tmp_path, gc_gen0_threshold=0, thread_switch_ms=0, cpu_affinity=False)
        )
        assert gc.get_threshold()[0] == 1234  # 0 keeps what the process has
        assert sys.getswitchinterval() == 0.0025
    finally:
        gc.set_threshold(*saved_gc)
        sys.setswitchinterval(saved_switch)


_CLAIM = """
import os, sys, threading, time
from pathlib import Path
from logsum.cpupin import pin_to_free_cpu
early = threading.Thread(target=time.sleep, args=(2,))  # started before pinning
early.start()
cpu = pin_to_free_cpu(Path(sys.argv[1]))
tasks = [os.sched_getaffinity(int(t.name)) for t in Path("/proc/self/task").iterdir()]
print(cpu, all(t == ({cpu} if cpu is not None else tasks[0]) for t in tasks), flush=True)
sys.stdin.read()  # hold the slot until the test lets go
"""


def _own_cpus() -> int:
    """CPUs this process may pin to (0 without CPU affinity), unless a quota is lower."""
    if not hasattr(os, "sched_getaffinity"):
        return 0
    cpus = len(os.sched_getaffinity(0))
    return 0 if (cpu_quota() or float("inf")) < cpus else cpus


@pytest.mark.skipif(_own_cpus() < 2, reason="needs two CPUs of its own (no CPU quota below)")
def test_service_processes_take_a_cpu_each_and_spare_ones_stay_unpinned(tmp_path: Path) -> None:
    """Each process pins all its threads to a CPU no other holds; once every CPU is held, a
    further process is left to the scheduler; a CPU is free again when its process ends."""
    allowed = sorted(os.sched_getaffinity(0))
    procs = []
    try:
        claimed = []
        for _ in range(len(allowed) + 1):
            p = subprocess.Popen(
                [sys.executable, "-c", _CLAIM, str(tmp_path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            procs.append(p)
            assert p.stdout is not None
            cpu, every_thread = p.stdout.readline().split()
            assert every_thread == "True"
            claimed.append(cpu)
        assert sorted(claimed[:-1]) == [str(c) for c in allowed]
        assert claimed[-1] == "None"
        first = procs.pop(0)
        first.communicate("")
        again = subprocess.run(
            [sys.executable, "-c", _CLAIM, str(tmp_path)],
            input="",
            capture_output=True,
            text=True,
            check=True,
        )
        assert again.stdout.split() == [claimed[0], "True"]
    finally:
        for p in procs:
            p.communicate("")


def _proc(tmp_path: Path, cgroup: str) -> Path:
    proc = tmp_path / "proc"
    proc.mkdir(exist_ok=True)
    (proc / "cgroup").write_text(cgroup)
    return proc


def test_the_smallest_cpu_quota_up_the_cgroup_tree_counts_in_either_version(
    tmp_path: Path,
) -> None:
    v2 = tmp_path / "v2"
    (v2 / "a" / "b").mkdir(parents=True)
    (v2 / "a" / "b" / "cpu.max").write_text("max 100000\n")
    (v2 / "a" / "cpu.max").write_text("150000 100000\n")
    (v2 / "cpu.max").write_text("400000 100000\n")
    proc = _proc(tmp_path, "0::/a/b\n")
    assert cpu_quota(v2, proc) == 1.5
    (v2 / "a" / "cpu.max").write_text("max 100000\n")
    (v2 / "cpu.max").write_text("max 100000\n")
    assert cpu_quota(v2, proc) is None
    v1 = tmp_path / "v1"
    (v1 / "cpu,cpuacct" / "x").mkdir(parents=True)
    (v1 / "cpu,cpuacct" / "x" / "cpu.cfs_quota_us").write_text("200000\n")
    (v1 / "cpu,cpuacct" / "x" / "cpu.cfs_period_us").write_text("100000\n")
    proc = _proc(tmp_path, "5:memory:/x\n4:cpu,cpuacct:/x\n0::/\n")
    assert cpu_quota(v1, proc) == 2.0
    (v1 / "cpu,cpuacct" / "x" / "cpu.cfs_quota_us").write_text("-1\n")
    assert cpu_quota(v1, proc) is None
    assert cpu_quota(tmp_path / "none", tmp_path / "no-proc") is None


def test_a_slot_directory_others_could_write_to_is_not_used(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    assert pin_to_free_cpu(shared) is None
    assert not list(shared.iterdir())  # nothing created in it
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(target)
    assert pin_to_free_cpu(link) is None
    assert not list(target.iterdir())
