"""Header detection on formats no rule names: a run of general header fields read up to its
separator, and the columns a source's own lines show to be header (``header._field_run``,
``layouts._Columns``). Every line here was written for these tests in shapes no convention of
``header.CONVENTIONS`` reads."""

from __future__ import annotations

import pytest

from logsum import Engine
from logsum.core.config import EngineConfig


def _engine() -> Engine:
    return Engine(EngineConfig(default_year=2026))


@pytest.mark.parametrize(
    ("line", "message", "level", "component"),
    [
        # key=value context and a name before the level, the level's colon ends the header
        (
            "2026-03-02T10:00:00Z node-4 {zone=b rack=12} WARNING: disk 91% full",
            "disk 91% full",
            "WARNING",
            "node-4",
        ),
        # a thread in parentheses and an arrow after the level
        (
            "2026-03-02 10:00:00,250 INFO (loader-7) => 120 rows imported",
            "120 rows imported",
            "INFO",
            None,
        ),
        # fields and a level opening the line, no time at all
        (
            "3f [net-2] WARN relay.peer: handshake timed out",
            "handshake timed out",
            "WARNING",
            "relay.peer",
        ),
    ],
)
def test_a_run_of_general_fields_ends_at_its_last_separator(
    line: str, message: str, level: str | None, component: str | None
) -> None:
    r = _engine().process(line)
    assert (r.message, r.header.level, r.header.component) == (message, level, component)


@pytest.mark.parametrize(
    "line",
    [
        "2026-03-02 10:00:00 Connection from 10.0.0.5: refused",  # words first: a message
        "2026-03-02 10:00:00 [**] alert raised by rule 12",  # marks decorate the message
        "2026-03-02 10:00:00 10.0.0.5 GET /index.html 200",  # values, no separator
    ],
)
def test_text_that_only_looks_like_fields_stays_in_the_message(line: str) -> None:
    assert _engine().process(line).message == line[len("2026-03-02 10:00:00 ") :]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        # words between a level and a time are the message's: the time is a value in it
        (
            "[ERROR] Job failed at 2026-03-02 10:00:00 on node3",
            "Job failed at 2026-03-02 10:00:00 on node3",
        ),
        (
            "INFO - import of 2026-03-02 10:00:00 rows done",
            "import of 2026-03-02 10:00:00 rows done",
        ),
        (
            "[Job] 17 started 2026-03-02 10:00:00 on node3",
            "[Job] 17 started 2026-03-02 10:00:00 on node3",
        ),
    ],
)
def test_a_time_after_words_is_no_header(line: str, message: str) -> None:
    r = _engine().process(line)
    assert r.message == message
    assert r.timestamp is None


# A format nobody coded: a level letter and a module in brackets after the time.
LETTERS = [
    ("2026-03-02 10:00:00.100 I [cache] warmed 812 keys", None),
    ("2026-03-02 10:00:01.250 W [cache] eviction rate high: 120/s", None),
    ("2026-03-02 10:00:02.400 I [http] listening on :8080", None),
    ("2026-03-02 10:00:03.550 E [db] connection refused by 10.0.0.5", "ERROR"),
    ("2026-03-02 10:00:04.700 I [http] served 200 in 4 ms", "INFO"),
    ("2026-03-02 10:00:05.850 W [db] slow query: 812 ms", "WARNING"),
]


def test_a_source_teaches_its_header_columns() -> None:
    # Once two lines of a layout showed a column of level letters and a column of bracketed
    # names before messages that vary, the source's lines lose both, from the second on: the
    # message is what follows, the letter its level.
    engine = _engine()
    results = [engine.process(line) for line, _ in LETTERS]
    for (line, level), r in zip(LETTERS[3:], results[3:], strict=True):
        assert r.message == line.split("] ", 1)[1]
        assert r.header.level == level
    assert results[1].message == "eviction rate high: 120/s"
    assert results[1].header.level == "WARNING"
    # the first line was read before they were known
    assert results[0].message == "I [cache] warmed 812 keys"


