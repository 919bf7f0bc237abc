"""Multi-line records as real files hold them: a Java exception with its causes, a Python
traceback, a Go panic with blank lines and goroutine frames. Every line after a record's first
continues it (same pattern, severity and time, not counted), until the next header."""

from __future__ import annotations

from pathlib import Path

from logsum import Engine
from logsum.core.config import EngineConfig

LOG = Path(__file__).parent / "golden" / "records.log"

# (first line of a record, how many lines it has)
RECORDS = [
    ("2026-03-02 10:00:00,123 ERROR [main] com.example.Service - Request failed", 7),
    ("2026-03-02 10:00:01,456 INFO  [main] com.example.Service - Recovered", 1),
    ("2026-03-02 10:00:02,000 - app.worker - ERROR - Job crashed", 7),
    ("2026-03-02 10:00:03,000 - app.worker - INFO - Next job", 1),
    ("panic: runtime error: index out of range [5] with length 3", 5),
    ("exit status 2", 1),
    ("2026-03-02T10:00:04.000Z\tINFO\tapp/main.go:20\trestarted", 1),
]


def test_each_line_after_a_records_first_continues_it() -> None:
    engine = Engine(EngineConfig(default_year=2026))
    results = [engine.process(line) for line in LOG.read_text(encoding="utf-8").splitlines()]
    got = []
    for r, line in zip(results, LOG.read_text(encoding="utf-8").splitlines(), strict=True):
        if not r.continuation:
            got.append([line, 1, r])
        else:
            got[-1][1] += 1  # type: ignore[operator]
            first = got[-1][2]
            assert (r.pattern_id, r.severity, r.timestamp) == (
                first.pattern_id,  # type: ignore[union-attr]
                first.severity,  # type: ignore[union-attr]
                first.timestamp,  # type: ignore[union-attr]
            )
    assert [(line, n) for line, n, _ in got] == RECORDS
    patterns = {p.id: p.count for p in engine.patterns()}
    assert sum(patterns.values()) == len(RECORDS)  # continuation lines are not occurrences


def test_a_trace_whose_lines_each_carry_the_time_continues_its_record() -> None:
    """pip's --log writes its timestamp before every line of a traceback; the trace (indented
    frames, its blank and closing exception lines) is one record, twice over, and a line
    after it with the same time but no indentation is a record of its own."""
    trace = [
        "2026-03-02T10:00:00,464 Exception information:",
        "2026-03-02T10:00:00,464 Traceback (most recent call last):",
        '2026-03-02T10:00:00,464   File "/opt/app/resolution.py", line 434, in resolve',
        "2026-03-02T10:00:00,464     self._add_to_criteria(self.state.criteria, r, parent=None)",
        "2026-03-02T10:00:00,464                             ^^^^^^^^^^^^^^^^^",
        "2026-03-02T10:00:00,464 app.vendor.exceptions.RequirementsConflicted: conflict: x",
        "2026-03-02T10:00:00,464 ",
        "2026-03-02T10:00:00,464 The above exception was the direct cause of the following"
        " exception:",
        "2026-03-02T10:00:00,464 ",
        "2026-03-02T10:00:00,464 Traceback (most recent call last):",
        '2026-03-02T10:00:00,464   File "/opt/app/resolver.py", line 103, in resolve',
        "2026-03-02T10:00:00,464 app.exceptions.DistributionNotFound: No matching distribution",
    ]
    after = "2026-03-02T10:00:00,464 Removed build tracker: '/tmp/tracker-abc'"
    lines = [*trace, after, *trace, after, *trace, after]
    engine = Engine(EngineConfig(default_year=2026))
    results = [engine.process(line) for line in lines]
    assert [r.continuation for r in results] == [False, *[True] * 11, False] * 3
    assert len({r.pattern_id for r in results}) == 2
    assert sorted(p.count for p in engine.patterns()) == [3, 3]
    # The bulk call (``logsum parse``) replays known shapes on a path of its own: the same.
    bulk = Engine(EngineConfig(default_year=2026))
    compact = [bulk.process_compact(line) for line in lines]
    assert [c[5] for c in compact] == [r.continuation for r in results]
    assert sorted(p.count for p in bulk.patterns()) == [3, 3]


