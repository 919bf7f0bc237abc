"""Invariants that must hold for any input (hypothesis)."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logsum import WILDCARD, Engine, EngineConfig

# Log-like text: words, numbers, punctuation that masking cares about, and anything at all.
_word = st.sampled_from(
    ["error", "user", "from", "port", "uid=0", "10.0.0.1:80", "/var/log", "0x1f", "[x]", "a,b"]
)
_loglike = st.lists(st.one_of(_word, st.integers(0, 10**9).map(str)), min_size=0, max_size=12).map(
    " ".join
)
_lines = st.lists(st.one_of(_loglike, st.text(max_size=80)), min_size=1, max_size=40)


def _covers(template: str, message: str) -> bool:
    """True when ``message`` (tokens joined by single spaces) fits ``template``."""
    parts = [re.escape(p) for p in template.split(WILDCARD)]
    return re.fullmatch(r"(?s:.*?)".join(parts), message) is not None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_lines, st.booleans())
def test_every_line_matches_its_patterns_final_template(
    lines: list[str], message_only: bool
) -> None:
    engine = Engine(message_only=message_only)
    results = [engine.process(line) for line in lines]
    for r in results:
        assert r.line >= 1
        if r.continuation:
            continue
        template = engine.template(r.pattern_id)
        message = " ".join(r.message.split())
        assert _covers(template, message), (template, message)


@settings(max_examples=100, deadline=None)
@given(_lines)
def test_any_input_string_is_handled_and_counted(lines: list[str]) -> None:
    engine = Engine(EngineConfig(max_patterns=8, max_line_chars=64, max_tokens=6))
    results = [engine.process(line) for line in lines]
    assert [r.line for r in results] == list(range(1, len(lines) + 1))
    assert len(engine.patterns()) <= 8
    records = sum(1 for r in results if not r.continuation)
    assert sum(p.count for p in engine.patterns()) <= records


@settings(max_examples=60, deadline=None)
@given(_lines)
def test_state_survives_json_round_trip(lines: list[str]) -> None:
    engine = Engine()
    for line in lines:
        engine.process(line)
    again = Engine.from_state(json.loads(json.dumps(engine.to_state())))
    assert [(p.id, p.template, p.count) for p in again.patterns()] == [
        (p.id, p.template, p.count) for p in engine.patterns()
    ]
