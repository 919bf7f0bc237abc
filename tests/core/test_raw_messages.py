"""Raw lines whose message starts with text that looks like header fields: the message a
program wrote stays whole (the template corpus's raw mode, ``bench/templates.py --raw``).
Every line here was written for these tests."""

from __future__ import annotations

from logsum import Engine
from logsum.core.config import EngineConfig


def _messages(lines: list[str]) -> list[str]:
    engine = Engine(EngineConfig(default_year=2026))
    return [engine.process(line).message for line in lines]


def test_a_peer_address_with_its_port_opens_the_message() -> None:
    # ctime stamp, then the message; the peer's address and port are the message's first
    # words, not a host before a level ("TLS Error:" is the message's phrase)
    lines = [
        f"Tue Mar  3 08:15:0{k} 2026 198.51.100.{20 + k}:4041{k} TLS Error: TLS handshake failed"
        for k in range(5)
    ]
    assert _messages(lines) == [line[25:] for line in lines]


def test_semicolon_columns_after_the_time_are_header_up_to_the_first_word() -> None:
    # a batch server's accounting-style layout: time;event code;daemon.pid;object;id;text
    lines = [
        f"03/03/2026 11:20:0{k};0040;batchd.{4410 + k};Job;{770 + k}.head;Job queued for bob"
        for k in range(4)
    ] + ["03/03/2026 11:20:09;0002;batchd.4410;Svr;master-1;Server ready"]
    expected = [f"Job;{770 + k}.head;Job queued for bob" for k in range(4)]
    assert _messages(lines) == [*expected, "Svr;master-1;Server ready"]
    engine = Engine(EngineConfig(default_year=2026))
    r = engine.process(lines[0])
    assert (r.header.component, r.header.pid, r.header.timestamp is not None) == (
        "batchd",
        "4410",
        True,
    )


def test_a_name_after_the_level_that_repeats_a_bracket_or_is_a_path_is_the_message() -> None:
    # time, thread, [level], [code], [subsystem], then the message, which may open with the
    # subsystem's name again or with the program's own path
    lines = [
        f"2026-03-03T09:00:0{k}.000001Z {12 + k} [Note] [AB-00041{k}] [Storage] "
        f"Storage: pool loaded in {40 + k} ms"
        for k in range(3)
    ] + [
        f"2026-03-03T09:00:0{k}.000001Z 7 [Warning] [AB-00050{k}] [Core] "
        f"/opt/app/bin/served: listening on port 900{k}"
        for k in range(4, 7)
    ]
    assert _messages(lines) == [line.rsplit("] ", 1)[1] for line in lines]


def test_a_name_after_the_level_that_only_some_lines_have_is_the_message() -> None:
    # "<time> LEVEL message": some messages open with a word and a colon; a logger would be
    # on every line of its source
    lines = [
        "2026-03-03T08:00:00.100Z ERROR worker: lost connection to 10.0.0.5",
        "2026-03-03T08:00:01.100Z INFO cache warmed in 12 ms",
        "2026-03-03T08:00:02.100Z ERROR worker: lost connection to 10.0.0.6",
        "2026-03-03T08:00:03.100Z INFO cache warmed in 15 ms",
        "2026-03-03T08:00:04.100Z WARN Disk: /dev/sdb 91% full",
    ]
    assert _messages(lines)[1:] == [line.split(" ", 2)[2] for line in lines[1:]]


def test_a_logger_on_every_line_after_the_level_stays_header() -> None:
    lines = [
        f"26/03/03 08:00:0{k} INFO {name}: Running task {k}.0 in stage 2.0"
        for k, name in enumerate(["Executor", "MemoryStore", "Executor", "BlockManager"])
    ]
    assert _messages(lines) == [f"Running task {k}.0 in stage 2.0" for k in range(4)]


def test_a_revised_layout_gives_the_same_messages_with_and_without_the_shape_cache() -> None:
    lines = [
        f"2026-03-03T08:00:0{k}.100Z "
        + ("ERROR worker: lost connection to 10.0.0.5" if k % 2 == 0 else "INFO cache warm")
        for k in range(8)
    ]
    cached = Engine(EngineConfig(default_year=2026))
    full = Engine(EngineConfig(default_year=2026, shape_cache=False))
    assert [cached.process(x).message for x in lines] == [full.process(x).message for x in lines]


def test_interleaved_sources_keep_their_own_reading_of_a_name_after_the_level() -> None:
    # One stream, two sources: a process supervisor whose messages may open with "word:"
    # (it also writes lines with no name after the level), and a service whose bracketed
    # level is always followed by its logger. Each keeps its own reading.
    supervisor = [
        "2026-03-03 08:00:00,100 INFO supervisor started with pid 1",
        "2026-03-03 08:00:01,100 INFO spawned: 'web' with pid 7",
        "2026-03-03 08:00:02,100 WARN exited: web (exit status 1; not expected)",
        "2026-03-03 08:00:03,100 INFO spawned: 'web' with pid 9",
    ]
    service = [
        "2026-03-03T08:00:00.200Z [INFO]  agent: started listener on :8500",
        "2026-03-03T08:00:01.200Z [WARN]  raft: heartbeat timeout reached",
        "2026-03-03T08:00:02.200Z [INFO]  agent: synced node info",
        "2026-03-03T08:00:03.200Z [ERROR] raft: failed to contact peer 10.0.0.4",
    ]
    mixed = [line for pair in zip(service, supervisor, strict=True) for line in pair]
    got = _messages(mixed)
    assert got[1::2] == [line.split(" ", 3)[3] for line in supervisor]
    assert got[0::2] == [line.split(": ", 1)[1] for line in service]


