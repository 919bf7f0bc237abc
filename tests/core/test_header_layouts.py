"""Header detection on the layouts of common logging libraries and servers, alone and
interleaved: a line gets the same header and message whatever lines came before it.

``golden/headers.jsonl`` holds one line per convention (written by us after each library's or
server's documented default format) with its expected message, level, component and
timestamp (year-less lines are read with ``default_year=2026``)."""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from logsum import Engine
from logsum.core.config import EngineConfig
from logsum.core.layouts import HeaderDetector
from logsum.core.model import Severity

GOLDEN = Path(__file__).parent / "golden" / "headers.jsonl"
CASES = [json.loads(x) for x in GOLDEN.read_text(encoding="utf-8").splitlines() if x.strip()]


def _engine() -> Engine:
    return Engine(EngineConfig(default_year=2026))


def _seen(engine: Engine, line: str) -> dict[str, Any]:
    r = engine.process(line)
    return {
        "line": line,
        "message": r.message,
        "level": r.header.level,
        "component": r.header.component,
        "timestamp": r.timestamp.isoformat() if r.timestamp else None,
    }


@pytest.mark.parametrize("case", CASES, ids=[c["line"][:40] for c in CASES])
def test_each_layout_alone(case: dict[str, Any]) -> None:
    assert _seen(_engine(), case["line"]) == case


def test_interleaved_sources_keep_their_own_layouts() -> None:
    """Every line, repeated and shuffled with the others into one engine, is split as it is
    alone: a layout learned from one source never takes over the lines of another."""
    rng = random.Random(7)
    for _ in range(10):
        stream = [c for c in CASES for _ in range(3)]
        rng.shuffle(stream)
        engine = _engine()
        for case in stream:
            assert _seen(engine, case["line"]) == case


POSTGRES = [
    ("2026-03-02 10:00:00.101 UTC [16291] LOG:  database system is ready", "INFO"),
    ('2026-03-02 10:00:01.202 UTC [16292] ERROR:  relation "foo" does not exist', "ERROR"),
    ("2026-03-02 10:00:01.203 UTC [16292] STATEMENT:  select * from foo;", None),
    ("2026-03-02 10:00:02.304 UTC [16293] FATAL:  password authentication failed", "CRITICAL"),
    ("2026-03-02 10:00:02.305 UTC [16293] DETAIL:  Connection matched pg_hba.conf line 99", None),
    (
        "2026-03-02 10:00:03.406 UTC [16294] WARNING:  there is no transaction in progress",
        "WARNING",
    ),
    ("2026-03-02 10:00:04.507 UTC [16291] LOG:  checkpoint starting: time", "INFO"),
]


def test_a_learned_layout_never_overrules_the_level_a_line_states() -> None:
    engine = _engine()
    for line, level in POSTGRES:
        r = engine.process(line)
        assert r.header.level == level, line
        assert r.message == line.split(":  ", 1)[1]
        assert isinstance(r.timestamp, datetime)
    fatal = _engine()
    for line, _ in POSTGRES:
        last = fatal.process(line)
        if "FATAL" in line:
            assert last.severity is Severity.CRITICAL


MACHINE = Path(__file__).parents[1] / "data" / "machine"


def test_a_count_after_the_time_is_the_messages_first_word() -> None:
    """pip's --log (this machine's, tests/data/machine): '<time> 1 location(s) to search ...'
    keeps its count, alone and after the file's other lines; a number followed by a level or
    a logger and a level is still the process id."""
    lines = (MACHINE / "pip-install.log").read_text(encoding="utf-8").splitlines()
    counted = next(ln for ln in lines if " location(s) to search" in ln)
    want = counted.split(" ", 1)[1]
    assert _engine().process(counted).message == want
    engine = _engine()
    by_line = {ln: engine.process(ln) for ln in lines}
    assert by_line[counted].message == want
    assert by_line[counted].header.pid is None
    for line, pid, message in [
        ("2026-03-02 10:00:00,123 4821 INFO worker ready", "4821", "worker ready"),
        ("2026-03-02 10:00:00,123 4821 app.db WARNING pool low", "4821", "pool low"),
        ("2026-03-02 10:00:00,123 3 workers started", None, "3 workers started"),
    ]:
        r = _engine().process(line)
        assert (r.header.pid, r.message) == (pid, message), line


