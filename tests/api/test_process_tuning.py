"""A service process applies its process-wide tuning from the settings."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from logsum.app_factory import tune_process
from logsum.settings import Settings


def test_gc_threshold_and_thread_switch_interval_are_applied(tmp_path: Path) -> None:
    saved_gc, saved_switch = gc.get_threshold(), sys.getswitchinterval()
    try:
        tune_process(Settings(data_dir=tmp_path, gc_gen0_threshold=1234, thread_switch_ms=2.5))
        assert gc.get_threshold()[0] == 1234
        assert gc.get_threshold()[1:] == saved_gc[1:]
        assert sys.getswitchinterval() == 0.0025
        tune_process(Settings(data_dir=tmp_path, gc_gen0_threshold=0, thread_switch_ms=0))
        assert gc.get_threshold()[0] == 1234  # 0 keeps what the process has
        assert sys.getswitchinterval() == 0.0025
    finally:
        gc.set_threshold(*saved_gc)
        sys.setswitchinterval(saved_switch)