@pytest.mark.parametrize("shape_cache", [True, False])
def test_the_line_that_taught_columns_comes_back_split_alike(shape_cache: bool) -> None:
    # The first line of a source is read before its columns are known; the same line later
    # (other numbers) is split as every other line of the source, and the first line's pattern
    # is the one its message joins now (its id answers to it), not one of its own.
    engine = Engine(EngineConfig(default_year=2026, shape_cache=shape_cache))
    first = engine.process(LETTERS[0][0])
    for line, _ in LETTERS[1:]:
        engine.process(line)
    again = engine.process("2026-03-02 10:00:09.100 I [cache] warmed 907 keys")
    assert again.message == "warmed 907 keys"
    assert again.header.level == "INFO"
    assert engine.resolve(first.pattern_id) == engine.resolve(again.pattern_id)
    (warmed,) = [p for p in engine.patterns() if p.template == "warmed <*> keys"]
    assert warmed.count == 2
    assert first.pattern_id in warmed.aliases
    assert not any(p.template.startswith("I [cache]") for p in engine.patterns())
    restored = Engine.from_state(engine.to_state())
    assert restored.resolve(first.pattern_id) == engine.resolve(again.pattern_id)


def test_a_column_of_plain_words_takes_three_lines() -> None:
    # "http:" and "cache:" name sources here, but a message may open with such a word too
    # ("ok: [web01]", "fatal: ..."): two lines are not enough evidence, three are.
    engine = _engine()
    lines = [
        "2026-03-02 10:00:00.100 I cache: warmed 812 keys",
        "2026-03-02 10:00:01.200 W http: listening on :8080",
        "2026-03-02 10:00:02.300 I db: pool of 12 ready",
        "2026-03-02 10:00:03.300 E http: served /health in 3 ms",
    ]
    got = [engine.process(line) for line in lines]
    assert got[1].message == "W http: listening on :8080"
    assert [(r.message, r.header.level, r.header.component) for r in got[2:]] == [
        ("pool of 12 ready", "INFO", "db"),
        ("served /health in 3 ms", "ERROR", "http"),
    ]


def test_a_layout_of_the_same_fields_takes_the_columns_its_source_taught() -> None:
    # A tag before the time is replayed as the word it was ("api1"): a line of another tag
    # starts a layout of its own, with the same fields; it takes the columns the first one
    # learned, so its first line is split like the rest.
    engine = _engine()
    for line in (
        "api1 2026-03-02 10:00:00.100 I [cache] warmed 812 keys",
        "api1 2026-03-02 10:00:01.250 W [cache] eviction rate high: 120/s",
    ):
        engine.process(line)
    r = engine.process("web2 2026-03-02 10:00:02.400 E [db] connection refused by 10.0.0.5")
    assert (r.message, r.header.level) == ("connection refused by 10.0.0.5", "ERROR")


def test_columns_are_learned_from_lines_that_differ_beyond_their_numbers() -> None:
    # The same line over and over, its numbers changing, teaches nothing: the shape cache
    # replays such lines, and a column learned from them would split them apart.
    engine = _engine()
    for n in range(6):
        r = engine.process(f"2026-03-02 10:00:0{n}.100 I [cache] warmed {n}12 keys")
        assert r.message == f"I [cache] warmed {n}12 keys"


def test_a_column_of_one_name_with_its_colon_stays_in_the_message() -> None:
    # "http:" on every line opens the message (Go's net/http writes it); only a name that
    # varies from line to line names a source.
    engine = _engine()
    lines = [
        "2026/03/02 10:00:00 http: TLS handshake error from 10.0.0.5:4411: EOF",
        "2026/03/02 10:00:01 http: superfluous response.WriteHeader call from main.go:88",
        "2026/03/02 10:00:02 http: Accept error: too many open files; retrying in 5ms",
        "2026/03/02 10:00:03 http: panic serving 10.0.0.7:5120: runtime error",
        "2026/03/02 10:00:04 http: TLS handshake error from 10.0.0.9:4420: EOF",
    ]
    for line in lines:
        assert engine.process(line).message.startswith("http: ")