def test_a_name_is_the_message_s_when_its_source_wrote_plain_lines_under_another_layout() -> None:
    # A layout with the name was learned first; the source's plain lines come later and are
    # taken by another source's layout that reads the same header up to the level. From
    # then on, this source's names after the level open its messages, at every level.
    lines = [
        "2026-03-03 08:00:00 0 [Note] Storage: using 4 threads",
        "2026-03-03 08:00:00,500 12 [Info] Cache: warm",  # another source, other lead text
        "2026-03-03 08:00:01 0 [Note] Server listening on port 3306",
        "2026-03-03 08:00:02 0 [ERROR] Storage: disk full writing page 3",
        "2026-03-03 08:00:03 0 [Note] Storage: using 8 threads",
    ]
    got = _messages(lines)
    assert got[3:] == ["Storage: disk full writing page 3", "Storage: using 8 threads"]


def test_a_module_path_after_the_level_stays_the_logger_beside_plain_lines() -> None:
    lines = [
        "2026-03-03 08:00:00,100 INFO supervisor started with pid 1",
        "2026-03-03 08:00:01,100 INFO app.worker: Worker 3 ready",
        "2026-03-03 08:00:02,100 INFO app.db: Reconnected after 2 attempts",
    ]
    assert _messages(lines)[1:] == ["Worker 3 ready", "Reconnected after 2 attempts"]


# A source that writes its time and then its message (Go's standard `log`), some messages
# opening with what one line alone reads as a header field.
_GO_LOG = [
    "2026/03/02 10:00:00 listening on :8080",
    "2026/03/02 10:00:01 [instance: 4a7c9e] Terminating instance",
    "2026/03/02 10:00:02 pam_unix(sshd:session): session closed for user alice",
    "2026/03/02 10:00:04 Started web.service - Web Server.",
]


def test_a_field_that_some_lines_of_a_source_lack_is_the_message_s() -> None:
    alone = [_messages([line])[0] for line in _GO_LOG[1:]]
    whole = [line[20:] for line in _GO_LOG[1:]]
    assert all(a != w for a, w in zip(alone, whole, strict=True))  # one line cannot tell
    # after a line whose header ends at the time, the same fields are the message's
    assert _messages(_GO_LOG)[1:] == whole


def test_a_statement_read_before_the_evidence_keeps_its_split() -> None:
    # The first line's bracket is taken as header (nothing says otherwise yet); the same
    # statement keeps that split after the evidence, so that it is not mined as two
    # templates, while a statement first read after the evidence keeps its bracket.
    lines = [
        "2026/03/02 10:00:00 [instance: a1] Terminating instance",
        "2026/03/02 10:00:01 Claim successful on node n1",
        "2026/03/02 10:00:02 [instance: b2] Terminating instance",
        "2026/03/02 10:00:03 [instance: c3] Took 2.5 seconds to spawn",
    ]
    engine = Engine(EngineConfig(default_year=2026))
    results = [engine.process(line) for line in lines]
    assert [r.message for r in results] == [
        "Terminating instance",
        "Claim successful on node n1",
        "Terminating instance",
        "[instance: c3] Took 2.5 seconds to spawn",
    ]
    assert results[0].pattern_id == results[2].pattern_id


def test_lines_whose_pid_column_the_scanner_missed_are_no_evidence() -> None:
    # The pid is read as header before a capitalised word only; the lines where it was
    # missed open with a number, as the field does: they do not make it message.
    lines = [
        "2026-03-02 10:00:00 4121 status installed libc6:amd64 2.36-9",
        "2026-03-02 10:00:01 4121 Setting up libc6:amd64 (2.36-9) ...",
        "2026-03-02 10:00:02 4121 Unpacking zlib1g:amd64 (1.2.13) ...",
    ]
    assert _messages(lines)[1:] == [line[25:] for line in lines[1:]]


def test_a_pid_and_a_logger_after_the_level_are_learned_as_columns() -> None:
    # Python's "%(asctime)s %(levelname)s %(process)d %(name)s %(message)s": the pid and the
    # logger repeat while the text after them varies; once learned (three lines), later
    # lines lose them
    words = ["Opened pool of 4", "query took 5 ms", "Closed pool", "retrying in 2 s", "done"]
    lines = [f"2026-03-02 10:00:0{k} INFO {4121 + k % 2} app.db {w}" for k, w in enumerate(words)]
    engine = Engine(EngineConfig(default_year=2026))
    results = [engine.process(line) for line in lines]
    assert [r.message for r in results[3:]] == words[3:]
    assert results[4].header.component == "app.db"


def test_evidence_from_later_lines_splits_cached_lines_alike() -> None:
    lines = [*_GO_LOG, *_GO_LOG, "2026/03/02 10:00:09 [instance: ffff] Terminating instance"]
    cached = Engine(EngineConfig(default_year=2026))
    full = Engine(EngineConfig(default_year=2026, shape_cache=False))
    assert [cached.process(x).message for x in lines] == [full.process(x).message for x in lines]


def test_a_name_padded_to_a_width_stays_a_column_beside_a_source_without_one() -> None:
    # two sources of one layout interleaved: "<time> LEVEL message" and "<time> LEVEL
    # name(padded to 12) message"; the padding says the name is a formatter's column, even
    # where the other source's lines have no name there
    plain = [f"2026-03-03 08:00:0{k},100 INFO     job {k} queued for run" for k in range(3)]
    named = [
        f"2026-03-03 08:00:0{k},200 DEBUG    {name:<12} Loaded section {k} of the config"
        for k, name in enumerate(["root", "cli.args", "root"])
    ]
    mixed = [line for pair in zip(plain, named, strict=True) for line in pair]
    got = _messages(mixed)
    assert got[1::2] == [f"Loaded section {k} of the config" for k in range(3)]
    assert got[0::2] == [f"job {k} queued for run" for k in range(3)]
