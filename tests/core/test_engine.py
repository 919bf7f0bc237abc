"""Behaviour of the engine a user would notice: headers found, variables masked, patterns
grouped and generalised, severities, multi-line records, limits, ids and saved state."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from logsum import Engine, EngineConfig, Severity
from logsum.core.state import StateError


def _template_of(engine: Engine, line: str) -> str:
    return engine.template(engine.process(line).pattern_id)


@pytest.mark.parametrize(
    ("line", "timestamp", "level", "message"),
    [
        (
            "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster:"
            " Created MRAppMaster for application appattempt_1445144423722_0020_000001",
            datetime(2015, 10, 18, 18, 1, 47, 978000, tzinfo=UTC),
            "INFO",
            "Created MRAppMaster for application appattempt_1445144423722_0020_000001",
        ),
        (
            "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown",
            datetime(2026, 6, 14, 15, 16, 1, tzinfo=UTC),
            None,
            "check pass; user unknown",
        ),
        (
            "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block"
            " blk_38865049064139660 terminating",
            datetime(2008, 11, 9, 20, 36, 15, tzinfo=UTC),
            "INFO",
            "PacketResponder 1 for block blk_38865049064139660 terminating",
        ),
        (
            "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6",
            datetime(2005, 12, 4, 4, 47, 44, tzinfo=UTC),
            "ERROR",
            "mod_jk child workerEnv in error state 6",
        ),
        (
            "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs",
            datetime(2026, 3, 17, 16, 13, 38, 811000, tzinfo=UTC),
            "DEBUG",
            "printFreezingDisplayLogs",
        ),
        (  # a file name before the timestamp, a logger, then a request context in brackets
            "api.log.1 2017-05-16 00:00:00.008 25746 INFO app.wsgi.server"
            " [req-38101a0b 113d3a99 - - -] 10.0.0.1 GET /v2/servers status: 200",
            datetime(2017, 5, 16, 0, 0, 0, 8000, tzinfo=UTC),
            "INFO",
            "10.0.0.1 GET /v2/servers status: 200",
        ),
        (  # label, epoch, date, node, then a syslog line with a slashed host
            "- 1131566461 2005.11.09 node7 Nov 9 12:01:01 node7/node7 crond(pam_unix)[2915]:"
            " session closed for user root",
            datetime(2005, 11, 9, 20, 1, 1, tzinfo=UTC),
            None,
            "session closed for user root",
        ),
        (  # a component padded to a column after the level
            "2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1",
            datetime(2016, 9, 28, 4, 30, 30, tzinfo=UTC),
            "INFO",
            "Loaded Servicing Stack v6.1",
        ),
        (
            "2024-01-01T10:00:00Z ERROR Database connection failed",
            datetime(2024, 1, 1, 10, 0, tzinfo=UTC),
            "ERROR",
            "Database connection failed",
        ),
    ],
)
def test_header_detection_without_configuration(
    line: str, timestamp: datetime, level: str | None, message: str | None
) -> None:
    result = Engine(EngineConfig(default_year=2026)).process(line)
    assert result.timestamp == timestamp
    if level is not None:
        assert result.header.level == level
    if message is not None:
        assert result.message == message


def test_message_only_keeps_the_whole_line() -> None:
    line = "2024-01-01 10:00:00 ERROR Database connection failed"
    result = Engine(message_only=True).process(line)
    assert result.message == line
    assert result.timestamp is None


def test_user_format_splits_the_header() -> None:
    engine = Engine(log_format="<Date> <Time> <Pid> <Level> <Component>: <Content>")
    result = engine.process("081109 203615 148 INFO dfs.DataNode: Served block blk_1 to /10.0.0.1")
    assert result.header.level == "INFO"
    assert result.header.pid == "148"
    assert result.message == "Served block blk_1 to /10.0.0.1"
    assert engine.template(result.pattern_id) == "Served block <*> to <*>"


@pytest.mark.parametrize(
    ("message", "template"),
    [
        ("Connection from 10.0.0.1:5432 closed", "Connection from <*> closed"),
        ("Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106", None),
        ("Request took 250ms to /api/v1/users", "Request took <*> to <*>"),
        ("session 0x14f05578bf60001 expired", "session <*> expired"),
        ("uid=0 euid=0 tty=ssh", "uid=<*> euid=<*> tty=ssh"),
        ("Fetched https://example.com/a?b=1 in 3.5s", "Fetched <*> in <*>"),
        ("job 7f3c9a2e-4b1d-4c8e-9f00-123456789abc done", "job <*> done"),
        ("generating core.1234", "generating core.<*>"),
        ("flag is true", "flag is <*>"),
        ("commit 26cb04f merged", "commit <*> merged"),
        ("backup of 2017-05-16 done", "backup of <*>-<*>-<*> done"),
    ],
)
def test_variables_are_masked(message: str, template: str | None) -> None:
    got = _template_of(Engine(message_only=True), message)
    if template is None:
        assert "blk_" not in got and "10.250" not in got
    else:
        assert got == template


def test_templates_generalise_as_lines_arrive_and_keep_their_id() -> None:
    engine = Engine(message_only=True)
    first = engine.process("Invalid user webmaster from 1.2.3.4")
    assert engine.template(first.pattern_id) == "Invalid user webmaster from <*>"
    engine.process("Invalid user admin from 1.2.3.5")
    engine.process("Invalid user oracle from 1.2.3.6")
    last = engine.process("Invalid user guest from 1.2.3.7")
    assert engine.resolve(last.pattern_id) == engine.resolve(first.pattern_id)
    assert engine.template(first.pattern_id) == "Invalid user <*> from <*>"
    assert engine.pattern(first.pattern_id).count == 4  # type: ignore[union-attr]


def test_words_with_few_values_stay_separate_events() -> None:
    engine = Engine(message_only=True)
    a = engine.process("Failed password for root from 1.2.3.4 port 22 ssh2")
    b = engine.process("Accepted password for root from 1.2.3.4 port 22 ssh2")
    assert engine.resolve(a.pattern_id) != engine.resolve(b.pattern_id)


def test_same_template_same_id_in_a_new_engine() -> None:
    lines = ["Connection from 10.0.0.1 closed", "Disk 3 is 91% full"]
    ids_a = [Engine(message_only=True).process(line).pattern_id for line in lines]
    ids_b = [Engine(message_only=True).process(line).pattern_id for line in lines]
    assert ids_a == ids_b


def test_params_are_the_values_under_the_template() -> None:
    engine = Engine(message_only=True)
    result = engine.process("Accepted password for root from 10.0.0.9 port 2222 ssh2")
    assert result.params == ("10.0.0.9", "2222")
    pattern = engine.pattern(result.pattern_id)
    assert pattern is not None
    assert [p.examples for p in pattern.params] == [("10.0.0.9",), ("2222",)]


@pytest.mark.parametrize(
    ("line", "severity"),
    [
        ("2024-01-01 10:00:00 ERROR boom", Severity.ERROR),
        ("2024-01-01 10:00:00 WARN disk almost full", Severity.WARNING),
        ("2024-01-01 10:00:00 FATAL kernel panic", Severity.CRITICAL),
        ("2024-01-01 10:00:00 DEBUG cache hit", Severity.DEBUG),
        ("Connection refused by 10.0.0.1", Severity.ERROR),
        ("Server started on port 8080", Severity.INFO),
        ("Retrying request in 5s", Severity.WARNING),
    ],
)
def test_severity_from_level_or_message(line: str, severity: Severity) -> None:
    assert Engine().process(line).severity is severity


def test_first_and_last_seen_come_from_the_lines() -> None:
    engine = Engine()
    engine.process("2024-01-01 10:00:05 INFO user 1 logged in")
    r = engine.process("2024-01-01 09:59:00 INFO user 2 logged in")
    pattern = engine.pattern(r.pattern_id)
    assert pattern is not None
    assert pattern.first_seen == datetime(2024, 1, 1, 9, 59, tzinfo=UTC)
    assert pattern.last_seen == datetime(2024, 1, 1, 10, 0, 5, tzinfo=UTC)


def test_stack_trace_lines_belong_to_their_record() -> None:
    engine = Engine()
    lines = [
        "2024-01-01 10:00:00 ERROR Request failed",
        "java.lang.IllegalStateException: boom",
        "    at com.example.Foo.bar(Foo.java:42)",
        "    at com.example.Main.main(Main.java:7)",
        "Caused by: java.io.IOException: disk",
        "2024-01-01 10:00:01 INFO next request",
    ]
    results = [engine.process(line) for line in lines]
    head = results[0]
    for r in results[1:5]:
        assert r.continuation
        assert r.pattern_id == head.pattern_id
        assert r.severity is Severity.ERROR
    assert not results[5].continuation
    assert engine.pattern(head.pattern_id).count == 1  # type: ignore[union-attr]


def test_max_patterns_evicts_the_least_recently_seen() -> None:
    engine = Engine(EngineConfig(max_patterns=10), message_only=True)
    for i in range(100):
        engine.process(" ".join(["event"] * (i + 1)))  # 100 templates of different lengths
    assert len(engine.patterns()) == 10
    assert engine.evictions == 90


@pytest.mark.parametrize(
    "line",
    [
        "",
        "   ",
        "\x00\x00\x00",
        "\ufffd\ufffd binary \x01\x02\x03",
        "x" * 10_000_000,
        " ".join(["tok"] * 5_000),
        "[" * 1000 + "2024-01-01",
    ],
)
def test_any_input_is_handled(line: str) -> None:
    engine = Engine()
    result = engine.process(line)
    assert result.line == 1
    assert len(engine.template(result.pattern_id)) <= engine.config.max_line_chars + 8


def test_state_round_trip_is_json_and_continues() -> None:
    engine = Engine(message_only=True)
    for i in range(20):
        engine.process(f"Invalid user u{i % 5}x from 10.0.0.{i}")
    state = json.loads(json.dumps(engine.to_state()))
    again = Engine.from_state(state)
    assert [(p.id, p.template, p.count) for p in again.patterns()] == [
        (p.id, p.template, p.count) for p in engine.patterns()
    ]
    r = again.process("Invalid user u1x from 10.0.0.99")
    assert again.resolve(r.pattern_id) == engine.patterns()[0].id


@pytest.mark.parametrize(
    "state",
    [{}, {"format": "logsum.engine-state", "version": 99}, {"format": "x"}, []],
)
def test_bad_state_is_refused(state: object) -> None:
    with pytest.raises(StateError):
        Engine.from_state(state)  # type: ignore[arg-type]


def test_seeded_patterns_keep_their_ids() -> None:
    engine = Engine(message_only=True)
    engine.add_pattern("p_known", "Connection from <*> closed", "warning")
    r = engine.process("Connection from 10.1.1.1 closed")
    assert r.pattern_id == "p_known"
    assert engine.pattern("p_known").severity is Severity.WARNING  # type: ignore[union-attr]


def test_json_lines_give_their_message_level_and_time() -> None:
    engine = Engine()
    a = engine.process(
        '{"ts": "2024-03-01T12:00:00Z", "level": "error", "msg": "payment 42 failed",'
        ' "logger": "billing"}'
    )
    b = engine.process(
        '{"ts": "2024-03-01T12:00:05Z", "level": "error", "msg": "payment 43 failed",'
        ' "logger": "billing"}'
    )
    assert a.pattern_id == b.pattern_id
    assert engine.template(a.pattern_id) == "payment <*> failed"
    assert a.severity is Severity.ERROR
    assert a.header.component == "billing"
    assert b.timestamp == datetime(2024, 3, 1, 12, 0, 5, tzinfo=UTC)
    # Not JSON after all: the line is text like any other.
    c = engine.process("{not json} at all")
    assert engine.template(c.pattern_id) == "{not json} at all"


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "token",
    [
        "/" + "a/" * 30_000 + "(",
        "a" + ".b" * 30_000 + "(",
        "a-" * 30_000 + ":1(",
        "1:" * 30_000 + "(",
        "-a" * 30_000 + "(",
        "a." * 30_000 + "a:",
        "1.2.3-1" + "+a" * 30_000 + "$",  # a package version's revision
        "1." * 30_000 + "1-1+",
        "1.1-" * 15_000,  # many package versions in a row (see below)
        "[" + "0:" * 30_000 + "x",  # an IPv6 address in brackets
        "a/" * 30_000 + "1.2.3.4:5",
    ],
)
def test_pathological_tokens_do_not_hang(token: str) -> None:
    """Shapes that make naive regular expressions backtrack for minutes: handled at once
    (masking has no nested repetition, and very long tokens are one variable)."""
    from logsum.core.masking import mask

    assert mask(token)  # the masker alone, on the full token
    engine = Engine()
    for _ in range(3):
        result = engine.process("2024-01-01 10:00:00 INFO payload " + token)
    assert engine.template(result.pattern_id) == "payload <*>"


@pytest.mark.timeout(5)  # about 0.02 s each; the quadratic scan took 10 to 22 s
@pytest.mark.parametrize("prefix", ["2026-03-02 10:00:07 ", "Mar  2 10:00:07 host ", "[10:00:07] "])
@pytest.mark.parametrize("token", ["10:" * 16_666, "1." * 25_000, "a1" * 25_000, "0x1" * 16_666])
def test_a_long_token_where_the_header_may_go_on_is_read_at_once(prefix: str, token: str) -> None:
    """The header scan asks whether the next tokens look like more header (a host, a
    number, a name with digits). Asked of one 50,000-character token with no space after it, a
    pattern with a digit between two runs of the same characters took 22 s on one line."""
    engine = Engine()
    for _ in range(2):
        result = engine.process(prefix + token)
    assert engine.template(result.pattern_id)


@pytest.mark.timeout(30)
def test_a_run_of_package_versions_is_read_once_not_from_each_number() -> None:
    """The look for a revision's letter reads at most a token's length ahead: 200,000
    characters of ``1.1-`` take about a second; read again from each number (quadratic) they
    took about a minute, past the timeout."""
    from logsum.core.masking import mask

    assert mask("1.1-" * 50_000) == "<*>-" * 50_000


def test_words_that_differ_only_in_digits_are_different_events() -> None:
    engine = Engine()
    a = engine.process("2024-01-01 10:00:00 INFO IPv4 address 10.0.0.1 assigned")
    b = engine.process("2024-01-01 10:00:01 INFO IPv6 address 10.0.0.2 assigned")
    c = engine.process("2024-01-01 10:00:02 INFO IPv4 address 10.0.0.3 assigned")
    assert engine.template(a.pattern_id) == "IPv4 address <*> assigned"
    assert engine.template(b.pattern_id) == "IPv6 address <*> assigned"
    assert c.pattern_id == a.pattern_id


def test_folded_patterns_list_the_ids_they_absorbed() -> None:
    engine = Engine(message_only=True)
    ids = [engine.process(f"Invalid user {u} from 10.0.0.1").pattern_id for u in "abcd"]
    (pattern,) = engine.patterns()
    assert pattern.template == "Invalid user <*> from <*>"
    assert set(ids) == {pattern.id, *pattern.aliases}


def test_folded_ids_go_when_their_pattern_is_evicted() -> None:
    engine = Engine(EngineConfig(max_patterns=5), message_only=True)
    for event in range(200):
        for user in "abcd":  # four words: the siblings fold into one pattern
            engine.process(f"event{'x' * (event % 50)} user {user} from 10.0.0.1")
    assert len(engine.patterns()) <= 5
    assert len(engine.to_state()["aliases"]) <= 5 * 3


def test_an_over_long_line_is_cut_and_the_cut_is_a_variable() -> None:
    engine = Engine(EngineConfig(max_line_chars=64), message_only=True)
    r = engine.process("disk full on volume data " + "x" * 200)
    assert engine.template(r.pattern_id).endswith(" <*>")
    assert len(r.message) <= 64 + 4


def test_numbers_of_other_lengths_are_read_at_their_own_places() -> None:
    """Lines that differ from a known one only in how long their numbers are reuse its
    layout, moved by the length differences: values and timestamps must still be right."""
    engine = Engine()
    lines = [
        ("2024-01-01 10:00:05,1 INFO [w-7] req 12 took 5 ms from 10.0.0.1", "5", "10.0.0.1"),
        ("2024-01-01 10:00:06,12 INFO [w-7] req 345 took 50 ms from 10.0.0.12", "50", "10.0.0.12"),
        (
            "2024-01-01 10:00:07,123 INFO [w-17] req 6 took 500 ms from 10.0.10.1",
            "500",
            "10.0.10.1",
        ),
        ("2024-01-01 10:00:08,9 INFO [w-7] req 7777 took 5 ms from 10.0.0.1", "5", "10.0.0.1"),
    ]
    results = [engine.process(text) for text, _, _ in lines]
    assert len({r.pattern_id for r in results}) == 1
    for r, (text, took, source) in zip(results, lines, strict=True):
        assert r.message == text.split("] ", 1)[1]
        assert r.params[-2:] == (took, source)
        assert r.timestamp is not None and r.timestamp.second == int(text[17:19])
    assert results[2].timestamp.microsecond == 123000  # type: ignore[union-attr]


def test_year_less_timestamps_do_not_land_in_the_future() -> None:
    from datetime import date

    config = EngineConfig(default_year=2027, today=date(2027, 1, 3))
    engine = Engine(config)
    december = engine.process("Dec 30 23:59:01 host sshd[1]: session closed for user root")
    january = engine.process("Jan  3 00:00:07 host sshd[1]: session closed for user root")
    assert december.timestamp == datetime(2026, 12, 30, 23, 59, 1, tzinfo=UTC)
    assert january.timestamp == datetime(2027, 1, 3, 0, 0, 7, tzinfo=UTC)
    again = engine.process("Dec 30 23:59:02 host sshd[1]: session closed for user root")
    assert again.timestamp == datetime(2026, 12, 30, 23, 59, 2, tzinfo=UTC)


def test_end_record_makes_the_next_line_a_record_of_its_own() -> None:
    engine = Engine()
    engine.process("2024-01-01 10:00:00 ERROR Request failed")
    assert engine.process("    at com.example.Foo.bar(Foo.java:42)").continuation
    engine.end_record()
    assert not engine.process("    at com.example.Foo.bar(Foo.java:42)").continuation


def test_a_patterns_example_values_are_shared_until_they_change() -> None:
    """Snapshots hand out the same params tuple while the examples stay as they are (callers
    tell "unchanged" by identity), and a new, current one once a new value is seen."""
    engine = Engine()
    engine.process_many([f"Connection from 10.0.0.{i} closed" for i in (1, 1, 2)])
    before = engine.patterns()[0].params
    engine.process("Connection from 10.0.0.1 closed")  # a value it has already
    assert engine.patterns()[0].params is before
    engine.process("Connection from 10.0.0.3 closed")
    after = engine.patterns()[0].params
    assert after is not before
    assert [ps.examples for ps in before] == [("10.0.0.1", "10.0.0.2")]
    assert [ps.examples for ps in after] == [("10.0.0.1", "10.0.0.2", "10.0.0.3")]


def test_batch_patterns_count_one_batch_and_resolve_folded_ids() -> None:
    engine = Engine()
    engine.process_many(["2024-01-01 09:00:00 INFO Invalid user zed from 10.0.0.9"] * 3)
    batch = [
        "2024-01-01 10:00:05 INFO Invalid user alice from 10.0.0.1",
        "2024-01-01 10:00:01 INFO Invalid user bob from 10.0.0.2",
        "2024-01-01 10:00:09 INFO Invalid user carol from 10.0.0.3",
        "2024-01-01 10:00:02 ERROR Request failed",
        "    at com.example.Foo.bar(Foo.java:42)",
    ]
    results = engine.process_many(batch)
    users, failed = engine.batch_patterns(results)
    # The first lines' pattern was folded into the generalised one during the batch: its id
    # resolves, and only this batch's lines count, with this batch's times.
    assert users.template.endswith("Invalid user <*> from <*>")
    assert len({r.pattern_id for r in results[:3]}) == 3
    assert {r.pattern_id for r in results[:3]} <= {users.id, *users.aliases}
    assert users.count == 3
    assert users.first_seen == datetime(2024, 1, 1, 10, 0, 1, tzinfo=UTC)
    assert users.last_seen == datetime(2024, 1, 1, 10, 0, 9, tzinfo=UTC)
    assert failed.count == 1  # the continuation line is part of its record, not a line of its own
    assert engine.pattern(users.id).count == 6  # type: ignore[union-attr]


def test_lines_after_a_record_head_carry_its_time() -> None:
    """A line holding only a header (java.util.logging's "date class method" line, a line of
    only a timestamp) heads a record: the lines after it without a time of their own carry
    its time, as `process_compact` gives them too, until a line brings its own time."""
    lines = [
        "Mar 02, 2026 1:15:42 PM com.example.billing.ReportServlet doGet",
        "SEVERE: Could not write report 2026-03: disk full",
        "2026-03-02T13:20:00.000000+00:00",
        "Starting instance (normal)",
        "LICENSE_MAX_SESSION = 0",
        "2026-03-02 13:25:00 INFO worker ready",
        "worker pool has 4 threads",
    ]
    head = datetime(2026, 3, 2, 13, 15, 42, tzinfo=UTC)
    only = datetime(2026, 3, 2, 13, 20, tzinfo=UTC)
    want = [head, head, only, only, only, datetime(2026, 3, 2, 13, 25, tzinfo=UTC), None]
    engine = Engine(EngineConfig(default_year=2026))
    assert [r.timestamp for r in engine.process_many(lines)] == want
    bulk = Engine(EngineConfig(default_year=2026))
    assert [bulk.process_compact(line)[2] for line in lines] == want
    assert engine.process(lines[1]).severity is Severity.ERROR  # its own level, not the head's
    engine.process(lines[2])
    engine.end_record()  # a new file: no head carries over
    assert engine.process(lines[3]).timestamp is None


def test_a_head_with_a_class_without_package_carries_its_time() -> None:
    """java.util.logging's head line of a class in the default package ("Main main") heads a
    record too: no "main" template, and the level line after it has the head's time."""
    lines = [
        "Mar 2, 2026 10:15:03 PM Main main",
        "INFO: Server started on port 8080",
        "Mar 2, 2026 10:15:04 PM Main main",
        "WARNING: Low memory",
    ]
    engine = Engine(EngineConfig(default_year=2026))
    got = engine.process_many(lines)
    assert [r.timestamp for r in got] == [
        datetime(2026, 3, 2, 22, 15, 3, tzinfo=UTC),
        datetime(2026, 3, 2, 22, 15, 3, tzinfo=UTC),
        datetime(2026, 3, 2, 22, 15, 4, tzinfo=UTC),
        datetime(2026, 3, 2, 22, 15, 4, tzinfo=UTC),
    ]
    assert "main" not in {p.template for p in engine.patterns()}
    assert got[1].message == "Server started on port 8080"


