"""Where one ``POST /v1/analyze`` spends its CPU, stage by stage, in process (no HTTP).

    python bench/api_stages.py                      # 1,000-line batches, patterns only
    python bench/api_stages.py --size 10000 --full  # 10,000-line batches, default options

Drives :class:`logsum.api.service.AnalysisService` as a service worker thread does: a warm
tenant (it has seen the corpus once, as in bench/api.py's steady state), a SQLite store, request
bodies as bytes. Each stage is timed by thread CPU time around its function (the functions are
wrapped in this process only): parsing the body, the engine, the batch's patterns, the store
write and its periodic fold, the analysis (``--full``) and the response's JSON. What is left of
the total is the glue between them. A development aid: bench/api.py measures the real service.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from unittest.mock import patch

import orjson

from api import FOLD_PERIODS, MODES, batches, corpus
from logsum import Engine
from logsum.api import service
from logsum.settings import Settings
from logsum.store import Store, Tier

Totals = defaultdict[str, float]

ORDER = (
    "parse",
    "engine",
    "batch patterns",
    "store write",
    "of which fold",
    "analysis",
    "response JSON",
)
"""The stages in the order a request goes through them."""


def _timed(totals: Totals, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[name] += time.thread_time() - t0

    return wrapper


def measure(size: int, full: bool, requests: int = FOLD_PERIODS) -> tuple[dict[str, float], int]:
    """Milliseconds of CPU per request for each stage (and ``total``), and patterns per
    response."""
    lines = corpus()
    options = MODES["full" if full else "patterns only"]
    warm = batches(lines, size, -(-len(lines) // size))
    work = [orjson.dumps({"logs": b, "options": options}) for b in batches(lines, size, requests)]
    tmp = Path(tempfile.mkdtemp(prefix="logsum-stages-"))
    settings = Settings(data_dir=tmp)
    saved = gc.get_threshold()
    gc.set_threshold(settings.gc_gen0_threshold or saved[0], saved[1], saved[2])
    store = Store(settings.store_url)
    totals: Totals = defaultdict(float)
    stages = [  # (owner, attribute, stage name)
        (service, "parse_batch", "parse"),
        (Engine, "process_many", "engine"),
        (Engine, "batch_patterns", "batch patterns"),
        (Store, "upsert_patterns", "store write"),
        (Store, "fold", "of which fold"),
        (service, "analyze_batch", "analysis"),
    ]
    try:
        store.migrate()
        record, _key = store.create_key("stages", Tier.ENTERPRISE)
        analysis = service.AnalysisService(settings, store)
        for batch in warm:
            analysis.analyze_raw(record.id, orjson.dumps({"logs": batch, "options": options}))
        patterns = 0
        with ExitStack() as wrapped:
            for owner, attribute, name in stages:
                timed = _timed(totals, name, getattr(owner, attribute))
                wrapped.enter_context(patch.object(owner, attribute, timed))
            t0 = time.thread_time()
            for body in work:
                outcome = analysis.analyze_raw(record.id, body)
                json_t0 = time.thread_time()
                outcome.to_json()
                totals["response JSON"] += time.thread_time() - json_t0
                patterns += len(outcome.patterns)
            totals["total"] = time.thread_time() - t0
    finally:
        store.close()
        gc.set_threshold(*saved)
        shutil.rmtree(tmp, ignore_errors=True)
    per_request = {name: 1000 * seconds / len(work) for name, seconds in totals.items()}
    return per_request, patterns // len(work)


def with_glue(stages: dict[str, float]) -> dict[str, float]:
    """``stages`` (from :func:`measure`) with ``glue``: the total less the named stages."""
    named = sum(v for k, v in stages.items() if k not in ("of which fold", "total"))
    return {**stages, "glue": stages["total"] - named}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=1000, help="lines per request")
    ap.add_argument("--full", action="store_true", help="default options (with the analysis)")
    ap.add_argument("--requests", type=int, default=FOLD_PERIODS, help="timed requests")
    args = ap.parse_args(argv)
    measured, patterns = measure(args.size, args.full, args.requests)
    stages = with_glue(measured)
    print(f"{args.size:,}-line requests, {patterns} patterns each; CPU ms per request:")
    for name in (*ORDER, "glue", "total"):
        if name in stages:
            print(f"  {name:16s} {stages[name]:7.2f}")
    print(f"  engine / total   {stages['engine'] / stages['total']:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
