"""The shape cache on its own: a line learned once is read again from its offsets, on lines equal
to it up to their digits or up to how long their numbers are, and only while that is safe."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from logsum import Engine, EngineConfig
from logsum.core.layouts import HeaderDetector
from logsum.core.masking import TokenMasker
from logsum.core.miner import Cluster
from logsum.core.model import Severity
from logsum.core.shapes import Shape, ShapeCache

LINE = "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 5.36.59.76 port 42393 ssh2"
TEMPLATE = "Failed password for root from <*> port <*> ssh2"


def _learned(size: int = 100) -> tuple[ShapeCache, Cluster]:
    masker = TokenMasker()
    cache = ShapeCache(size, 256, masker, 2024)
    headers = HeaderDetector(2024)
    found = headers.split(LINE)
    assert found is not None
    header, message = found
    raw = message.split()
    cluster = Cluster("p_1", TEMPLATE.split(), 0)
    shape = cache.learn(
        LINE,
        header=header,
        stamps=headers.last_stamps,
        message=message,
        cluster=cluster,
        raw_tokens=raw,
        masked=masker.mask_tokens(raw),
        level_severity=None,
        severity=Severity.INFO,
    )
    assert shape is not None
    return cache, cluster


def _parts(shape: Shape, line: str) -> tuple[object, ...]:
    stamp = shape.stamp(line)
    return (
        stamp,
        line[shape.message],
        tuple(line[p] for p in shape.params),
        shape.header_of(line, stamp),
    )


def test_a_line_equal_up_to_its_digits_is_read_at_the_same_offsets() -> None:
    cache, cluster = _learned()
    line = LINE.replace("46 LabSZ sshd[24200]", "48 LabSZ sshd[24201]").replace(
        "76 port 42393", "77 port 42394"
    )
    shape = cache.lookup(line)
    assert shape is not None and shape.cluster is cluster
    stamp, message, params, header = _parts(shape, line)
    assert stamp == datetime(2024, 12, 10, 6, 55, 48, tzinfo=UTC)
    assert message == "Failed password for root from 5.36.59.77 port 42394 ssh2"
    assert params == ("5.36.59.77", "42394")
    assert header == (stamp, None, "LabSZ", "sshd", "24201")


def test_numbers_that_changed_length_move_the_offsets_after_them() -> None:
    cache, _ = _learned()
    line = "Dec 1 06:55:48 LabSZ sshd[4201]: Failed password for root from 15.6.159.7 port 5 ssh2"
    shape = cache.lookup(line)
    assert shape is not None
    stamp, message, params, header = _parts(shape, line)
    assert stamp == datetime(2024, 12, 1, 6, 55, 48, tzinfo=UTC)
    assert message == "Failed password for root from 15.6.159.7 port 5 ssh2"
    assert params == ("15.6.159.7", "5")
    assert header == (stamp, None, "LabSZ", "sshd", "4201")


def test_a_word_with_other_digits_is_another_event() -> None:
    cache, _ = _learned()
    line = LINE.replace("42393 ssh2", "42394 ssh1")
    assert cache.lookup(line) is None


def test_a_shape_is_dropped_when_its_pattern_changes_or_goes() -> None:
    cache, cluster = _learned()
    assert cache.lookup(LINE) is not None
    cluster.version += 1_000_000  # the template was generalised since
    assert cache.lookup(LINE) is None
    cache, cluster = _learned()
    cluster.alive = False  # evicted or folded
    assert cache.lookup(LINE) is None


def test_clear_forgets_every_shape() -> None:
    cache, _ = _learned()
    cache.clear()
    assert cache.lookup(LINE) is None


def test_an_unknown_layout_is_not_replayed() -> None:
    cache, _ = _learned()
    assert cache.lookup("something else entirely, 42 times") is None


def _records(copies: int) -> list[str]:
    """Headered lines, stack traces and indented continuations, JSON and header-less lines and
    blank ones, with numbers that change (and grow) from one copy to the next."""
    out = []
    for i in range(copies):
        k = i * 37 + 1
        ts = f"2024-01-01 10:{i % 60:02d}:{i * 7 % 60:02d}"
        out += [
            f"{ts} ERROR Request {k} failed after {k * 3} ms",
            f"java.lang.IllegalStateException: boom {k}",
            # Traces of changing depth: a frame past max_record_lines starts a record (and
            # is learned); the same frame within the limit continues one.
            *(f"    at com.example.Foo.bar(Foo.java:{k % 500 + j})" for j in range(i % 6)),
            f"Caused by: java.io.IOException: disk {k}",
            f"\t... {k % 40} more",
            f"{ts} INFO [worker-{i % 12}] took {k} ms",
            f"Jun {i % 28 + 1} 15:16:01 combo sshd(pam_unix)[{k * 11}]: session opened for {k}",
            f'{{"time": "2024-01-01T10:00:{i % 60:02d}Z", "level": "warn", "msg": "job {k} done"}}',
            f"plain message without header {k}",
            "",
            f"  indented line {k}",
        ]
    return out


@pytest.mark.parametrize(
    ("message_only", "max_record_lines"), [(False, 1_000), (False, 3), (True, 1_000)]
)
def test_the_shape_cache_changes_no_result_on_multi_line_records(
    message_only: bool, max_record_lines: int
) -> None:
    lines = _records(150)
    on = EngineConfig(max_record_lines=max_record_lines)
    off = EngineConfig(max_record_lines=max_record_lines, shape_cache=False)
    cached, full = Engine(on, message_only=message_only), Engine(off, message_only=message_only)
    for line in lines:
        assert cached.process(line) == full.process(line), line
    assert cached.patterns() == full.patterns()
    assert full.full_path_lines == len(lines)
    # Lines that may continue a record, and JSON lines, always take the full path.
    assert cached.full_path_lines < len(lines) * 0.7, "the shape cache was hardly used"


_JSON_LINES = (
    # pino / bunyan: numeric level and epoch milliseconds
    '{"level":30,"time":1711111111123,"pid":4321,"hostname":"web-1","msg":"request 17 done"}',
    '{"level":50,"time":1711111112456,"pid":4321,"hostname":"web-1","msg":"upstream 3 failed"}',
    # zap: epoch seconds with a fraction, caller, a string level
    '{"level":"info","ts":1711111111.5821,"caller":"srv/main.go:42","msg":"listening on 8080"}',
    # an ISO time, a thread number, fields after the message
    '{"@timestamp":"2024-03-02T10:00:07.123Z","log.level":"WARN","process.pid":77,'
    '"message":"disk 91 percent full","disk":{"id":3,"free":1024}}',
    # digits in a string level, a numeric syslog severity, two time keys
    '{"severity":"3","time":"2024-03-02 10:00:00","msg":"cache 12 evicted"}',
    '{"PRIORITY":6,"__REALTIME_TIMESTAMP":"1711111111000000","MESSAGE":"unit 4 started ok"}',
    '{"t":{"$date":"2024-03-02T10:00:00.000+00:00"},"s":"I","c":"NETWORK","msg":"conn 8 ended"}',
    '{"ts":1711111111,"time":"2024-03-02T10:00:09Z","msg":"two times 5 here"}',
    # one-word events (fields become the message), a message seen twice in the line
    '{"event":"request","status":200,"took_ms":15,"path":"/v1/items/9"}',
    '{"msg":"job 5 ok","note":"job 5 ok"}',
    '{"msg":"negative pid 1","pid":-12,"level":"info"}',
)


def _fuzzed(line: str, rng: random.Random) -> str:
    """``line`` with each digit replaced at random (sometimes a run made longer or shorter):
    numbers may get leading zeros (``01`` is not JSON) or leave their range."""
    out = []
    for ch in line:
        if ch.isdigit():
            r = rng.random()
            if r < 0.05:
                continue
            out.append(str(rng.randrange(10)))
            if r > 0.95:
                out.append(str(rng.randrange(10)))
        else:
            out.append(ch)
    return "".join(out)


def test_the_shape_cache_changes_no_result_on_json_lines_whatever_their_digits() -> None:
    rng = random.Random(5)
    lines = [line if i % 3 == 0 else _fuzzed(line, rng) for i in range(300) for line in _JSON_LINES]
    cached, full = Engine(), Engine(EngineConfig(shape_cache=False))
    for line in lines:
        assert cached.process(line) == full.process(line), line
    assert cached.patterns() == full.patterns()
    # Sentences written as they are, in lines that parse, are replayed: of the lines above,
    # all but four (an event name, a message written twice, a negative pid, two time keys)
    # when they come again; a time in MongoDB's {"$date": ...} is read where it is written.
    again = Engine()
    for _ in range(50):
        for line in _JSON_LINES:
            again.process(line)
    assert again.full_path_lines <= 4 * 50 + len(_JSON_LINES)


_TAILED_LINES = (
    # (header, message, context) of formats that end a line with context columns.
    # zap's console encoder: a JSON object of context after the message
    (
        "2024-03-02T10:00:00.123+0100\tINFO\tserver/main.go:42\t",
        "starting server",
        '\t{"port": 8080}',
    ),
    # Monolog: context and extra columns, the last an empty list
    (
        "[2024-03-02T10:00:01.000210+00:00] request.DEBUG: ",
        "Matched route 7.",
        ' {"route":"r7"} []',
    ),
    # log4j "%m (%c)": the logger after the message
    ("[2024-03-02 10:00:06,000] INFO ", "Rolled segment 17 in 56 ms.", " (kafka.log.Log)"),
    # structlog's console: key=value pairs after a padded message
    ("2024-03-02 10:00:00 [info     ] ", "worker 3 started", "          queue=default conc=4"),
)


def test_the_shape_cache_changes_no_result_on_lines_that_end_with_context() -> None:
    # The digits after the header change at random: a context object may stop being JSON
    # (``01``), and then the header reader keeps it in the message; a line replayed from its
    # shape must too.
    rng = random.Random(7)
    lines = [
        head + (rest if i % 3 == 0 else _fuzzed(rest, rng))
        for i in range(200)
        for head, *parts in _TAILED_LINES
        for rest in ["".join(parts)]
    ]
    cached, full = Engine(), Engine(EngineConfig(shape_cache=False))
    for line in lines:
        assert cached.process(line) == full.process(line), line
    assert cached.patterns() == full.patterns()
    assert cached.full_path_lines < len(lines) * 0.3, "lines with context were not replayed"
    # The message is read at its place, before the context, when a line comes again.
    again = Engine()
    for _ in range(20):
        for head, message, context in _TAILED_LINES:
            assert again.process(head + message + context).message == message
    assert again.full_path_lines == len(_TAILED_LINES)


_AUDIT_LINES = (
    # Linux audit records (our own lines): the record's time in the msg value, then the text
    "type=SYSCALL msg=audit(1772445600.123:2401): arch=c000003e syscall=59 success=yes exit=0"
    ' a0=55d0c2 items=2 ppid=4120 pid=4130 auid=1000 uid=0 ses=3 comm="ls" exe="/usr/bin/ls"',
    "type=USER_LOGIN msg=audit(1772445600.123:456): pid=2210 uid=0 auid=1001 ses=12"
    " msg='op=login id=1001 exe=\"/usr/sbin/sshd\" hostname=10.0.0.5 addr=10.0.0.5 res=success'",
    'type=CWD msg=audit(1772445600.123:2401): cwd="/root"',
    "type=PROCTITLE msg=audit(1772445601.5:77): proctitle=6C73002D6C61",
)


def test_the_shape_cache_changes_no_result_on_audit_records_whatever_their_digits() -> None:
    # Fuzzed digits may make the msg value no time at all (a leading 2, too many digits): then
    # parsing reads the line as plain pairs, and a replay must too.
    rng = random.Random(11)
    lines = [
        line if i % 3 == 0 else _fuzzed(line, rng) for i in range(300) for line in _AUDIT_LINES
    ]
    cached, full = Engine(), Engine(EngineConfig(shape_cache=False))
    for line in lines:
        assert cached.process(line) == full.process(line), line
    assert cached.patterns() == full.patterns()
    assert any(full.process(line).timestamp is None for line in lines[:300])  # fuzz reached it
    # Records are replayed when they come again, each with its own time and type.
    again = Engine()
    for k in range(50):
        for line in _AUDIT_LINES:
            r = again.process(line.replace(":2401)", f":{2401 + k})"))
            assert r.timestamp is not None and r.header.component == line[5:].split()[0]
    assert again.full_path_lines <= 2 * len(_AUDIT_LINES)


def _hex_lines(rng: random.Random) -> list[str]:
    """Lines with hexadecimal ids (a request id, a UUID, a pointer) that change on every line,
    in the message or in a bracket of the header, where an id may also be all digits."""

    def hexa(k: int) -> str:
        return "".join(rng.choice("0123456789abcdef") for _ in range(k))

    lines = []
    for i in range(900):
        second = f"{rng.randrange(60):02d}"
        if i % 3 == 0:
            ms = rng.randrange(1, 999)
            lines.append(
                f"2026-03-02T10:00:{second}Z INFO worker: request {hexa(8)} done in {ms} ms"
            )
        elif i % 3 == 1:
            ctx = str(rng.randrange(100000, 999999)) if rng.random() < 0.3 else hexa(6)
            session = f"{hexa(8)}-{hexa(4)}-{hexa(4)}-{hexa(4)}-{hexa(12)}"
            lines.append(f"2026-03-02T10:00:{second}Z INFO [{ctx}] session {session} opened")
        else:
            pid = rng.randrange(100, 999)
            lines.append(f"Mar  2 10:00:{second} web-1 app[{pid}]: object 0x{hexa(12)} freed")
    return lines


def test_lines_that_differ_in_hexadecimal_ids_are_replayed_and_read_as_parsing_does() -> None:
    lines = _hex_lines(random.Random(4))
    cached, full = Engine(), Engine(EngineConfig(shape_cache=False))
    for line in lines:
        assert cached.process(line) == full.process(line), line
    assert cached.patterns() == full.patterns()
    # Ids do not make a line new, in the message or in a header bracket (where an id that is
    # all digits is another shape: a pid to the header reader).
    assert cached.full_path_lines < len(lines) * 0.1


def test_lines_with_ids_that_never_repeat_leave_memory_bounded() -> None:
    # Every line has a new id: replayed from one shape, and remembered only when an id comes
    # again, so memory does not follow the lines (20,000 lines of 300 characters: 6 MB).
    rng = random.Random(9)
    engine = Engine()
    pad = "x" * 220
    for i in range(20_000):
        ident = "".join(rng.choice("0123456789abcdef") for _ in range(32))
        engine.process(f"2026-03-02T10:00:{i % 60:02d}Z INFO request {ident} served {pad}")
    assert engine.full_path_lines < 50
    shapes = engine._shapes  # the cache's own estimate (the masker's memory is bounded apart)
    assert shapes is not None and shapes.held_bytes < 2 * 1024 * 1024