def test_terminal_colour_codes_are_not_part_of_the_line() -> None:
    """Maven's output on this machine (tests/data/machine/maven-no-pom.log) opens with colour
    resets ('ESC[0m'); coloured levels are common too. The codes are not the line's text: the
    level is read and the templates are those of the same lines without them."""
    path = Path(__file__).parents[1] / "data" / "machine" / "maven-no-pom.log"
    raw = path.read_text(encoding="utf-8").splitlines()
    assert "\x1b[0m" in raw[0]
    coloured = [*raw, "\x1b[1;31mERROR\x1b[0m disk \x1b[1m91%\x1b[0m full\x1b[K"]
    plain = [re.sub(r"\x1b\[[0-9;]*[mK]", "", line) for line in coloured]
    a, b = Engine(), Engine()
    got = [a.template(a.process(line).pattern_id) for line in coloured]
    assert got == [b.template(b.process(line).pattern_id) for line in plain]
    a, b = Engine(), Engine()  # the bulk path (logsum parse)
    got = [a.template(a.process_compact(line)[0]) for line in coloured]
    assert got == [b.template(b.process_compact(line)[0]) for line in plain]
    first = Engine().process(raw[0])
    assert (first.header.level, first.message) == ("INFO", "Scanning for projects...")
    last = Engine().process(coloured[-1])
    assert (last.severity, last.message) == (Severity.ERROR, "disk 91% full")