@pytest.mark.parametrize(
    ("line", "host", "level", "component", "message"),
    [
        (
            "2026-03-02T10:00:00+00:00 web1 crit backup[42]: job failed",
            "web1",
            "CRITICAL",
            "backup",
            "job failed",
        ),
        (
            "2026-03-02T10:00:00+00:00 vm debug backup[42]: job done",
            "vm",
            "DEBUG",
            "backup",
            "job done",
        ),
        ("Mar  2 10:00:00 web1 local0.err app[77]: disk full", "web1", "ERROR", "app", "disk full"),
        (
            "2026-03-02T10:00:00+00:00 vm user.info kernel: Linux version 6.1.0",
            "vm",
            "INFO",
            "kernel",
            "Linux version 6.1.0",
        ),
        (
            "2026-03-02T10:00:00+00:00 vm info kernel[]: Linux version 6.1.0",
            "vm",
            "INFO",
            "kernel",
            "Linux version 6.1.0",
        ),
        # a message that only looks like it: no pid, no facility, no host-like name
        (
            "2026-03-02 10:00:00 sending alert email: to=ops",
            None,
            None,
            None,
            "sending alert email: to=ops",
        ),
    ],
)
def test_a_syslog_level_between_host_and_program(
    line: str, host: str | None, level: str | None, component: str | None, message: str
) -> None:
    r = _engine().process(line)
    assert (r.header.host, r.header.level, r.header.component, r.message) == (
        host,
        level,
        component,
        message,
    )


DOC = Path(__file__).parents[2] / "docs" / "HEADERS.md"


def _doc_examples() -> list[tuple[str, str]]:
    """(line, message) of every row of docs/HEADERS.md's table whose message is quoted."""
    out = []
    for row in DOC.read_text(encoding="utf-8").splitlines():
        cells = row.split(" | ")
        if len(cells) < 3 or not cells[1].startswith("`"):
            continue
        want = cells[2].strip().rstrip("|").strip()
        if want.startswith("`"):
            out.append((cells[1].strip("`").replace("\\|", "|"), want.split("`")[1]))
    return out


def test_the_documented_examples_split_as_documented() -> None:
    examples = _doc_examples()
    assert len(examples) >= 50
    for line, message in examples:
        assert _engine().process(line).message == message, line


# A 24-hour log (written by us) whose messages sometimes open with "PM" or "AM": the word is
# the message's, and the time is not moved by twelve hours.
CLOCK24 = [
    ("2026-03-02 09:59:58 Heartbeat from scheduler: 4 jobs queued", "09:59:58"),
    ("2026-03-02 09:59:59 kernel wake: reason RTC alarm", "09:59:59"),
    ("2026-03-02 10:00:07 PM response took 1999 ms (54, powerd)", "10:00:07"),
    ("2026-03-02 13:00:08 Heartbeat from scheduler: 5 jobs queued", "13:00:08"),
    ("2026-03-02 00:00:09 PM response took 12 ms (54, powerd)", "00:00:09"),
    ("2026-03-02 11:00:10 AM readiness check passed for 3 interfaces", "11:00:10"),
    ("2026-03-02 11:00:11 PM response took 31 ms (97, coreaudiod)", "11:00:11"),
]
# 12-hour logs (java.util.logging's default two-line record, and a Windows-style date): every
# header carries its half of the day, which stays the half of the day.
CLOCK12 = [
    ("Mar 2, 2026 10:15:03 PM org.apache.catalina.startup.Catalina start", "22:15:03"),
    ("INFO: Server startup in 1523 ms", None),
    ("Mar 2, 2026 10:15:04 PM org.apache.coyote.AbstractProtocol start", "22:15:04"),
    ("INFO: Starting ProtocolHandler [http-nio-8080]", None),
    ("Mar 2, 2026 11:02:00 AM org.apache.catalina.core.StandardContext reload", "11:02:00"),
    ("03/02/2026 10:15:03 PM INFO Service started", "22:15:03"),
    ("03/02/2026 12:01:00 AM WARN Disk C: 91% full", "00:01:00"),
    ("03/02/2026 1:05:09 PM ERROR Backup job failed", "13:05:09"),
]


def _times(lines: list[str], repeat: int = 3) -> list[tuple[str | None, str]]:
    engine = _engine()
    out = []
    for _ in range(repeat):  # again: the learned layouts and the shape cache read them too
        for line in lines:
            r = engine.process(line)
            out.append((r.timestamp.strftime("%H:%M:%S") if r.timestamp else None, r.message))
    return out


def test_am_or_pm_opening_a_message_of_a_24_hour_log_is_a_word() -> None:
    seen = _times([line for line, _ in CLOCK24])
    for (line, want), (got, message) in zip(CLOCK24 * 3, seen, strict=True):
        assert got == want, line
        assert message == line[20:], line  # the "PM"/"AM" stays in the message


def test_a_12_hour_log_keeps_its_half_of_the_day() -> None:
    seen = _times([line for line, _ in CLOCK12])
    for (line, want), (got, message) in zip(CLOCK12 * 3, seen, strict=True):
        if want is not None:
            assert got == want, line
            assert not message.startswith(("AM", "PM")), line


def test_bracketed_12_hour_times_count_as_marked_for_the_unbracketed_ones() -> None:
    # A source whose times are bracketed with their marker, then one line without brackets:
    # the bracketed ones said the source keeps a 12-hour clock (they were counted as unmarked,
    # and the last line was read at 10:16 with 'PM' in its message).
    lines = [f"[03/02/2026 10:15:0{n} PM] INFO job {n} done" for n in range(5)]
    seen = _times([*lines, "03/02/2026 10:16:00 PM backup finished"], repeat=1)
    assert [t for t, _ in seen] == [f"22:15:0{n}" for n in range(5)] + ["22:16:00"]
    assert seen[-1][1] == "backup finished"


