"""An engine put away in compact form and brought back (``Engine.to_compact`` /
``Engine.from_compact``), and the engine's own memory estimate (``Engine.memory_bytes``)."""

from __future__ import annotations

import gc
import marshal
import tracemalloc

import pytest

from logsum import Engine, EngineConfig
from logsum.core.state import StateError


def _lines(n: int, seed: int = 0) -> list[str]:
    """Mixed raw lines of several conventions (written for this test), numbers varying."""
    out = []
    for i in range(seed, seed + n):
        m, sec, host = f"{i % 60:02d}", f"{i % 59:02d}", f"host{i % 4}.example.org:{5000 + i % 90}"
        line = (
            f"2026-03-02 10:{m}:{sec},{i % 1000:03d} INFO Started job {i} in {i % 97} ms",
            f"Mar  2 10:{m}:{sec} web{i % 3} sshd[{1000 + i}]: Accepted password for "
            f"user{i % 5} from 10.0.{i % 256}.{i % 7} port {40000 + i} ssh2",
            f"[10.30 16:{m}:{sec}] app.exe - {host} close, {100 + i * 7} bytes sent, "
            f"{i * 131} bytes received, lifetime <1 sec",
            f"[10.30 16:{m}:{sec}] app.exe - {host} close, {1000 + i * 7} bytes "
            f"({i % 9}.{i % 10} KB) sent, {i * 13} bytes received, lifetime {i % 30}:{m}",
            f'time=2026-03-02T10:{m}:00Z level=warn msg="slow query" table=orders '
            f"duration={i % 500}ms rows={i}",
            f"2026-03-02T10:{m}:{sec}.123Z ERROR [worker-{i % 4}] Failed to connect to "
            f"db{i % 2}:5432 after {i % 5} retries",
            f'{{"ts": "2026-03-02T10:{m}:00Z", "level": "info", "msg": "cache hit", '
            f'"key": "k{i}"}}',
        )[i % 7]
        out.append(line)
    return out


def _results(engine: Engine, lines: list[str]) -> list[tuple[object, ...]]:
    return [
        (r.pattern_id, r.params, r.timestamp, r.header, r.severity, r.continuation)
        for r in engine.process_many(lines)
    ]


def _patterns(engine: Engine) -> list[tuple[object, ...]]:
    return sorted((p.id, p.template, p.count, p.severity, p.params) for p in engine.patterns())


@pytest.mark.parametrize("shape_cache", [True, False])
def test_a_brought_back_engine_answers_as_the_warm_one(shape_cache: bool) -> None:
    config = EngineConfig(shape_cache=shape_cache)
    warm = Engine(config)
    warm.process_many(_lines(700))
    back = Engine.from_compact(warm.to_compact(), config)
    assert _patterns(back) == _patterns(warm)
    # The same lines again and new ones: the same ids, values, times and templates.
    more = _lines(300) + _lines(300, seed=5_000)
    parsed = warm.full_path_lines
    assert _results(back, more) == _results(warm, more)
    assert _patterns(back) == _patterns(warm)
    assert back.line_count == warm.line_count
    if shape_cache:
        # Its known lines replay their shapes as the warm engine's do, instead of being
        # parsed again (a few more are: shapes of lines whose numbers changed length).
        print(back.full_path_lines, warm.full_path_lines - parsed)
        assert back.full_path_lines <= 1.5 * (warm.full_path_lines - parsed) + 10


def test_put_away_twice_keeps_the_shapes_it_did_not_use() -> None:
    warm = Engine()
    warm.process_many(_lines(700))
    once = Engine.from_compact(warm.to_compact())
    once.process_many(_lines(20))  # wakes a few shapes only
    twice = Engine.from_compact(once.to_compact())
    warm.process_many(_lines(20))
    parsed = warm.full_path_lines
    assert _results(twice, _lines(700)) == _results(warm, _lines(700))
    assert twice.full_path_lines <= 1.5 * (warm.full_path_lines - parsed) + 10


def test_compact_form_is_small_and_bad_bytes_are_refused() -> None:
    engine = Engine()
    engine.process_many(_lines(2_000))
    data = engine.to_compact()
    assert len(data) < engine.memory_bytes() / 4
    for bad in (b"", b"not an engine", marshal.dumps(("other", 1)), data[: len(data) // 2]):
        with pytest.raises(StateError):
            Engine.from_compact(bad)


def test_memory_estimate_follows_what_the_engine_allocates() -> None:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        engine = Engine()
        engine.process_many(_lines(3_000))
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert 0.5 * used < engine.memory_bytes() < 2 * used


def test_a_brought_back_engine_reads_on_as_it_learned() -> None:
    """What decides how later lines are read comes back too: a CSV header row naming the
    message column, a day-first date order, the sources its patterns belong to."""
    warm = Engine()
    warm.process_many(
        ["Timestamp,Level,Message,Source,Host,Region"]
        + [f"2026-03-02 10:00:0{i},INFO,started,pool {i},host{i},eu" for i in range(3)]
        + [f"13/03/2026 10:01:0{i} INFO scheduler: job {i} queued" for i in range(2)]
    )
    back = Engine.from_compact(warm.to_compact())
    more = ["2026-03-02 10:02:00,WARN,paused,pool 9,host9,eu", "01/04/2026 10:03:00 INFO x: y"]
    got = back.process_many(more)
    assert [r.message for r in got] == [r.message for r in warm.process_many(more)]
    assert got[0].message == "paused"
    assert got[1].timestamp is not None and got[1].timestamp.month == 4
