"""Volume spikes and drops, error bursts: on a steady synthetic stream with one event injected."""

from __future__ import annotations

from datetime import timedelta

from detect_support import T0, line, patterns, steady
from hypothesis import given, settings
from hypothesis import strategies as st

from logsum import Severity
from logsum.core.analysis import AnalysisOptions, AnomalyType, analyze_batch
from logsum.core.detect.rate import robust, robust_sparse

WINDOWED = {
    AnomalyType.VOLUME_SPIKE,
    AnomalyType.VOLUME_DROP,
    AnomalyType.ERROR_BURST,
    AnomalyType.NEW_PATTERN,
}


def build(events: list[tuple[float, str]], errors: set[str] = frozenset()):  # type: ignore[assignment]
    events = sorted(events)
    results = [
        line(
            i + 1,
            pid,
            seconds=t,
            severity=Severity.ERROR if pid in errors else Severity.INFO,
            message=f"request {pid} failed with status 500" if pid in errors else None,
        )
        for i, (t, pid) in enumerate(events)
    ]
    return results, patterns(results)


def test_a_steady_stream_has_no_anomalies() -> None:
    results, pats = build(steady(100))
    report = analyze_batch(results, pats)
    assert [a for a in report.anomalies if a.type in WINDOWED] == []


def test_a_spike_is_found_in_its_minute_with_baseline_and_lines() -> None:
    events = steady(100) + [(50 * 60 + i, "b") for i in range(40)]
    results, pats = build(events)
    spikes = [
        a for a in analyze_batch(results, pats).anomalies if a.type is AnomalyType.VOLUME_SPIKE
    ]
    assert len(spikes) == 1
    spike = spikes[0]
    assert spike.pattern_ids == ("b",)
    assert spike.window is not None
    assert spike.window.start <= T0 + timedelta(minutes=50) < spike.window.end
    assert spike.window.end - spike.window.start == timedelta(minutes=1)
    assert spike.evidence["baseline_median"] == 5
    assert spike.evidence["observed_peak"] == 45
    assert spike.line_count == 45
    assert 0 < len(spike.lines) <= spike.line_count
    assert all(results[n - 1].pattern_id == "b" for n in spike.lines)
    assert 0.5 <= spike.score < 1


def test_silence_is_a_drop_of_the_whole_volume() -> None:
    events = [(t, p) for t, p in steady(100) if not 60 * 60 <= t < 63 * 60]
    results, pats = build(events)
    drops = [a for a in analyze_batch(results, pats).anomalies if a.type is AnomalyType.VOLUME_DROP]
    assert len(drops) == 1
    drop = drops[0]
    assert drop.evidence["scope"] == "total"
    assert drop.window is not None
    assert drop.window.start == T0 + timedelta(minutes=60)
    assert drop.window.end == T0 + timedelta(minutes=63)
    assert drop.severity is Severity.ERROR
    assert "silent" in drop.message


def test_error_burst_names_the_failing_pattern() -> None:
    base = steady(100, pids=("a", "b", "c", "d", "a", "b", "c", "e"))
    events = base + [(40 * 60 + 2 * i, "e") for i in range(20)]
    results, pats = build(events, errors={"e"})
    bursts = [
        a for a in analyze_batch(results, pats).anomalies if a.type is AnomalyType.ERROR_BURST
    ]
    assert len(bursts) == 1
    burst = bursts[0]
    assert burst.pattern_ids[0] == "e"
    assert burst.evidence["observed_share"] > burst.evidence["baseline_share"] + 0.3
    assert burst.window is not None and burst.window.start == T0 + timedelta(minutes=40)


MOSTLY_ERRORS = ("a", "e", "f", "e", "f", "b")  # two lines in three are errors, as in sshd's logs


def test_an_error_burst_is_found_where_errors_are_most_lines_anyway() -> None:
    # 30 more lines of a known error in one minute: the error share only goes from 67% to
    # 86%, but the minute has 3.3 times its usual error lines.
    events = steady(100, pids=MOSTLY_ERRORS) + [(40 * 60 + 2 * i, "e") for i in range(30)]
    results, pats = build(events, errors={"e", "f"})
    bursts = [
        a for a in analyze_batch(results, pats).anomalies if a.type is AnomalyType.ERROR_BURST
    ]
    assert len(bursts) == 1
    assert bursts[0].pattern_ids[0] == "e"
    assert bursts[0].window is not None and bursts[0].window.start == T0 + timedelta(minutes=40)


def test_a_surge_of_every_line_alike_is_no_error_burst() -> None:
    surge = [(40 * 60 + i + 0.5, MOSTLY_ERRORS[i % 6]) for i in range(60)]  # 60 more in a minute
    results, pats = build(steady(100, pids=MOSTLY_ERRORS) + surge, errors={"e", "f"})
    report = analyze_batch(results, pats)
    assert [a for a in report.anomalies if a.type is AnomalyType.ERROR_BURST] == []