def test_an_error_after_a_blank_line_opens_its_own_record() -> None:
    """Node.js on this machine (tests/data/machine/node-uncaught.log) prints an uncaught error
    as 'file.js:6', the source line, a caret, a blank line, then 'TypeError: ...' and its
    frames: the error and its frames are a record of their own, an error (they continued the
    source line's record, an info). Inside a trace, an exception line still continues it."""
    path = Path(__file__).parents[1] / "data" / "machine" / "node-uncaught.log"
    lines = path.read_text(encoding="utf-8").splitlines()
    for bulk in (False, True):
        engine = Engine()
        got = []
        for line in lines:
            if bulk:
                pid, severity, _, _, _, continuation, _ = engine.process_compact(line)
            else:
                r = engine.process(line)
                pid, severity, continuation = r.pattern_id, r.severity, r.continuation
            got.append((line, engine.template(pid), severity, continuation))
        error = next(i for i, g in enumerate(got) if g[0].startswith("TypeError: "))
        assert got[error - 1][0] == "" and got[error - 1][3]  # the blank line continues
        assert got[error][1:] == (lines[error], Severity.ERROR, False)
        frames = [g for g in got[error + 1 :] if g[0].startswith("    at ")]
        assert len(frames) == 3
        assert all(g[1:] == (lines[error], Severity.ERROR, True) for g in frames)
    python = [
        "2026-03-02 10:00:00 ERROR job failed",
        "Traceback (most recent call last):",
        '  File "job.py", line 3, in <module>',
        "KeyError: 'missing'",
        "",
        "The above exception was the direct cause of the following exception:",
        "",
        "Traceback (most recent call last):",
        '  File "job.py", line 5, in <module>',
        "RuntimeError: lookup failed",
    ]
    engine = Engine()
    results = [engine.process(line) for line in python]
    assert [r.continuation for r in results] == [False] + [True] * 9


def test_a_named_head_passes_its_time_to_its_trace_not_to_another_sources_lines() -> None:
    """After java.util.logging's head ("date class method") and its "LEVEL: message" line,
    the trace lines that follow carry the head's time, but a header-less line of another
    source interleaved there does not (after a time-only head, plain lines still do)."""
    engine = Engine(EngineConfig(default_year=2026))
    head = datetime(2026, 3, 2, 13, 15, 42, tzinfo=UTC)
    lines = [
        "Mar 02, 2026 1:15:42 PM com.example.billing.ReportServlet doGet",
        "SEVERE: Could not write report",
        "java.io.IOException: disk full",
        "\tat com.example.billing.ReportServlet.doGet(ReportServlet.java:88)",
        "kern  :info  : [    0.000000] Command line: ro quiet splash",
    ]
    assert [r.timestamp for r in engine.process_many(lines)] == [head] * 4 + [None]