def test_a_learned_column_never_hides_the_level_a_line_states() -> None:
    # A column of module names learned from three lines; a fourth line has a level word
    # there: the line's word is its level, not a module's name.
    engine = _engine()
    for line in (
        "2026-03-02 10:00:00.100 [cache] (w1) warmed 812 keys",
        "2026-03-02 10:00:01.250 [http] (w2) listening on :8080",
        "2026-03-02 10:00:02.400 [db] (w1) pool of 12 ready",
    ):
        engine.process(line)
    r = engine.process("2026-03-02 10:00:03.550 [ERROR] (w3) disk full on /var")
    assert r.header.level == "ERROR"
    assert r.message == "disk full on /var"


def test_a_line_is_split_alike_whatever_line_with_the_same_start_came_before() -> None:
    # A layout asks once per start of message whether the scanner would read more header
    # there; a run of general fields reads whole tokens, here further than that start: a line
    # whose fields end in a level is split as it is alone, even after a line that shares its
    # first tokens and has none.
    fields = "node-7 worker_pool_executor_with_a_long_name_abcdefghijabcdefghij conn#12"
    lines = [f"2026-03-02 10:00:0{i} job runner started queue number {i}" for i in range(5)]
    refused = f"2026-03-02 10:00:09 {fields} ERROR: payment gateway refused the card"
    accepted = f"2026-03-02 10:00:08 {fields} payment gateway accepted the card"
    for before in ([], [accepted]):
        engine = _engine()
        for line in lines + before:
            engine.process(line)
        got = engine.process(refused)
        assert (got.message, got.header.level) == ("payment gateway refused the card", "ERROR")


def test_probes_of_hostile_long_tokens_are_not_kept() -> None:
    # A probe that read a token of thousands of characters (an unclosed bracket) is asked
    # again rather than kept under a key that long: memory follows layouts, not lines.
    engine = _engine()
    for i in range(5):
        engine.process(f"2026-03-02 10:00:0{i} job runner started queue number {i}")
    for word in ("abc", "bcd", "cde", "def", "efg", "fgh"):
        engine.process(f"2026-03-02 10:00:00 node-7 {word}[" + "ab" * 5000 + " tail")
    layouts = [layout for group in engine._headers._by_lead.values() for layout in group]
    held = [key for layout in layouts for key in layout.far_probes]
    assert all(len(text) <= 512 for text, *_ in held)


def test_a_line_with_only_the_first_columns_loses_those() -> None:
    # Columns learned from two lines: a level letter and a module in brackets. A line whose
    # second token is no bracket still has the level letter; it loses that one.
    engine = _engine()
    for line, _ in LETTERS[:2]:
        engine.process(line)
    r = engine.process("2026-03-02 10:00:02.400 E pool exhausted after 30 s")
    assert (r.message, r.header.level) == ("pool exhausted after 30 s", "ERROR")


def test_sources_sharing_a_layout_learn_their_columns_apart() -> None:
    # Two sources whose lines are read as "time, text": one writes a level letter and a
    # module after its time, the other plain sentences. Interleaved, the first still learns
    # its columns from its own lines (told apart by how each writes its time), and the other's
    # sentences keep their words.
    engine = _engine()
    lines = [
        "2026-03-02 10:00:00.100 I [cache] warmed 812 keys",
        "2026-03-02T10:00:00Z job runner started queue 1",
        "2026-03-02T10:00:01Z job runner stopped queue 2",
        "2026-03-02 10:00:01.250 W [cache] eviction rate high: 120/s",
        "2026-03-02T10:00:02Z scheduler picked 4 jobs",
        "2026-03-02 10:00:02.400 E [db] connection refused by 10.0.0.5",
    ]
    got = [(r.message, r.header.level) for r in map(engine.process, lines)]
    assert got[3:] == [
        ("eviction rate high: 120/s", "WARNING"),
        ("scheduler picked 4 jobs", None),
        ("connection refused by 10.0.0.5", "ERROR"),
    ]


