"""``logsum parse`` and ``logsum analyze`` on a local Dask cluster (``--workers``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner, Result

from logsum.cli import app


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """An in-process Dask cluster (threads): the commands reach it with --scheduler, and no
    worker process has to start for each command."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


def invoke(command: str, *args: str) -> Result:
    import logsum.cli.analyze
    import logsum.cli.parse  # noqa: F401

    return CliRunner().invoke(app, [command, *args])


def _logs(tmp_path: Path) -> list[Path]:
    paths = []
    for k in range(2):
        lines = []
        for i in range(200):
            lines.append(f"2024-03-01 10:{i // 60:02d}:{i % 60:02d} INFO request {i} took {k} ms")
            if i % 50 == 0:
                lines += [
                    f"2024-03-01 10:{i // 60:02d}:{i % 60:02d} ERROR Request {i} failed",
                    "java.lang.IllegalStateException: boom",
                    "\tat com.example.Service.handle(Service.java:42)",
                ]
        path = tmp_path / f"app{k}.log"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def test_parse_and_analyze_on_a_cluster(tmp_path: Path, scheduler: str) -> None:
    a, b = _logs(tmp_path)
    out = invoke("parse", "--scheduler", scheduler, str(a), str(b))
    assert out.exit_code == 0, out.output
    rows = [orjson.loads(line) for line in out.stdout.splitlines()]
    assert [r["line"] for r in rows] == list(range(1, 2 * 212 + 1))
    assert {r["source"] for r in rows} == {a.as_uri(), b.as_uri()}
    assert sum(r["continuation"] for r in rows) == 16
    assert rows[0]["template"] == "request <*> took <*> ms" and rows[0]["params"] == ["0", "0"]

    doc = orjson.loads(invoke("analyze", "--json", "--scheduler", scheduler, str(tmp_path)).stdout)
    assert doc["lines"] == 2 * 212
    counts = {p["template"]: p["count"] for p in doc["patterns"]}
    assert counts == {"request <*> took <*> ms": 400, "Request <*> failed": 8}

    written = invoke(
        "parse",
        "--scheduler",
        scheduler,
        "--output",
        str(tmp_path / "out"),
        "--output-format",
        "jsonl",
        str(a),
    )
    assert written.exit_code == 0, written.output
    files = sorted((tmp_path / "out").glob("part-*.jsonl"))
    assert sum(len(f.read_text().splitlines()) for f in files) == 212


def test_bad_batch_options_are_clear_errors(tmp_path: Path, scheduler: str) -> None:
    a, b = _logs(tmp_path)
    cases = [
        (("parse", str(a), str(b)), "several inputs need --workers"),
        (("analyze", "--workers", "1", "-"), "standard input can not be split"),
        (("parse", "--workers", "1", "--follow", str(a)), "--follow"),
        (("parse", "--output", str(tmp_path / "o"), str(a)), "--output needs --workers"),
        (("parse", "--workers", "1", "--scheduler", "tcp://x:1", str(a)), "not both"),
        (("analyze", "--store-key", "key_x", str(a)), "--store-key needs"),
        (("parse", "--workers", "1", "--output-format", "csv", str(a)), "parquet or jsonl"),
    ]
    for args, message in cases:
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
    missing = invoke("analyze", "--scheduler", scheduler, str(tmp_path / "none.log"))
    assert missing.exit_code == 2 and "no such file" in missing.stderr


def test_a_local_cluster_of_worker_processes(tmp_path: Path) -> None:
    a, _ = _logs(tmp_path)
    out = invoke("analyze", "--json", "--no-detect", "--workers", "1", str(a))
    assert out.exit_code == 0, out.output
    assert orjson.loads(out.stdout)["lines"] == 212


def test_analyze_adds_merged_patterns_to_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheduler: str
) -> None:
    from logsum.store import Store

    for name in [k for k in os.environ if k.startswith("LOGSUM_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("LOGSUM_DATA_DIR", str(tmp_path / "data"))
    a, _ = _logs(tmp_path)
    unknown = invoke(
        "analyze", "--scheduler", scheduler, "--no-detect", "--store-key", "key_x", str(a)
    )
    assert unknown.exit_code == 2 and "no API key" in unknown.stderr
    store = Store(f"sqlite:///{tmp_path / 'data' / 'logsum.db'}")
    record, _ = store.create_key("batch", "free")
    store.close()
    out = invoke(
        "analyze", "--scheduler", scheduler, "--no-detect", "--store-key", record.id, str(a)
    )
    assert out.exit_code == 0, out.output
    assert "2 patterns added" in out.stderr
    store = Store(f"sqlite:///{tmp_path / 'data' / 'logsum.db'}")
    stored, total = store.list_patterns(record.id, limit=10)
    store.close()
    assert total == 2 and sorted(p.count for p in stored) == [4, 200]
