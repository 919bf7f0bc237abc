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


def test_rare_errors_spread_through_the_batch_are_one_anomaly_a_bunched_one_stands_alone() -> None:
    # Five rare error patterns, each seen twice, far apart: the stream's ordinary trickle.
    spread = [
        (60.0 * (5 + 17 * k + 40 * j), f"e{k}", Severity.ERROR) for k in range(5) for j in (0, 1)
    ]
    # One rare error whose three lines come within ten seconds of each other.
    bunched = [(50 * 60 + 5.0 * i, "x", Severity.ERROR) for i in range(3)]
    results = _stream(spread + bunched)
    report = analyze_batch(results, patterns(results))
    rare = [a for a in report.anomalies if a.type is AnomalyType.RARE_PATTERN]
    grouped = [a for a in rare if a.evidence.get("grouped")]
    assert len(grouped) == 1
    assert sorted(grouped[0].pattern_ids) == [f"e{k}" for k in range(5)]
    assert grouped[0].line_count == 10 and grouped[0].severity is Severity.ERROR
    assert "5 rare error patterns" in grouped[0].message
    # Nothing else names the spread patterns; the bunched one is reported on its own.
    others = [a for a in report.anomalies if a not in grouped]
    assert not any(p.startswith("e") for a in others for p in a.pattern_ids)
    assert any(a.pattern_ids == ("x",) for a in others)


def test_a_single_rare_error_is_still_reported_by_name() -> None:
    results = _stream([(40 * 60, "x", Severity.ERROR), (41 * 60, "x", Severity.ERROR)])
    report = analyze_batch(results, patterns(results))
    rare = [a for a in report.anomalies if a.type is AnomalyType.RARE_PATTERN]
    assert [a.pattern_ids for a in rare] == [("x",)]
    assert "grouped" not in rare[0].evidence


def test_lines_under_ids_later_folded_into_a_known_pattern_are_not_new() -> None:
    # A package log judged against its history: the first lines of a known event went to
    # short-lived patterns ("x1", "x2", "x3") that the miner later folded into the known "a".
    # They were reported as three new patterns (50 on this machine's dpkg.log); they are "a".
    from dataclasses import replace

    results = _stream([(30.0 + k, f"x{k % 3 + 1}", Severity.INFO) for k in range(6)])
    pats = patterns(results)
    folded = [p for p in pats if not p.id.startswith("x")]
    a = next(p for p in folded if p.id == "a")
    folded[folded.index(a)] = replace(a, count=a.count + 6, aliases=("x1", "x2", "x3"))
    report = analyze_batch(results, folded, known_pattern_ids={"a", "b", "c", "d"})
    assert [a for a in report.anomalies if a.type is AnomalyType.NEW_PATTERN] == []
    # A pattern the history lacks is still new once, under its current id.
    known = {"b", "c", "d"}
    new = [
        a
        for a in analyze_batch(results, folded, known_pattern_ids=known).anomalies
        if a.type is AnomalyType.NEW_PATTERN
    ]
    assert [a.pattern_ids for a in new] == [("a",)]
