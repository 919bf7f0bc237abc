"""Interleaved sources: a line finds its own source's patterns, whatever other sources share
the stream (a source is the kind of header layout its lines have). The lines are written
here after the programs' documented default layouts."""

from __future__ import annotations

import random

from logsum import Engine
from logsum.core.config import EngineConfig

_ATTEMPT = ["NEW UNASSIGNED", "UNASSIGNED ASSIGNED", "ASSIGNED RUNNING", "RUNNING SUCCEEDED"]
_TASK = ["NEW SCHEDULED", "SCHEDULED RUNNING", "RUNNING SUCCEEDED"]
_CONTAINER = ["NEW ALLOCATED", "ALLOCATED ACQUIRED", "ACQUIRED RUNNING", "RUNNING COMPLETED"]
_WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
    "yankee",
    "zulu",
]


def _engine() -> Engine:
    return Engine(EngineConfig(default_year=2026))


def _time(k: int) -> str:
    return f"2026-03-02 10:{k // 60 % 60:02d}:{k % 60:02d},{k % 1000:03d}"


def _job_line(k: int, rnd: random.Random) -> str:
    """A MapReduce application master's line (log4j, with a thread)."""
    step = rnd.choice(_ATTEMPT + _TASK)
    x, y = step.split()
    if step in _ATTEMPT and rnd.random() < 0.6:
        what = f"attempt_1445144423722_0020_m_{k:06d}_0 TaskAttempt"
    else:
        what = f"task_1445144423722_0020_m_{k:06d} Task"
    return (
        f"{_time(k)} INFO [AsyncDispatcher event handler] org.example.mapreduce.TaskImpl: "
        f"{what} Transitioned from {x} to {y}"
    )


def _container_line(k: int, rnd: random.Random) -> str:
    """A resource manager's line (log4j, no thread)."""
    x, y = rnd.choice(_CONTAINER).split()
    return (
        f"{_time(k)} INFO org.example.yarn.RMContainerImpl: "
        f"container_1445144423722_0020_01_{k:06d} Container Transitioned from {x} to {y}"
    )


def test_two_sources_words_do_not_make_each_others_variables() -> None:
    # Alone, each source keeps its state names and its own word before "Transitioned";
    # interleaved, a line of one source must not turn the other's constants into <*>.
    rnd = random.Random(3)
    stream = [
        (_job_line(k, rnd), "job") if rnd.random() < 0.5 else (_container_line(k, rnd), "rm")
        for k in range(300)
    ]
    alone = set()
    for source in ("job", "rm"):
        engine = _engine()
        ids = [engine.process(line).pattern_id for line, s in stream if s == source]
        alone |= {engine.template(i) for i in ids}
    engine = _engine()
    ids = [engine.process(line).pattern_id for line, _ in stream]
    mixed = {engine.template(i) for i in ids}
    assert "<*> Container Transitioned from ALLOCATED to ACQUIRED" in alone
    assert mixed == alone


def _connection_line(k: int) -> str:
    """A proxy client's connection-closed line: the byte counts with or without their size
    in KB (four forms of one event, of three lengths)."""
    sent, received = 100 + 37 * k, 5000 + 211 * k
    sent_text = f"{sent} bytes" if k % 2 else f"{sent} bytes ({sent / 1000:.1f} KB)"
    received_text = f"{received} bytes" if k % 3 else f"{received} bytes ({received / 1000:.1f} KB)"
    return (
        f"[10.30 16:{k // 60 % 60:02d}:{k % 60:02d}] app.exe - proxy{k % 4}.example.org:5070 "
        f"close, {sent_text} sent, {received_text} received, lifetime {k % 50:02d}:{k % 60:02d}"
    )


def test_a_source_starting_among_many_new_patterns_still_merges_its_forms() -> None:
    # Another source brings a new pattern on nearly every line (as many sources starting
    # at once do); the proxy's forms of one event still become one pattern, as alone.
    rnd = random.Random(5)
    stream: list[tuple[str, bool]] = []
    for k in range(400):
        if k >= 150 and k % 4 == 0:
            stream.append((_connection_line(k), True))
        else:
            words = " ".join(rnd.sample(_WORDS, rnd.randint(3, 9)))
            stream.append((f"{_time(k)} INFO Worker{k % 7}: {words}", False))
    engine = _engine()
    ids = [engine.process(line).pattern_id for line, _ in stream]
    mine = {engine.resolve(i) for i, (_, m) in zip(ids, stream, strict=True) if m}
    alone = _engine()
    alone_ids = {alone.resolve(alone.process(line).pattern_id) for line, m in stream if m}
    assert len(alone_ids) == 1
    assert len(mine) == 1


def test_a_line_whose_own_pattern_differs_in_a_word_does_not_join_another_sources() -> None:
    # Source A's closing line differs from A's opening pattern in a word; B has the closing
    # event with another connection name glued to its number. Alone, A's closing line is a
    # pattern of its own; interleaved, it must not take B's pattern (and make B's name a
    # variable) because A's opening pattern was there first.
    a_open = "2026-03-02 10:00:00 INFO session conn12 opened by peer"
    a_close = "2026-03-02 10:00:01 INFO session conn12 closed by peer"
    b_close = "Mar  2 10:00:02 web1 app[77]: session conn77 closed by peer"
    alone = _engine()
    alone.process(a_open)
    expected = alone.template(alone.process(a_close).pattern_id)
    engine = _engine()
    b_id = engine.process(b_close).pattern_id
    engine.process(a_open)
    got = engine.process(a_close).pattern_id
    assert engine.template(got) == expected == "session conn12 closed by peer"
    assert engine.template(b_id) == "session conn77 closed by peer"


def test_a_run_learned_from_one_source_does_not_take_another_sources_thread_bracket() -> None:
    """An Erlang process and its function in angle brackets read as a header run
    ("<0.298.0>@web_app:start:31", lager) and a JVM thread in square brackets ("[main]") are
    different fields: interleaved, the JVM lines keep their logger out of the message, as they
    do alone."""
    erlang = "2026-03-02 10:00:0{} [info] <0.298.0>@web_app:start:31 listening on port 5222"
    jvm = "2026-03-02 10:00:0{} WARN  [pool-2-thread-1] com.example.billing.Rates - Slow: {} ms"
    engine = Engine(EngineConfig(default_year=2026))
    for i in range(3):
        assert engine.process(erlang.format(i)).message == "listening on port 5222"
        r = engine.process(jvm.format(i, 100 + i))
        assert r.message == f"Slow: {100 + i} ms"
        assert r.header.component == "com.example.billing.Rates"


def test_a_12_hour_source_keeps_its_marker_beside_24_hour_sources_of_the_same_shape() -> None:
    """Whether an AM/PM after a time is the time's is counted per source (its text before the
    time), not per timestamp shape: a stream of 24-hour "03/02/2026 14:00:00" lines does not
    turn another source's "10:15:32 AM" into a message word."""
    engine = Engine(EngineConfig(default_year=2026))
    for i in range(20):
        engine.process(f"03/02/2026 14:00:{i:02d} worker {i} finished its batch")
    r = engine.process("[Nest] 4120  - 03/02/2026, 10:15:32 AM     LOG [Router] Mapped the routes")
    assert r.message == "Mapped the routes"
    assert r.header.level == "INFO"
    assert r.timestamp is not None and r.timestamp.hour == 10
