"""Two service processes on one store, each putting its tenants' engines away and bringing
them back (a budget of one warm engine), still see one pattern set with stable ids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from logsum.settings import Settings
from logsum.store import Store

_CHILD = """
import json, sys
import orjson
from logsum.api.service import AnalysisService
from logsum.settings import Settings
from logsum.store import Store

data_dir, plan = sys.argv[1], json.loads(sys.argv[2])
settings = Settings(data_dir=data_dir, engine_tenants=1, engine_sync_seconds=0)
out = []
with Store(settings.store_url) as store:
    service = AnalysisService(settings, store)
    for tenant, lines in plan:
        body = orjson.dumps({"logs": lines, "options": {"find_anomalies": False}})
        got = orjson.loads(service.analyze_raw(tenant, body).to_json())["patterns"]
        out.append([tenant, sorted((p["id"], p["template"]) for p in got)])
    out.append(service.engines.stats())
print(json.dumps(out))
"""


def _process(data_dir: Path, plan: list[tuple[str, list[str]]]) -> list[object]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(data_dir), json.dumps(plan)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _jobs(first: int) -> list[str]:
    return [f"2026-03-02 10:00:0{i} INFO job {first + i} finished in {i * 7} ms" for i in range(5)]


def _logins(first: int) -> list[str]:
    return [
        f"2026-03-02 10:00:0{i} WARN login failed for user{first + i} from 10.0.0.{i}"
        for i in range(5)
    ]


def test_two_processes_on_one_store_see_one_pattern_set(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with Store(settings.store_url) as store:
        store.migrate()
    # Each process alternates two tenants with room for one warm engine: every request but
    # the first brings its tenant's engine back from compact form.
    a = _process(
        tmp_path, [("t1", _jobs(0)), ("t2", _logins(0)), ("t1", _logins(10)), ("t2", _jobs(10))]
    )
    b = _process(
        tmp_path, [("t2", _jobs(20)), ("t1", _jobs(30)), ("t2", _logins(40)), ("t1", _logins(50))]
    )
    assert a[-1]["restores"] >= 2 and b[-1]["restores"] >= 2  # type: ignore[index]
    ids_a: dict[str, dict[str, str]] = {t: {} for t in ("t1", "t2")}
    for tenant, patterns in a[:-1]:  # type: ignore[misc]
        ids_a[tenant].update({template: pid for pid, template in patterns})
    for tenant, patterns in b[:-1]:  # type: ignore[misc]
        for pid, template in patterns:
            assert ids_a[tenant].get(template, pid) == pid  # process B gave A's ids
            assert pid in ids_a[tenant].values()
    with Store(settings.store_url) as store:
        for tenant in ("t1", "t2"):
            stored, total = store.list_patterns(tenant, limit=100)
            assert total == 2  # one job pattern and one login pattern per tenant, not four
            assert sorted(p.count for p in stored) == [10, 10]
            # The ids process A gave (a template process B generalised keeps its id).
            assert {p.id for p in stored} == set(ids_a[tenant].values())
