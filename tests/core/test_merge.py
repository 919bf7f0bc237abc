"""Merging the patterns of engines that mined consecutive parts of one input."""

from __future__ import annotations

import pytest

from logsum import Engine
from logsum.core.merge import merge_states, partition_state, starts_record
from logsum.core.state import StateError

LINES = [
    "2024-03-01 10:00:0{i} INFO Connection from 10.0.0.{i} closed",
    "2024-03-01 10:00:0{i} ERROR Disk /dev/sd{i} failed after {i}0 retries",
    "2024-03-01 10:00:0{i} INFO User alice{i} logged in from 10.1.0.{i}",
    "2024-03-01 10:00:0{i} WARN Queue depth {i}00 above limit",
]


def _lines(n: int, offset: int = 0) -> list[str]:
    return [LINES[k % len(LINES)].format(i=(k + offset) % 10) for k in range(n)]


def _mine(lines: list[str]) -> tuple[Engine, list[str]]:
    e = Engine()
    return e, [e.process(line).pattern_id for line in lines]


def test_merged_counts_times_and_ids_equal_one_engine() -> None:
    lines = _lines(80)
    one, _ = _mine(lines)
    parts = [lines[:30], lines[30:55], lines[55:]]
    mined = [_mine(p) for p in parts]
    merged = merge_states([partition_state(e) for e, _ in mined])
    got = {p.template: p for p in merged.engine().patterns()}
    want = {p.template: p for p in one.patterns()}
    assert got.keys() == want.keys()
    for t, p in want.items():
        assert (got[t].id, got[t].count, got[t].first_seen, got[t].last_seen) == (
            p.id,
            p.count,
            p.first_seen,
            p.last_seen,
        )
        assert got[t].severity == p.severity
    assert merged.lines == 80
    # Every line's partition id answers to the merged pattern of its template.
    for (e, ids), mapping in zip(mined, merged.mappings, strict=True):
        for pid in ids:
            assert merged.engine().template(mapping[pid]) == e.template(pid)


def test_templates_one_engine_would_merge_become_one() -> None:
    # Each partition sees one user name; together they are four: one engine makes the name a
    # variable (min_word_values), and so does the merge.
    parts = [[f"Session opened for user {name} by admin"] * 3 for name in "abcd"]
    mined = [_mine(p) for p in parts]
    merged = merge_states([partition_state(e) for e, _ in mined])
    one, _ = _mine([line for p in parts for line in p])
    assert [p.template for p in merged.engine().patterns()] == [p.template for p in one.patterns()]
    assert merged.engine().patterns()[0].count == 12
    assert len({m[ids[0]] for (_, ids), m in zip(mined, merged.mappings, strict=True)}) == 1


def test_merge_is_pure_and_deterministic() -> None:
    states = [partition_state(_mine(_lines(20, k))[0]) for k in range(3)]
    before = repr(states)
    a = merge_states(states)
    b = merge_states(states)
    assert repr(states) == before
    assert a.state == b.state and a.mappings == b.mappings


def test_merged_state_loads_and_keeps_partition_ids_as_aliases() -> None:
    e1, ids1 = _mine(["Job 1 started on node-a"] * 2)
    e2, _ = _mine(["Job 7 started on node-b"] * 2)
    merged = merge_states([partition_state(e1), partition_state(e2)])
    engine = Engine.from_state(merged.state)
    assert engine.resolve(ids1[0]) == merged.mappings[0][ids1[0]]


def test_engines_of_different_kinds_do_not_merge() -> None:
    raw = Engine()
    bare = Engine(message_only=True)
    raw.process("x")
    bare.process("x")
    with pytest.raises(StateError):
        merge_states([raw.to_state(), bare.to_state()])
    with pytest.raises(StateError):
        merge_states([{"format": "something else"}])


def test_starts_record() -> None:
    assert starts_record("2024-03-01 10:00:00 ERROR boom")
    assert not starts_record("    at com.example.Foo.bar(Foo.java:12)")
    assert not starts_record("Caused by: java.io.IOException: x")
    assert not starts_record("")
    assert starts_record("    indented", message_only=True)