def test_bucket_seconds_is_honoured() -> None:
    events = steady(100) + [(50 * 60 + i, "b") for i in range(80)]
    results, pats = build(events)
    report = analyze_batch(results, pats, options=AnalysisOptions(bucket_seconds=300))
    spike = next(a for a in report.anomalies if a.type is AnomalyType.VOLUME_SPIKE)
    assert spike.evidence["bucket_seconds"] == 300
    assert spike.window is not None
    assert spike.window.end - spike.window.start == timedelta(minutes=5)


def test_without_timestamps_buckets_are_line_ranges() -> None:
    events = steady(100) + [(50 * 60 + i, "b") for i in range(60)]
    results, _ = build(events)
    untimed = [line(r.line, r.pattern_id) for r in results]
    report = analyze_batch(untimed, patterns(untimed))
    spikes = [a for a in report.anomalies if a.type is AnomalyType.VOLUME_SPIKE]
    assert spikes and spikes[0].window is None
    assert spikes[0].pattern_ids == ("b",)


def test_memory_stays_bounded_on_a_long_stream() -> None:
    from logsum.core.detect.base import DEFAULT_LIMITS
    from logsum.core.detect.rate import RateDetector

    det = RateDetector(DEFAULT_LIMITS)
    det.feed_many([line(i + 1, f"p{i % 50}", seconds=i * 30.0) for i in range(100_000)])
    assert det.counter.cell_count <= DEFAULT_LIMITS.max_cells
    assert len(det.counter._cells) <= DEFAULT_LIMITS.max_buckets


def test_lines_under_a_folded_id_count_for_the_pattern_it_became() -> None:
    from dataclasses import replace

    events = steady(100) + [(50 * 60 + i, "b_old") for i in range(40)]
    results, pats = build(events)
    pats = [replace(p, aliases=("b_old",)) if p.id == "b" else p for p in pats if p.id != "b_old"]
    spikes = [
        a for a in analyze_batch(results, pats).anomalies if a.type is AnomalyType.VOLUME_SPIKE
    ]
    assert [a.pattern_ids for a in spikes] == [("b",)]
    assert spikes[0].evidence["observed_peak"] == 45


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.integers(0, 40).map(float), max_size=30),
    st.integers(0, 60),
)
def test_robust_on_a_sparse_series_is_robust_on_the_whole_series(
    values: list[float], zeros: int
) -> None:
    if values or zeros:
        assert robust_sparse(values, zeros) == robust(values + [0.0] * zeros)


def test_one_patterns_repeated_drops_are_runs_and_only_the_deepest_few() -> None:
    # Untimed lines (buckets are line ranges): pattern "a" is a third of the stream but absent
    # from seven stretches of 60 lines, two of them back to back. One anomaly per run of
    # empty buckets, and no more per pattern than spikes get: a pattern that comes and goes
    # must not fill the report with one drop per bucket (it gave 14 here).
    gaps = {5, 9, 13, 14, 18, 22, 26}
    pids = [p for k in range(40) for p in (["b", "c"] * 30 if k in gaps else ["a", "b", "c"] * 20)]
    results = [line(i + 1, p) for i, p in enumerate(pids)]
    drops = [
        a
        for a in analyze_batch(results, patterns(results)).anomalies
        if a.type is AnomalyType.VOLUME_DROP
    ]
    assert 1 <= len(drops) <= 3
    assert all(d.pattern_ids == ("a",) and d.line_count == 0 for d in drops)
    # Without timestamps a drop has no window: it says which lines, and a gap in line space (other
    # lines may have crowded the pattern out) is a warning, not an error.
    gap_lines = {k * 60 + j for k in gaps for j in range(60)}
    for d in drops:
        first, last = d.evidence["line_range"]  # type: ignore[misc]
        assert f"in lines {first:,}-{last:,}" in d.message
        assert {first, last} <= gap_lines
        assert d.severity is Severity.WARNING


# A package manager's log: silent for days, then a few hundred lines of one run, spread over
# many patterns.
QUIET_SOURCE = [
    (day * 86_400.0 + i * 0.5, f"p{i % 12}")
    for day, size in ((1, 240), (9, 90), (17, 400), (26, 60))
    for i in range(size)
]


def test_a_source_that_is_mostly_quiet_does_not_spike_when_it_is_active() -> None:
    # Its median per bucket is 0, so every run of activity used to be a total "volume spike
    # against a median of 0"; activity is how such a source occurs.
    results, pats = build(QUIET_SOURCE)
    spikes = [
        a for a in analyze_batch(results, pats).anomalies if a.type is AnomalyType.VOLUME_SPIKE
    ]
    assert spikes == []


def test_a_mostly_quiet_source_still_spikes_on_errors() -> None:
    events = QUIET_SOURCE + [(20 * 86_400.0 + i, "boom") for i in range(80)]
    results, pats = build(events, errors={"boom"})
    flagged = {
        pid
        for a in analyze_batch(results, pats).anomalies
        if a.type in (AnomalyType.VOLUME_SPIKE, AnomalyType.ERROR_BURST)
        for pid in a.pattern_ids
    }
    assert "boom" in flagged
