"""The analysis entry point: options, determinism, streaming, JSON shape."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "detect"))
from detect_support import line, patterns, steady

from logsum import Engine, Severity
from logsum.core.analysis import (
    AnalysisOptions,
    Analyzer,
    AnomalyType,
    analyze_batch,
)
from logsum.core.errors import InvalidOption, LogsumError


def _batch() -> list:  # type: ignore[type-arg]
    events = steady(100) + [(50 * 60 + i, "b") for i in range(40)]
    events += [(80 * 60 + 5 * i, "x") for i in range(10)]
    events.sort()
    return [
        line(
            i + 1,
            p,
            seconds=t,
            severity=Severity.ERROR if p == "x" else Severity.INFO,
            message="disk quota exceeded on /data" if p == "x" else None,
        )
        for i, (t, p) in enumerate(events)
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"session_key": "(unclosed"},
        {"session_key": "x" * 500},
        {"bucket_seconds": 0},
        {"bucket_seconds": -5},
        {"bucket_seconds": True},
        {"bucket_seconds": 10**12},
    ],
)
def test_bad_options_raise_the_core_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidOption) as err:
        AnalysisOptions(**kwargs)  # type: ignore[arg-type]
    assert isinstance(err.value, LogsumError)
    assert str(err.value)


def test_session_keys_that_backtrack_in_re_are_bounded_while_they_run() -> None:
    """Valid keys are accepted up front. On these lines Python's re would backtrack for hours
    on each of them; the regex engine that runs a caller's key settles the nested repeats at
    once, and the key's time budget (1 s in hand, refilled by 0.2 ms a line) ends the one it
    can't."""
    results = [line(i, "p", message="a" * 40 + "!") for i in range(1, 4)]
    for key in (r"(a+)+$", r"(\w+\s?)*end"):
        t0 = time.monotonic()
        analyze_batch(results, patterns(results), options=AnalysisOptions(session_key=key))
        assert time.monotonic() - t0 < 1
    with pytest.raises(InvalidOption, match="backtracks"):
        options = AnalysisOptions(session_key="(a|a)*$")
        analyze_batch(results, patterns(results), options=options)


def test_same_input_same_report() -> None:
    results = _batch()
    one = analyze_batch(results, patterns(results)).to_dict()
    two = analyze_batch(list(results), patterns(results)).to_dict()
    assert one == two
    assert {a["type"] for a in one["anomalies"]} >= {"volume_spike", "new_pattern"}


def test_streaming_equals_batch() -> None:
    results = _batch()
    analyzer = Analyzer()
    for r in results[:1000]:
        analyzer.feed(r)
    analyzer.feed_many(results[1000:])
    assert analyzer.report(patterns(results)) == analyze_batch(results, patterns(results))


def test_to_dict_is_plain_json_with_utc_times() -> None:
    results = _batch()
    doc = analyze_batch(results, patterns(results)).to_dict()
    text = json.dumps(doc)  # raises on anything that is not plain JSON
    assert set(doc) == {"anomalies", "insights"}
    spike = next(
        a for a in doc["anomalies"] if a["type"] == "volume_spike" and a["pattern_ids"] == ["b"]
    )
    assert spike["window"]["start"] == "2024-03-01T00:50:00Z"
    assert set(spike) == {
        "id", "type", "severity", "score", "message", "pattern_ids", "window", "evidence",
        "lines", "line_count",
    }  # fmt: skip
    assert 0 <= spike["score"] <= 1
    assert "+00:00" not in text


def test_anomaly_ids_are_unique_and_stable_across_processes() -> None:
    results = _batch()
    ids = [a.id for a in analyze_batch(results, patterns(results)).anomalies]
    assert len(ids) == len(set(ids))
    spike = next(
        a
        for a in analyze_batch(results, patterns(results)).anomalies
        if a.type is AnomalyType.VOLUME_SPIKE
    )
    assert spike.id == "an_" + spike.id[3:] and len(spike.id) == 19


def test_switches_turn_parts_off() -> None:
    results = _batch()
    pats = patterns(results)
    off = analyze_batch(
        results, pats, options=AnalysisOptions(find_anomalies=False, generate_insights=False)
    )
    assert off.anomalies == () and off.insights == ()
    only_insights = analyze_batch(results, pats, options=AnalysisOptions(find_anomalies=False))
    assert only_insights.anomalies == ()
    assert only_insights.insights


def test_empty_and_tiny_batches_are_quiet() -> None:
    assert analyze_batch([], []).anomalies == ()
    engine = Engine()
    results = engine.process_many(["hello world", "", "\x00\x01 binary", "x" * 10_000])
    report = analyze_batch(results, engine.patterns())
    assert [a for a in report.anomalies if a.type is not AnomalyType.RARE_PATTERN] == []


def test_reporting_mid_stream_does_not_disturb_the_stream() -> None:
    results = _batch()
    analyzer = Analyzer()
    analyzer.feed_many(results[:1500])
    first = analyzer.report(patterns(results[:1500]))
    assert first == analyzer.report(patterns(results[:1500]))
    analyzer.feed_many(results[1500:])
    assert analyzer.report(patterns(results)) == analyze_batch(results, patterns(results))


@pytest.mark.parametrize("key", [r"blk_-?\d+", r"request_id=(\w+)", r"(\d{3}-)+\d+", r"(ab?)+"])
def test_ordinary_session_keys_are_accepted(key: str) -> None:
    assert AnalysisOptions(session_key=key).session_key == key