def test_a_bracketed_peer_address_opens_the_message() -> None:
    # "(client[address]) - ..." on every line of a source is what each message is about, not
    # a header column, however stable its shape.
    engine = _engine()
    lines = [
        f"2026-03-02 10:00:0{i} I [ftp] (10.0.{i}.5[10.0.{i}.5]) - {text}"
        for i, text in enumerate(
            ["Preparing to chroot", "Login successful.", "SECURITY VIOLATION: root login"]
        )
    ]
    got = [engine.process(line).message for line in lines]
    assert got[1:] == [line.split("] ", 1)[1] for line in lines[1:]]


def test_two_lines_do_not_cut_a_header_short_of_a_repeating_logger() -> None:
    # After a level, a pid and a dotted logger are header once they repeat (a third line):
    # two lines must not settle for the pid alone, leaving the logger in later messages.
    engine = _engine()
    lines = [
        "2026-03-02 10:00:00.100 INFO 4121 svc.api System clock was stepped by 741.99 seconds",
        "2026-03-02 10:00:01.200 INFO 4121 svc.db Using right/UTC timezone for leap seconds",
        "2026-03-02 10:00:02.300 WARNING 4121 svc.api Removed session 44.",
        "2026-03-02 10:00:03.400 INFO 4121 svc.db New seat seat0.",
    ]
    got = [engine.process(line).message for line in lines]
    assert not got[1].startswith("svc.db")
    assert got[2:] == ["Removed session 44.", "New seat seat0."]


def test_an_empty_context_group_and_a_name_after_the_level_are_header() -> None:
    engine = _engine()
    got = [
        engine.process(line)
        for line in [
            "2026-03-02 10:00:00.104 (w3) [] <Warning> Planner: plan cache is cold",
            "2026-03-02 10:00:01.220 (w3) [] <Error> Storage: volume is read only",
        ]
    ]
    assert [(r.message, r.header.level, r.header.component) for r in got] == [
        ("plan cache is cold", "WARNING", "Planner"),
        ("volume is read only", "ERROR", "Storage"),
    ]


def test_a_varying_tag_glued_to_a_number_is_learned_as_header() -> None:
    engine = _engine()
    lines = [
        "Mar  2 10:00:00 04[NET] opening socket to the peer",
        "Mar  2 10:00:01 07[CFG] reloading the settings file",
        "Mar  2 10:00:02 04[NET] peer replied after 3 retries",
        "Mar  2 10:00:03 11[ENC] cipher suite chosen by the peer",
    ]
    got = [engine.process(line).message for line in lines]
    # learned from the source's own lines: the first one is read before it was
    assert got[1:] == [
        "reloading the settings file",
        "peer replied after 3 retries",
        "cipher suite chosen by the peer",
    ]


def test_a_letter_opening_a_bracket_before_the_time_is_a_field() -> None:
    r = _engine().process("[ Q 2026-03-02 10:00:00.5120 77/T2 src/main.cpp:12 ]: daemon ready")
    assert r.message == "daemon ready"
    assert r.header.timestamp is not None and r.header.timestamp.isoformat().startswith(
        "2026-03-02T10:00:00.512"
    )
    assert r.header.level is None  # no table knows the letter Q


@pytest.mark.parametrize(
    "message",
    [
        "SERVICE ALERT: web01;HTTP;CRITICAL;SOFT;1;CRITICAL - Socket timeout after 10 seconds",
        "HOST ALERT: db02;DOWN;HARD;3;CRITICAL - Host Unreachable (10.0.0.7)",
    ],
)
def test_an_upper_case_title_ending_in_a_level_word_stays_in_the_message(message: str) -> None:
    # one upper-case word that a level word and its colon qualify titles the message: no
    # facility, no level (the line's own "CRITICAL" is a state inside its fields)
    r = _engine().process(f"[1772445660] {message}")
    assert (r.message, r.header.level, r.header.component) == (message, None, None)


def test_facility_words_before_a_level_without_colon_stay_header() -> None:
    r = _engine().process("2026-03-02 10:00:00 KERNEL INFO cache parity error corrected")
    assert (r.message, r.header.level, r.header.component) == (
        "cache parity error corrected",
        "INFO",
        "KERNEL",
    )
