"""An engine saved and loaded (``Engine.to_state`` / ``Engine.from_state``) goes on as the engine
that never stopped: the same pattern, params, header split, time and severity for every later
line (a watch daemon restarted, a parse continued from a saved state)."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logsum import Engine, EngineConfig
from logsum.core.model import LineResult
from logsum.core.state import VERSION, StateError

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "tune"
V1_STATE = Path(__file__).resolve().parent / "data" / "engine-state-v1.json"
CONFIG = EngineConfig(default_year=2026, today=date(2026, 3, 2))


def _families() -> list[list[str]]:
    """The header corpus's tune part: each family's lines, in their order."""
    out = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        out.append([row["line"] for row in rows[1:]])
    return out


def _interleaved(groups: list[list[str]], seed: int) -> list[str]:
    """The families' lines shuffled into one stream, each family's lines kept in order (one
    key's logs come from many sources at once)."""
    rng = random.Random(seed)
    at = [0] * len(groups)
    live = [i for i, g in enumerate(groups) if g]
    out = []
    while live:
        i = rng.choice(live)
        out.append(groups[i][at[i]])
        at[i] += 1
        if at[i] == len(groups[i]):
            live.remove(i)
    return out


def _taught_then_used(n: int = 40) -> tuple[list[str], list[str]]:
    """Lines whose first half teaches the engine something that decides how the second half
    is read: a CSV header row naming its columns, the key of a JSON source's free-text
    message (later lines hold one word there), event names with context fields, a day-first
    date order (later dates fit either order), and a stack trace cut in the middle."""
    first: list[str] = []
    second: list[str] = []

    def block(lines: list[str]) -> None:
        first.extend(lines[: len(lines) // 2])
        second.extend(lines[len(lines) // 2 :])

    block(
        ["Timestamp,Level,Message,Source,Host,Region"]
        + [
            f"2026-03-02 10:{i:02d}:00,{'INFO' if i % 3 else 'WARN'},"
            f"{('started', 'stopped', 'paused')[i % 3]},worker pool {i % 4},host{i % 2},eu"
            for i in range(n)
        ]
    )
    block(
        [
            json.dumps(
                {
                    "when": f"2026-03-02T10:{i:02d}:01Z",
                    "sev": "info",
                    "detail": f"cache refreshed for tenant {i} in {i * 3} ms"
                    if i < 3
                    else ("flushed" if i % 2 else "rotated"),
                    "shard": i % 5,
                }
            )
            for i in range(n)
        ]
    )
    block(
        [
            json.dumps(
                {
                    "time": f"2026-03-02T10:{i:02d}:02Z",
                    "level": "info",
                    "msg": "request",
                    "method": ("GET", "POST")[i % 2],
                    "path": f"/api/v1/items/{i}",
                    "status": 200 + i % 3,
                }
            )
            for i in range(n)
        ]
    )
    block(
        [
            f"{13 + i if i < 3 else 1 + i % 12:02d}/03/2026 10:{i:02d}:03 INFO scheduler: "
            f"job {i} queued on node-{i % 3}"
            for i in range(n)
        ]
    )
    first += [
        "2026-03-02 10:59:00,001 ERROR [main] app.Worker - job failed",
        "java.lang.IllegalStateException: queue closed",
        "\tat app.Queue.take(Queue.java:41)",
    ]
    second[:0] = ["\tat app.Worker.run(Worker.java:88)", "\t... 3 more"]
    return first, second


def _stream(seed: int) -> tuple[list[str], int]:
    """A varied stream and where it is cut: the corpus interleaved, cut in the middle, with the
    teaching lines just before the cut and the lines they decide just after it."""
    base = _interleaved(_families(), seed)
    first, second = _taught_then_used()
    half = len(base) // 2
    return base[:half] + first + second + base[half:], half + len(first)


def _patterns(engine: Engine) -> list[Any]:
    return sorted(
        (p.id, p.template, p.count, p.severity, p.first_seen, p.last_seen, p.params, p.aliases)
        for p in engine.patterns()
    )


def _saved(lines: list[str], cut: int) -> dict[str, Any]:
    """The state of an engine that read ``lines[:cut]``, as a file or a store keeps it."""
    before = Engine(CONFIG)
    for line in lines[:cut]:
        before.process(line)
    return json.loads(json.dumps(before.to_state()))


def _restored(state: dict[str, Any], lines: list[str]) -> tuple[Engine, list[LineResult]]:
    after = Engine.from_state(json.loads(json.dumps(state)), CONFIG)
    return after, [after.process(line) for line in lines]


@pytest.mark.parametrize("seed", [11, 23])
def test_restored_engine_reads_the_rest_as_the_one_that_never_stopped(seed: int) -> None:
    lines, cut = _stream(seed)
    whole = Engine(CONFIG)
    expected = [whole.process(line) for line in lines]
    after, got = _restored(_saved(lines, cut), lines[cut:])
    assert len(got) == len(lines) - cut
    # line by line: pattern id, severity, time, message, params, header, continuation
    wrong = [(expected[cut + i], r) for i, r in enumerate(got) if r != expected[cut + i]]
    assert wrong == []
    assert _patterns(after) == _patterns(whole)


def test_what_was_learned_decides_the_rest() -> None:
    """The same stream restored from a state without what was learned (as version 1 saved it)
    reads the lines after the cut otherwise: the test above would fail without it."""
    lines, cut = _stream(11)
    whole = Engine(CONFIG)
    expected = [whole.process(line) for line in lines][cut:]

    saved = _saved(lines, cut)
    # each part on its own changes results
    for part in ("csv_columns", "json_keys", "date_orders", "sources", "headers", "record"):
        state = json.loads(json.dumps(saved))
        state["learned"].pop(part)
        # (the lines the taught ones decide come first; layouts and sources are the corpus's)
        n = len(expected) if part in ("headers", "sources") else 100
        _, got = _restored(state, lines[cut : cut + n])
        assert got != expected[:n], part
    # (a source's delimited message columns, and the fields some of a source's lines lack:
    # parts of the header layouts' memory)
    for memory in (("delimited",), ("heads", "decided", "values")):
        state = json.loads(json.dumps(saved))
        for key in memory:
            state["learned"]["headers"][key] = []
        _, got = _restored(state, lines[cut:])
        assert got != expected, memory
    # the CSV rows after the header row: the column named Message is the message
    _, got = _restored(saved, lines[cut:])
    rest = lines[cut:]
    csv_rows = [(line, r) for line, r in zip(rest, got, strict=True) if ",worker pool " in line]
    assert len(csv_rows) == 21
    assert all(r.message == line.split(",")[2] for line, r in csv_rows)
    # the day-first order settled before the cut reads 09/03/2026 as 9 March
    dated = [(line, r) for line, r in zip(rest, got, strict=True) if " scheduler: job " in line]
    assert len(dated) == 20
    assert all(r.timestamp is not None and r.timestamp.day == int(line[:2]) for line, r in dated)
    # the trace cut by the save goes on as the record it began
    assert got[0].continuation and got[1].continuation


def test_state_of_the_previous_version_still_loads() -> None:
    """A state saved by version 1 (the file was written by that version's code) loads: its
    patterns, ids, counts and examples, and later lines join them."""
    state = json.loads(V1_STATE.read_text(encoding="utf-8"))
    assert state["version"] == 1
    engine = Engine.from_state(state, CONFIG)
    assert sorted((p.template, p.count) for p in engine.patterns()) == [
        ("Accepted password for <*> from <*> port <*> ssh2", 12),
        ("Job <*> failed", 1),
        ("Job <*> finished in <*> ms", 12),
        ("cache <*> is <*> full", 12),
    ]
    line = "2026-03-02 10:05:00,001 INFO  [worker-1] app.Jobs - Job 77 finished in 3 ms"
    r = engine.process(line)
    assert r.pattern_id == "p_2008694dfe980e6d"
    assert r.params == ("77", "3")
    assert engine.to_state()["version"] == VERSION


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"version": 3}, "unsupported engine state version: 3"),
        ({"version": True}, "unsupported engine state version"),
        ({"version": "2"}, "unsupported engine state version"),
        ({"learned": []}, "learned must be an object"),
        ({"learned": {"sources": [["ts0 level", -1]]}}, "learned"),
        ({"learned": {"json_keys": [["level", "msg"]]}}, "learned"),
        ({"learned": {"csv_columns": [[",", 4, [0, 9, 1, 2]]]}}, "learned"),
        ({"learned": {"date_orders": [["0/0/0", ["xyz"]]]}}, "learned"),
        ({"learned": {"headers": {"layouts": [["0000", [{"header": 3}]]]}}}, "learned"),
        ({"learned": {"miner": {"keys": "user"}}}, "learned"),
        ({"learned": {"record": {"pattern": "p_x", "severity": "loud"}}}, "learned"),
    ],
)
def test_unknown_version_or_malformed_state_is_refused_clearly(
    change: dict[str, Any], says: str
) -> None:
    engine = Engine(CONFIG)
    engine.process("2026-03-02 10:00:00 INFO app: started")
    state = {**json.loads(json.dumps(engine.to_state())), **change}
    if "learned" in change and isinstance(change["learned"], dict):
        state["learned"] = {**engine.to_state()["learned"], **change["learned"]}
        # (a record naming an unknown pattern is ignored: only a bad severity fails here)
        if "record" in change["learned"]:
            state["learned"]["record"]["pattern"] = engine.patterns()[0].id
    with pytest.raises(StateError, match=says):
        Engine.from_state(state, CONFIG)


def test_state_follows_patterns_not_lines() -> None:
    """Ten times the lines of the same kinds give a state of about the same size."""

    def size(n: int) -> int:
        engine = Engine(CONFIG)
        for i in range(n):
            engine.process(
                f"2026-03-02 10:{i % 60:02d}:{i % 60:02d},{i % 1000:03d} INFO  [w-{i % 7}] "
                f"app.Jobs - Job {i} finished in {i % 97} ms for user u{i % 13}"
            )
            engine.process(json.dumps({"time": "2026-03-02T10:00:00Z", "msg": f"got {i}"}))
        return len(json.dumps(engine.to_state()))

    small, large = size(300), size(3_000)
    assert large < 1.2 * small


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 300)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _taught() -> dict[str, Any]:
    engine = Engine(CONFIG)
    first, _ = _taught_then_used(8)
    engine.process_many([*first, "2026-03-02 10:00:00 INFO [main] app.Jobs - job 1 done"])
    return json.loads(json.dumps(engine.to_state()))


_STATE = _taught()


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(sorted(_STATE["learned"])),
    st.lists(st.integers(0, 3), max_size=3),
    _JSON,
)
def test_any_damaged_learned_part_loads_or_is_refused(
    part: str, path: list[int], value: Any
) -> None:
    """A saved state from an untrusted place: whatever a learned part (or a value inside it)
    holds, loading gives an engine that reads lines, or a StateError; never another error."""
    state = json.loads(json.dumps(_STATE))
    holder: Any = state["learned"]
    key: Any = part
    for step in path:  # down into the part, where it has lists or objects
        inner = holder[key]
        if isinstance(inner, list) and inner:
            holder, key = inner, step % len(inner)
        elif isinstance(inner, dict) and inner:
            holder, key = inner, sorted(inner)[step % len(inner)]
        else:
            break
    holder[key] = value
    try:
        engine = Engine.from_state(state, CONFIG)
    except StateError:
        return
    for line in _taught_then_used(8)[1]:
        engine.process(line)
