"""``logsum parse`` and ``logsum analyze`` on real logs of this machine's own programs
(``tests/data/machine``, see its README): what issue 15's user trial found wrong, checked on
the very kind of lines that showed it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from typer.testing import CliRunner

from logsum.cli import app

MACHINE = Path(__file__).resolve().parents[1] / "data" / "machine"

# PostgreSQL's level words and what each says; the others (LOG, STATEMENT, DETAIL, CONTEXT)
# are no level, and their lines here say nothing worse than info.
_PG_SEVERITY = {"ERROR": "error", "FATAL": "critical", "WARNING": "warning"}
_PG_LINE = re.compile(r"^(\S+ \S+) UTC \[\d+\] ([A-Z]+):  \S")


def _run(command: str, *args: str) -> str:
    import logsum.cli.analyze  # noqa: F401  (registers the command)

    result = CliRunner().invoke(app, [command, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def parse(path: Path, *args: str) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in _run("parse", *args, str(path)).splitlines()]


def analyze(path: Path, *args: str) -> dict[str, Any]:
    return orjson.loads(_run("analyze", "--json", *args, str(path)))  # type: ignore[no-any-return]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_postgres_error_and_fatal_lines_keep_their_severity_after_log_lines() -> None:
    """The server's LOG lines come first; the ERROR and FATAL lines after them are still
    error and critical (a learned layout once read them as info), with their own time."""
    path = MACHINE / "postgresql-15.log"
    lines = path.read_text(encoding="utf-8").splitlines()
    out = parse(path)
    assert len(out) == len(lines) == 50
    levels = []
    for text, obj in zip(lines, out, strict=True):
        m = _PG_LINE.match(text)
        assert m, text
        stamp, word = m.groups()
        levels.append(word)
        assert obj["severity"] == _PG_SEVERITY.get(word, "info"), text
        assert obj["timestamp"] == _utc(stamp).isoformat(), text
        assert "UTC [" not in obj["template"] and f"{word}:" not in obj["template"], text
        assert not obj["continuation"], text
    assert levels.index("ERROR") > levels.index("LOG")  # the order the trial had
    assert levels.count("ERROR") == 8 and levels.count("FATAL") == 6
    # RAISE WARNING 'disk 91% full' and 'disk 85% full': one pattern
    disk = [o for t, o in zip(lines, out, strict=True) if "% full" in t]
    assert len(disk) == 2 and {o["template"] for o in disk} == {"disk <*> full"}
    assert {o["pattern_id"] for o in disk} == {disk[0]["pattern_id"]}


def test_postgres_analyze_counts_errors_as_its_patterns_do() -> None:
    doc = analyze(MACHINE / "postgresql-15.log")
    by_severity: dict[str, int] = {}
    for p in doc["patterns"]:
        by_severity[p["severity"]] = by_severity.get(p["severity"], 0) + p["count"]
    assert by_severity["error"] == 8 and by_severity["critical"] == 6
    assert by_severity["warning"] == 2
    reliability = [i for i in doc["insights"] if i["type"] == "reliability"]
    assert reliability and reliability[0]["evidence"]["error_lines_total"] == 14
    assert reliability[0]["message"].startswith("14 error lines")


def test_apt_history_dates_with_two_spaces_keep_their_time() -> None:
    path = MACHINE / "apt-history.log"
    lines = path.read_text(encoding="utf-8").splitlines()
    dated = 0
    for text, obj in zip(lines, parse(path), strict=True):
        label, _, when = text.partition(": ")
        if label in ("Start-Date", "End-Date"):
            dated += 1
            assert obj["template"] == f"{label}:", text
            want = datetime.strptime(when, "%Y-%m-%d  %H:%M:%S").replace(tzinfo=UTC)
            assert obj["timestamp"] == want.isoformat(), text
    assert dated == 8


def test_update_alternatives_times_and_a_file_named_abort() -> None:
    path = MACHINE / "alternatives.log"
    lines = path.read_text(encoding="utf-8").splitlines()
    out = parse(path)
    for text, obj in zip(lines, out, strict=True):
        stamp = text.split(" ", 1)[1][:19]
        assert obj["timestamp"] == _utc(stamp).isoformat(), text
        assert obj["severity"] == "info", text  # ABORT.7.gz is a file name, not a word
    assert "ABORT.7.gz" in lines[-1]
    assert out[0]["template"].startswith("run with --quiet --install")
    assert out[1]["template"] == "link group <*> updated to point to <*>"


def test_logsums_own_log_reads_back() -> None:
    """``logsum serve``'s stderr: uvicorn's lines and LogSum's JSON access lines, each with its
    time, the access lines one pattern that keeps the request's fields."""
    path = MACHINE / "logsum-serve.log"
    lines = path.read_text(encoding="utf-8").splitlines()
    out = parse(path)
    access = [(orjson.loads(t), o) for t, o in zip(lines, out, strict=True) if t[:1] == "{"]
    assert len(access) == 8
    assert {o["pattern_id"] for _, o in access} == {access[0][1]["pattern_id"]}
    assert access[0][1]["template"].startswith("request request_id=<*> status=<*> method=<*>")
    for record, obj in access:
        want = datetime.fromisoformat(record["time"].replace("Z", "+00:00"))
        assert datetime.fromisoformat(obj["timestamp"]) == want
        assert str(record["status"]) in obj["params"]
    started = next(o for t, o in zip(lines, out, strict=True) if "Started server" in t)
    assert started["template"] == "Started server process [<*>]"
    assert started["timestamp"] == "2026-12-07T23:38:50.161000+00:00"