def test_a_layout_of_time_colon_message_leaves_a_neighbours_uptime_field_to_the_scanner() -> None:
    # One source writes "<time>: message"; another, interleaved, "<time>: <uptime>: message"
    # (a JVM GC log). The first source's layout must not take the second's lines whole: their
    # uptime field stayed in the message whenever the first source had been seen before.
    engine = _engine()
    engine.process("2026-03-02 10:05:12.221+0000: shutting down, reason=shutdown")
    line = "2026-03-02T10:00:21.569+0000: 21.665: [Full GC (Ergonomics) 0.0912245 secs]"
    assert engine.process(line).message == "[Full GC (Ergonomics) 0.0912245 secs]"
    assert _engine().process(line).message == "[Full GC (Ergonomics) 0.0912245 secs]"


@pytest.mark.parametrize(
    ("first", "second", "pid", "component"),
    [
        # pino-pretty and HAProxy: the process in parentheses after the level
        (
            "[1772445600000] INFO (4211 on web-1): server listening",
            "[1772445601000] WARN (4377 on web-1): slow response from payments",
            "4377",
            None,
        ),
        (
            "[NOTICE]   (1) : haproxy version is 2.8.3",
            "[WARNING]  (8) : Server api/web2 is DOWN",
            "8",
            None,
        ),
        # Monolog: a channel with its level glued behind a dot
        (
            "[2026-03-02T10:00:00.123456+00:00] app.INFO: User logged in",
            "[2026-03-02T10:00:01.000000+00:00] security.NOTICE: Authentication failure",
            None,
            "security",
        ),
    ],
)
def test_a_layout_reads_the_fields_the_scanner_read(
    first: str, second: str, pid: str | None, component: str | None
) -> None:
    # The second line is read by the layout the first one taught (no scan): it must give the
    # same header as a fresh engine, which scans it.
    engine = _engine()
    engine.process(first)
    replayed = engine.process(second)
    # one layout: the one learned applied (a layout that does not apply is learned again)
    assert sum(map(len, engine._headers._by_lead.values())) == 1
    scanned = _engine().process(second)
    assert replayed.header == scanned.header
    assert (replayed.header.pid, replayed.header.component) == (pid, component)


# Lines whose layout does not read them again yet, so that their source is scanned on every
# line (a cost in speed only; the results are the scanner's): the probe for more header, or a
# field kind, does not follow the scanner there. Any other line whose layout stops applying to
# it is a regression.
_SCANNED_EVERY_TIME = frozenset(
    {
        "2026-03-02 10:00:00 +0000 [warn]: #0 [in",
        "1711111111.123    123 10.0.0.1 TCP_MISS/",
        "1772445600.123    195 10.0.0.41 TCP_MISS",
        "10:00:00,123 INFO  [org.jboss.as] (MSC s",
        "000112: *Mar  2 10:00:00.118 UTC: %OSPF-",
        "Mar  2 10:00:00 fw01 %ASA-4-106023: Deny",
        "2026-03-02 10:00:00,123 fail2ban.actions",
        "2026-03-02 10:00:00,456 fail2ban.filter ",
        "[02-Mar-2026 10:00:15 UTC] PHP Fatal err",
        "[02-Mar-2026 10:00:16 UTC] PHP Parse err",
        "02-Mar-2026 10:00:40.771 resolver: debug",
    }
)


@pytest.mark.parametrize("case", CASES, ids=[c["line"][:40] for c in CASES])
def test_the_layout_a_line_teaches_reads_that_line_again_alike(case: dict[str, Any]) -> None:
    # A layout that does not apply to the very line it came from is learned again on every
    # line of its source (a scan and a new layout each time), and one that applies must give
    # what the scanner gave.
    detector = HeaderDetector(2026)
    scanned = detector.split(case["line"])
    learned = sum(map(len, detector._by_lead.values()))
    again = detector.split(case["line"])
    assert again == scanned
    if learned and case["line"][:40] not in _SCANNED_EVERY_TIME:
        assert sum(map(len, detector._by_lead.values())) == learned


def test_a_level_with_its_colon_is_not_read_by_a_layout_learned_without_one() -> None:
    # One source writes "INFO name: message"; another, interleaved, writes "LOG:  message"
    # (PostgreSQL): the first source's layout must not take the second's first word as its
    # component ("duration:" belongs to the message, as it does when the line comes alone).
    line = "2026-03-02 10:00:02.456 UTC [4242] LOG:  duration: 5.10 ms  statement: SELECT 1"
    alone = _engine().process(line)
    engine = _engine()
    for k in (12, 13):
        engine.process(f"2026-03-02 10:00:0{k - 12}.123 [main] INFO Scheduler: job {k} done")
    mixed = engine.process(line)
    assert alone.message == "duration: 5.10 ms  statement: SELECT 1"
    assert (mixed.message, mixed.severity) == (alone.message, alone.severity)