def _state(*patterns: tuple[str, list[str], int, list[list[str]]]) -> dict[str, object]:
    return {
        "format": "logsum.engine-state",
        "version": 1,
        "line_count": sum(p[2] for p in patterns),
        "patterns": [
            {"id": pid, "tokens": tokens, "count": n, "order": i, "examples": examples}
            for i, (pid, tokens, n, examples) in enumerate(patterns)
        ],
        "aliases": {},
    }


def test_a_word_slot_one_partition_made_is_decided_with_every_partitions_words() -> None:
    # Partition 0 made "state <*>" of two words only; partition 1 kept one word as an event.
    # Two words are fewer than min_word_values (4): one engine keeps them apart, so does the
    # merge; values that masking finds (true/false) stay a variable.
    a = _state(
        ("p_a", ["Job", "<*>", "now"], 5, [["started", "paused"]]),
        ("p_b", ["flag", "<*>"], 2, [["true", "false"]]),
    )
    b = _state(("p_c", ["Job", "paused", "now"], 3, []))
    merged = merge_states([a, b])
    got = {p.template: p.count for p in merged.engine().patterns()}
    assert got == {"Job started now": 5, "Job paused now": 3, "flag <*>": 2}


def test_a_partition_pattern_one_engine_keeps_apart_is_split_with_exact_counts() -> None:
    # This partition's engine merged two words on little evidence (min_word_values=2); the
    # merge, with the engine's default rule, keeps the events apart: each line goes where its
    # masked form went, and the counts follow the lines.
    from logsum.core.config import EngineConfig
    from logsum.core.merge import apply_moves, route

    users = [("Failed", "bob"), ("Accepted", "amy"), ("Failed", "eve"), ("Failed", "bob")]
    users += [("Accepted", "joe")]
    lines = [
        f"2024-03-01 10:00:0{i} INFO {word} login for {user} from 10.0.0.{i}"
        for i, (word, user) in enumerate(users)
    ]
    part = Engine(EngineConfig(min_word_values=2, min_slot_values=2))
    results = [part.process(line) for line in lines]
    assert len(part.patterns()) == 1
    merged = merge_states([partition_state(part)])
    assert merged.splits[0]
    engine = merged.engine()
    routed = []
    moves = []
    for r in results:
        default = merged.mappings[0][r.pattern_id]
        where = merged.splits[0][part.resolve(r.pattern_id)]
        pid = route(where, default, part.masked_tokens(r.message), engine)
        routed.append(pid)
        if pid != default:
            moves.append((default, pid, 1, None, None))
    for pid, (word, _) in zip(routed, users, strict=True):
        assert engine.template(pid).startswith(word)
    final = apply_moves(merged, moves).engine()
    counts = {p.id: p.count for p in final.patterns() if p.count}
    assert counts == {pid: routed.count(pid) for pid in set(routed)}
    assert sum(counts.values()) == len(lines)


def test_forms_a_pattern_remembers_are_bounded_and_saved() -> None:
    from logsum.core.merge import FORMS
    from logsum.core.miner import MAX_FORMS

    e = Engine()
    for i in range(40):
        e.process(f"Job {i} finished on node{i % 20} after {i} ms with {'x' * (i % 12)} flag")
    state = partition_state(e)
    assert state[FORMS]
    assert all(1 <= len(forms) <= MAX_FORMS for forms in state[FORMS].values())
    # Forms are masked token lists, first seen first: the first one created the pattern.
    first = next(p for p in state["patterns"] if p["id"] in state[FORMS])
    assert state[FORMS][first["id"]][0][0] == "Job"
    bad = dict(state)
    bad[FORMS] = {"p_x": "not a list"}
    with pytest.raises(StateError):
        merge_states([bad])


def test_lines_with_an_empty_message_merge_like_the_others() -> None:
    # A header with nothing after it (a blank line in a program's output log) is a pattern
    # with no tokens; its remembered form is the empty one, and the merge must take it.
    lines = [*_lines(12), "2024-03-01 10:00:09 INFO", "2024-03-01 10:00:09 INFO ", *_lines(6)]
    one, _ = _mine(lines)
    mined = [_mine(lines[:10]), _mine(lines[10:])]
    merged = merge_states([partition_state(e) for e, _ in mined])
    got = {p.template: (p.id, p.count) for p in merged.engine().patterns()}
    assert got == {p.template: (p.id, p.count) for p in one.patterns()}