def test_a_labelled_line_with_the_same_time_is_a_record_of_its_own() -> None:
    """A database server writes two spaces after its labels; its STATEMENT line, in the same
    millisecond as the error, is not a trace line of that error."""
    lines = [
        '2026-03-02 10:00:00.650 UTC [4821] ERROR:  syntax error at or near "selec"',
        "2026-03-02 10:00:00.650 UTC [4821] STATEMENT:  selec 1",
        '2026-03-02 10:00:00.651 UTC [4821] shop@orders ERROR:  syntax error at or near "form"',
        "2026-03-02 10:00:00.651 UTC [4821] shop@orders STATEMENT:  select 1 form t",
    ]
    engine = Engine(EngineConfig(default_year=2026))
    results = [engine.process(line) for line in lines * 2]
    assert not any(r.continuation for r in results)
    assert [r.message for r in results[:2]] == ['syntax error at or near "selec"', "selec 1"]


def test_lines_padded_after_their_time_are_records_even_within_one_millisecond() -> None:
    """A proxy's access log right-aligns the elapsed time after the epoch time; on a busy
    proxy many lines share a millisecond. Padding is not a trace's indentation: every line is
    a record of its own (they were glued to the first as its continuation lines)."""
    lines = [
        f"1772445600.123 {elapsed:>6} 10.0.0.{n} TCP_MISS/200 {size} GET http://example.com/{n}"
        f" - HIER_DIRECT/10.1.0.{n} text/html"
        for n, (elapsed, size) in enumerate([(195, 8574), (11, 18), (2048, 730), (7, 512)] * 3)
    ]
    for bulk in (False, True):
        engine = Engine(EngineConfig(default_year=2026))
        if bulk:
            assert not any(engine.process_compact(line)[5] for line in lines)
        else:
            assert not any(engine.process(line).continuation for line in lines)
        assert sum(p.count for p in engine.patterns()) == len(lines)


def test_a_trace_behind_dropwizards_bang_prefix_continues_its_record() -> None:
    """Dropwizard's layout prefixes an exception's lines with "! ": they continue the record
    of the line that logged it and carry its time."""
    engine = Engine()
    head = engine.process(
        "ERROR [2026-03-02 10:00:00,123] io.example.Resource: Error handling a request: 9f2c"
    )
    for line in (
        "! java.lang.IllegalStateException: pool closed",
        "! at io.example.Pool.take(Pool.java:88)",
        "! at io.example.Resource.get(Resource.java:41)",
    ):
        r = engine.process(line)
        assert r.continuation
        assert r.timestamp == head.timestamp
    assert not engine.process("! not a trace line").continuation


def test_a_traceback_closes_with_an_exception_of_any_name() -> None:
    """A Python traceback's last line names the exception's class, which need not end in
    "Error" or "Exception": it still belongs to the record; the same text with no trace open
    is a line of its own."""
    engine = Engine()
    head = engine.process("2026-03-02 10:00:00.123 ERROR (MainThread) [app.setup] Setup failed")
    for line in (
        "Traceback (most recent call last):",
        '  File "/srv/app/setup.py", line 12, in run',
        "    bridge.connect()",
        "vendor.errors.BridgeBusy: Bridge is busy, too many requests",
    ):
        r = engine.process(line)
        assert r.continuation
        assert r.timestamp == head.timestamp
    engine.process("2026-03-02 10:00:01.000 INFO (MainThread) [app.setup] Retrying")
    assert not engine.process("vendor.errors.BridgeBusy: Bridge is busy").continuation


def test_a_command_line_logged_over_lines_ending_in_a_backslash_continues_its_record() -> None:
    """A program that logs the command it starts one argument per line, each ending with a
    shell-style " \\" (libvirt's guest logs), writes one record: the lines take its time."""
    engine = Engine()
    head = engine.process("2026-03-02 10:00:00.118+0000: starting up libvirt version: 9.0.0")
    for line in ("LC_ALL=C \\", "/usr/bin/qemu-system-x86_64 \\", "-name guest=web01 \\"):
        r = engine.process(line)
        assert r.continuation
        assert r.timestamp == head.timestamp
    assert not engine.process("a line of its own").continuation


def test_a_data_structure_printed_over_lines_continues_the_record_that_announced_it() -> None:
    """A list printed one item per line after "Enabled extensions:" (Python's pprint) is part
    of that record: its opening line, which opens a bracket it does not close, as well."""
    engine = Engine()
    head = engine.process("2026-03-02 10:00:00 [app.middleware] INFO: Enabled extensions:")
    for line in ("['app.extensions.CoreStats',", " 'app.extensions.LogStats']"):
        r = engine.process(line)
        assert r.continuation
        assert r.timestamp == head.timestamp
    engine.process("2026-03-02 10:00:01 [app.engine] INFO: Spider opened")
    assert not engine.process("[a list that closes] on its own line").continuation
