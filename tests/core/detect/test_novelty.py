"""new_pattern (with and without a caller history) and rare_pattern."""

from __future__ import annotations

from detect_support import line, patterns, steady

from logsum import Severity
from logsum.core.analysis import AnomalyType, analyze_batch


def _stream(extra: list[tuple[float, str, Severity]]) -> list:  # type: ignore[type-arg]
    events = [(t, p, Severity.INFO) for t, p in steady(100)] + extra
    events.sort(key=lambda e: e[0])
    return [
        line(i + 1, p, seconds=t, severity=s, message=f"worker {p} stopped: disk error")
        if s is not Severity.INFO
        else line(i + 1, p, seconds=t)
        for i, (t, p, s) in enumerate(events)
    ]


def test_with_history_every_unknown_pattern_is_new() -> None:
    results = _stream([(30.0, "x", Severity.INFO)])
    report = analyze_batch(results, patterns(results), known_pattern_ids={"a", "b", "c", "d"})
    new = [a for a in report.anomalies if a.type is AnomalyType.NEW_PATTERN]
    assert [a.pattern_ids for a in new] == [("x",)]
    assert new[0].evidence["baseline"] == "caller history"
    assert new[0].lines == (results[[r.pattern_id for r in results].index("x")].line,)


def test_with_history_nothing_known_is_reported_new() -> None:
    results = _stream([])
    report = analyze_batch(results, patterns(results), known_pattern_ids={"a", "b", "c", "d"})
    assert not [a for a in report.anomalies if a.type is AnomalyType.NEW_PATTERN]


def test_without_history_a_late_repeated_error_pattern_is_new() -> None:
    extra = [(80 * 60 + 5 * i, "x", Severity.ERROR) for i in range(10)]
    results = _stream(extra)
    report = analyze_batch(results, patterns(results))
    new = [a for a in report.anomalies if a.type is AnomalyType.NEW_PATTERN]
    assert [a.pattern_ids for a in new] == [("x",)]
    assert new[0].severity is Severity.ERROR
    assert new[0].line_count == 10
    assert new[0].evidence["chance_if_steady"] < 0.001


def test_without_history_one_late_line_is_rare_not_new() -> None:
    results = _stream([(80 * 60, "x", Severity.ERROR)])
    report = analyze_batch(results, patterns(results))
    kinds = {a.type for a in report.anomalies if "x" in a.pattern_ids}
    assert kinds == {AnomalyType.RARE_PATTERN}


def test_info_patterns_are_not_new_without_history() -> None:
    results = _stream([(80 * 60 + i, "x", Severity.INFO) for i in range(3)])
    report = analyze_batch(results, patterns(results))
    assert not [a for a in report.anomalies if a.type is AnomalyType.NEW_PATTERN]
