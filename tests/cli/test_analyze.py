"""``logsum analyze``: tables, --json, options, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from logsum.cli import app

_BIN = Path(sys.executable).with_name("logsum")
_CMD = (
    [str(_BIN)] if _BIN.exists() else [sys.executable, "-c", "from logsum.cli import main; main()"]
)


def invoke(*args: str, stdin: bytes | None = None) -> Result:
    """``logsum analyze`` in this process."""
    import logsum.cli.analyze  # noqa: F401  (registers the command)

    return CliRunner().invoke(app, ["analyze", *args], input=stdin)


def as_json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout_bytes)  # type: ignore[no-any-return]


def _sample(tmp_path: Path) -> Path:
    lines = []
    for i in range(600):
        m, s = divmod(i, 10)
        lines.append(f"2024-03-01 10:{m:02d}:{s * 6:02d} INFO request {i} served in {i % 50} ms")
        if i % 7 == 0:
            lines.append(
                f"2024-03-01 10:{m:02d}:{s * 6:02d} ERROR Failed password for admin from "
                f"10.0.0.{i % 3} port 22"
            )
    path = tmp_path / "app.log"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_json_has_patterns_anomalies_and_insights(tmp_path: Path) -> None:
    doc = as_json(invoke("--json", str(_sample(tmp_path))))
    assert set(doc) >= {"lines", "patterns", "anomalies", "insights", "session_key", "options"}
    assert doc["lines"] == 686
    counts = [p["count"] for p in doc["patterns"]]
    assert counts == sorted(counts, reverse=True)
    assert sum(counts) == 686
    assert {"id", "template", "count", "severity"} <= set(doc["patterns"][0])
    security = [i for i in doc["insights"] if i["type"] == "security"]
    assert security and security[0]["evidence"]["top_sources"][0]["count"] == 29


def test_tables_show_patterns_then_anomalies_then_insights(tmp_path: Path) -> None:
    out = invoke("--format", "table", str(_sample(tmp_path)))
    assert out.exit_code == 0
    text = out.stdout
    assert text.index("Patterns") < text.index("Anomalies") < text.index("Insights")
    assert "request <*> served in <*> ms" in text


def test_stdin_and_no_detect(tmp_path: Path) -> None:
    data = _sample(tmp_path).read_bytes()
    doc = as_json(invoke("--json", "--no-detect", "-", stdin=data))
    assert doc["lines"] == 686
    assert doc["anomalies"] == [] and doc["insights"] == []
    assert doc["patterns"]


def test_session_key_and_bucket_seconds_are_used(tmp_path: Path) -> None:
    doc = as_json(
        invoke(
            "--json",
            "--session-key",
            r"request (\d+)",
            "--bucket-seconds",
            "60",
            str(_sample(tmp_path)),
        )
    )
    assert doc["session_key"] == r"request (\d+)"
    assert doc["options"]["bucket_seconds"] == 60


def test_bad_options_and_files_exit_2_with_a_message(tmp_path: Path) -> None:
    bad = invoke("--session-key", "(", str(_sample(tmp_path)))
    assert bad.exit_code == 2
    assert "session_key" in bad.stderr
    missing = invoke(str(tmp_path / "nope.log"))
    assert missing.exit_code == 2
    assert "no such file" in missing.stderr
    zero = invoke("--bucket-seconds", "0", str(_sample(tmp_path)))
    assert zero.exit_code == 2


def test_binary_garbage_does_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "junk.log"
    path.write_bytes(b"\xff\xfe\x00\x01garbage\n" * 200 + b"x" * 200_000 + b"\n")
    assert invoke("--json", str(path)).exit_code == 0


def test_real_process_on_openssh(loghub: Path) -> None:
    path = loghub / "OpenSSH" / "OpenSSH_2k.log"
    proc = subprocess.run(
        [*_CMD, "analyze", "--json", str(path)], capture_output=True, timeout=120, check=True
    )
    doc = orjson.loads(proc.stdout)
    assert doc["insights"][0]["type"] == "security"
    assert doc["insights"][0]["evidence"]["top_sources"][0] == {
        "address": "183.62.140.253",
        "count": 582,
    }


def test_same_report_in_processes_with_different_hash_seeds(loghub: Path) -> None:
    import os

    path = loghub / "Zookeeper" / "Zookeeper_2k.log"
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [*_CMD, "analyze", "--json", str(path)],
            capture_output=True,
            timeout=120,
            check=True,
            env=env,
        )
        outs.append(orjson.loads(proc.stdout))
    assert outs[0]["anomalies"] == outs[1]["anomalies"]
    assert outs[0]["insights"] == outs[1]["insights"]


def test_a_backtracking_session_key_exits_2_with_a_message(tmp_path: Path) -> None:
    """Refused while it runs (its time budget is used up), not by a traceback or a hang."""
    log = tmp_path / "a.log"
    log.write_text(("a" * 40 + "!\n") * 5)
    result = invoke("--session-key", "(a|a)*$", str(log))
    assert result.exit_code == 2
    assert "session_key" in result.stderr and "backtracks" in result.stderr


def test_json_insights_count_records_as_the_patterns_do(tmp_path: Path) -> None:
    """Stack-trace lines belong to their record: an insight's numbers are the patterns'."""
    lines = []
    for i in range(300):
        ts = f"2026-03-02 10:{i // 60:02d}:{i % 60:02d}"
        lines.append(f"{ts} INFO [exec-{i % 4}] GET /orders/{i} took {i % 90 + 3} ms")
        if i % 4 == 0:
            lines.append(f"{ts} ERROR [db] query {i} failed")
            lines.append("java.sql.SQLException: deadlock detected")
            lines.append("\tat com.example.Repo.save(Repo.java:17)")
            lines.append("\t... 9 more")
    path = tmp_path / "app.log"
    path.write_text("\n".join(lines) + "\n")
    doc = as_json(invoke("--json", str(path)))
    count = {p["id"]: p["count"] for p in doc["patterns"]}
    errors = sum(p["count"] for p in doc["patterns"] if p["severity"] == "error")
    assert doc["lines"] == 600  # lines read
    assert sum(count.values()) == errors + 300 == 375  # records
    evidence = [i["evidence"] for i in doc["insights"]]
    reliability = next(e for e in evidence if "error_lines_total" in e)
    assert reliability["error_lines_total"] == errors
    assert reliability["error_lines"] == count[reliability["pattern_id"]]
    volume = next(i["evidence"] for i in doc["insights"] if i["type"] == "volume")
    assert volume["count"] == count[volume["pattern_id"]]
    assert volume["lines"] == 375
    for anomaly in doc["anomalies"]:
        if len(anomaly["pattern_ids"]) == 1:
            assert anomaly["line_count"] <= count[anomaly["pattern_ids"][0]]


_ZONED = (
    "2026-01-15 10:00:00 INFO job 1 done\n"
    "2026-07-15 10:00:00 INFO job 2 done\n"
    "2026-07-15T10:00:00+03:00 INFO job 3 done\n"
)


def test_timezone_reads_zone_less_times_and_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "zoned.log"
    path.write_text(_ZONED)
    default = as_json(invoke("--json", "--no-detect", str(path)))
    assert default["options"]["timezone"] == "UTC"
    assert default["patterns"][0]["first_seen"] == "2026-01-15T10:00:00Z"
    tokyo = as_json(invoke("--json", "--no-detect", "--timezone", "Asia/Tokyo", str(path)))
    assert tokyo["options"]["timezone"] == "Asia/Tokyo"
    # 10:00 in Tokyo is 01:00 UTC; the line with its own offset keeps it (07:00 UTC).
    assert tokyo["patterns"][0]["first_seen"] == "2026-01-15T01:00:00Z"
    assert tokyo["patterns"][0]["last_seen"] == "2026-07-15T07:00:00Z"
    tables = invoke("--timezone", "Asia/Tokyo", str(path))
    assert tables.exit_code == 0
    assert "Timestamps without a zone read as Asia/Tokyo" in tables.stdout


def test_unknown_timezone_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "zoned.log"
    path.write_text(_ZONED)
    bad = invoke("--timezone", "Mars/Olympus", str(path))
    assert bad.exit_code == 2
    assert "unknown time zone 'Mars/Olympus'" in bad.stderr


_LONG = (
    "2024-03-01 10:00:{s:02d} WARN replication lag on shard {i} of the orders cluster exceeds "
    "the configured threshold, consider adding replicas or moving hot partitions elsewhere"
)
_LONG_TEMPLATE = (
    "replication lag on shard <*> of the orders cluster exceeds the configured threshold, "
    "consider adding replicas or moving hot partitions elsewhere"
)


def test_piped_output_is_plain_rows_that_are_never_wrapped(tmp_path: Path) -> None:
    path = tmp_path / "lag.log"
    path.write_text("".join(_LONG.format(s=i, i=i) + "\n" for i in range(40)))
    proc = subprocess.run([*_CMD, "analyze", str(path)], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    row = next(line for line in lines if line.endswith(_LONG_TEMPLATE))
    count, severity, _id, template = row.split("\t")
    assert (count, severity, template) == ("40", "warning", _LONG_TEMPLATE)
    assert lines[0] == "# Patterns (1 from 40 lines)"
    assert not any(c in proc.stdout.decode() for c in "\x1b┃│━")


def test_format_option_and_json_alias(tmp_path: Path) -> None:
    path = str(_sample(tmp_path))
    table = invoke("--format", "table", path)
    assert table.exit_code == 0 and "┃" in table.stdout
    plain = invoke("--format", "plain", path)
    assert plain.exit_code == 0 and "\trequest <*> served in <*> ms\n" in plain.stdout
    assert as_json(invoke("--format", "json", path)) == as_json(invoke("--json", path))
    both = invoke("--json", "--format", "plain", path)
    assert both.exit_code == 2
    assert "--json and --format plain disagree" in both.stderr


@pytest.mark.parametrize("args", [[], ["--format", "table"], ["--format", "plain"], ["--json"]])
def test_a_reader_that_goes_away_ends_quietly(tmp_path: Path, args: list[str]) -> None:
    proc = subprocess.Popen(
        [*_CMD, "analyze", *args, str(_sample(tmp_path))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head -1` that has already had its line
    assert proc.wait(timeout=120) == 0
    assert proc.stderr.read() == b""
    proc.stderr.close()


def test_plain_writes_control_characters_as_escapes() -> None:
    # A terminal escape inside a log line must not reach the reader's terminal (colour codes
    # are not kept at all; others, such as a window title, are written escaped), and a row
    # stays one line with four fields.
    line = b"alert \x1b]0;owned\x07red \x1b[31mand\x1b[0m more\n"
    out = invoke("--format", "plain", "--no-detect", "-", stdin=line)
    assert out.exit_code == 0
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout
    row = out.stdout.splitlines()[2].split("\t")
    assert len(row) == 4 and row[3].startswith("alert \\x1b]")
    assert row[3].endswith("\\x07red and more")


HDFS = Path(__file__).resolve().parents[1] / "data" / "hdfs_sessions"


def test_baseline_learns_from_good_logs_and_judges_only_the_file() -> None:
    good, judged = str(HDFS / "baseline.log"), str(HDFS / "judged.log")
    plain = as_json(invoke("--json", "--session-key", r"blk_-?\d+", judged))
    doc = as_json(invoke("--json", "--session-key", r"blk_-?\d+", "--baseline", good, judged))
    assert doc["baseline"]["lines"] == len((HDFS / "baseline.log").read_bytes().splitlines())
    assert doc["baseline"]["sessions"] == 150
    assert doc["baseline"]["steady_patterns"] > 0  # HDFS lines have timestamps
    assert doc["options"]["baseline"] == [good]
    # Only the judged file's lines are counted in the patterns shown.
    assert doc["lines"] == plain["lines"]
    assert sum(p["count"] for p in doc["patterns"]) == doc["lines"]
    # Patterns the good logs had are not new; the ones they lacked are.
    new = {a["pattern_ids"][0] for a in doc["anomalies"] if a["type"] == "new_pattern"}
    templates = {p["id"]: p["template"] for p in doc["patterns"]}
    assert new and all("Receiving block" not in templates[p] for p in new)
    assert any("Unexpected error trying to delete block" in templates[p] for p in new)
    # Every odd block is reported, against the good logs' sessions.
    flagged = {
        s for a in doc["anomalies"] if a["type"] == "session" for s in a["evidence"]["sessions"]
    }
    labels = (HDFS / "judged_labels.csv").read_text("utf-8").splitlines()[1:]
    assert flagged == {row.split(",")[0] for row in labels if row.endswith(",1")}


def test_a_bad_baseline_exits_2_with_a_message(tmp_path: Path) -> None:
    log = _sample(tmp_path)
    missing = invoke("--baseline", str(tmp_path / "nope.log"), str(log))
    assert missing.exit_code == 2 and "nope.log" in missing.output
    stdin = invoke("--baseline", "-", str(log))
    assert stdin.exit_code == 2 and "standard input" in stdin.output


def test_a_baseline_without_timestamps_or_lines_learns_no_rates_and_judges(tmp_path: Path) -> None:
    judged = tmp_path / "judged.log"
    judged.write_text(
        "".join(
            f"2026-03-02 10:{m:02d}:{s:02d} INFO GET /api/{m} 200\n"
            for m in range(60)
            for s in (0, 30)
        ),
        "utf-8",
    )
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    bare = tmp_path / "bare.log"
    bare.write_text("".join(f"GET /api/{n} 200\nheartbeat ok\n" for n in range(100)), "utf-8")
    for good in (empty, bare):
        doc = as_json(invoke("--json", "--baseline", str(good), str(judged)))
        assert doc["baseline"]["steady_patterns"] == 0, good
        assert doc["lines"] == 120
        # The heartbeat the bare baseline had every other line is not missed: it has no rate.
        assert not [a for a in doc["anomalies"] if a["evidence"].get("compared_with")]