def test_pip_traceback_is_one_record_and_counts_agree() -> None:
    """pip's --log: its traceback's lines continue the 'Exception information:' record, and
    every count analyze shows sums the records, not the lines."""
    path = MACHINE / "pip-install.log"
    out = parse(path)
    cont = [o for o in out if o["continuation"]]
    assert len(cont) == 38
    assert {o["template"] for o in cont} == {"Exception information:"}
    by_word = {o["template"]: o["severity"] for o in out}
    assert by_word["Location '<*>' is ignored: it is neither a file nor a directory."] == "warning"
    assert by_word["No matching distribution found for nosuchpkg-zzz-trial"] == "error"
    doc = analyze(path)
    assert doc["lines"] == len(out)
    assert sum(p["count"] for p in doc["patterns"]) == len(out) - len(cont)
    plain = _run("analyze", "--format", "plain", str(path)).splitlines()
    # the title says why the counts add up to fewer than the file's lines
    assert plain[0] == (
        f"# Patterns ({len(doc['patterns'])} from {len(out)} lines; "
        f"{len(cont)} continuation lines count with the line they continue)"
    )
    errors = sum(p["count"] for p in doc["patterns"] if p["severity"] in ("error", "critical"))
    reliability = [i for i in doc["insights"] if i["type"] == "reliability"]
    assert reliability and reliability[0]["evidence"]["error_lines_total"] == errors == 4


def test_timezone_moves_zone_less_times_only_and_is_said() -> None:
    """apt writes local times without a zone; PostgreSQL writes 'UTC'. --timezone moves the
    first and not the second, and analyze says which zone it read."""
    apt = MACHINE / "apt-history.log"
    utc = [o["timestamp"] for o in parse(apt)]
    kolkata = [o["timestamp"] for o in parse(apt, "--timezone", "Asia/Kolkata")]
    moved = [
        (datetime.fromisoformat(a) - datetime.fromisoformat(b))
        for a, b in zip(utc, kolkata, strict=True)
        if a
    ]
    assert moved and set(moved) == {timedelta(hours=5, minutes=30)}
    pg = MACHINE / "postgresql-15.log"
    assert parse(pg, "--timezone", "Asia/Kolkata") == parse(pg)
    doc = analyze(apt, "--timezone", "Asia/Kolkata")
    assert doc["options"]["timezone"] == "Asia/Kolkata"
    plain = _run("analyze", "--format", "plain", "--timezone", "Asia/Kolkata", str(apt))
    assert plain.rstrip().splitlines()[-1] == (
        "# Timestamps without a zone read as Asia/Kolkata; times in UTC."
    )


_SYSLOG_SEVERITY = {
    "debug": "debug",
    "info": "info",
    "notice": "info",
    "warning": "warning",
    "err": "error",
    "crit": "critical",
}


def test_syslog_templates_with_the_level_after_the_host() -> None:
    """syslog-ng writing '${ISODATE} ${HOST} ${LEVEL} ${PROGRAM}[${PID}]:' and
    '... ${FACILITY}.${LEVEL} ${MSGHDR}': the level word is the line's severity, and host,
    level and program stay out of the template (they were all in it, every line info)."""
    for name in ("syslog-ng-level.log", "syslog-ng-facility-level.log"):
        path = MACHINE / name
        lines = path.read_text(encoding="utf-8").splitlines()
        for text, obj in zip(lines, parse(path), strict=True):
            level = text.split()[2].rpartition(".")[2]
            assert obj["severity"] == _SYSLOG_SEVERITY[level], text
            message = text.split(": ", 1)[1]
            assert obj["template"].split()[0] == message.split()[0], text
            assert obj["timestamp"] == datetime.fromisoformat(text.split()[0]).isoformat()


def test_insights_never_name_an_empty_template() -> None:
    """java.util.logging's head lines ('<date> <time> PM App main') and Maven's bare '[ERROR]'
    lines have empty templates: no insight offers one as the pattern to sample or to fix."""
    jul = analyze(MACHINE / "java-util-logging.log")
    assert any(p["template"] == "" for p in jul["patterns"])  # the head lines, half the lines
    volume = [i for i in jul["insights"] if i["type"] == "volume"]
    assert volume and volume[0]["evidence"]["template"] == "order <*> accepted"
    for name in ("java-util-logging.log", "maven-no-pom.log"):
        doc = analyze(MACHINE / name)
        for insight in doc["insights"]:
            assert "''" not in insight["message"], insight
            assert insight["evidence"].get("template", "x").strip(), insight
    plain = _run("analyze", "--format", "plain", str(MACHINE / "maven-no-pom.log"))
    assert plain.splitlines()[0].endswith(
        "; 1 continuation line counts with the line it continues)"
    )
    assert "[INFO]" not in plain and "\\x1b" not in plain  # colour codes are not the text


def test_redis_level_marks() -> None:
    """redis-server 7's own log ('pid:role date time MARK message'): '#' warning, '*' notice,
    '-' verbose, each line timed, the 'pid:role' prefix not in any template."""
    path = MACHINE / "redis-7.log"
    lines = path.read_text(encoding="utf-8").splitlines()
    marks = {"#": "warning", "*": "info", "-": "debug"}
    for text, obj in zip(lines, parse(path), strict=True):
        pid_role, day, _month, year, clock, mark = text.split(" ", 6)[:6]
        assert obj["severity"] == marks[mark], text
        assert obj["timestamp"].startswith(f"{year}-12-{day}T{clock}"), text
        assert pid_role not in obj["template"] and not obj["template"].startswith(mark), text
