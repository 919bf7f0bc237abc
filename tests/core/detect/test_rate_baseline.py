"""Rates learned from a known-good baseline: the judged batch's level is compared with them."""

from __future__ import annotations

from detect_support import line, patterns, steady

from logsum.core.analysis import AnalysisOptions, Analyzer, AnomalyType, Baseline
from logsum.core.model import LineResult

PIDS = ("a", "b", "c", "d")
OPTIONS = AnalysisOptions(generate_insights=False)


def _lines(events: list[tuple[float, str]], offset: float = 0.0) -> list[LineResult]:
    return [line(i + 1, pid, seconds=t + offset) for i, (t, pid) in enumerate(sorted(events))]


def _baseline() -> Baseline:
    results = _lines(steady(120))  # 5 lines a minute of each pattern, for two hours
    learner = Analyzer(OPTIONS, learn_only=True)
    learner.feed_many(results)
    learned = learner.learned(patterns(results))
    assert learned.rates is not None
    return Baseline.from_dict(learned.to_dict())  # as the service stores it


def _judge(events: list[tuple[float, str]], baseline: Baseline | None) -> list:  # type: ignore[type-arg]
    results = _lines(events, offset=86_400.0)  # a day later
    analyzer = Analyzer(OPTIONS, baseline=baseline)
    analyzer.feed_many(results)
    report = analyzer.report(patterns(results))
    return [
        a for a in report.anomalies if a.type in (AnomalyType.VOLUME_SPIKE, AnomalyType.VOLUME_DROP)
    ]


def test_a_pattern_at_four_times_its_baseline_rate_all_along_is_one_spike() -> None:
    # "a" at 20 lines a minute for the whole hour (5 in the baseline; the threshold is 3x):
    # steady, so the batch's own median moved with it and only the baseline shows the change.
    events = steady(60) + [(i * 4.0 + 1.0, "a") for i in range(900)]
    assert _judge(events, None) == []
    (spike,) = _judge(events, _baseline())
    assert spike.type is AnomalyType.VOLUME_SPIKE
    assert spike.pattern_ids == ("a",)
    assert spike.evidence["compared_with"] == "baseline"
    (moved,) = spike.evidence["patterns"]  # type: ignore[misc]
    assert moved["observed"] > 3.5 * moved["expected"]
    assert "baseline's rate" in spike.message
    rates = spike.evidence["lines_per_second"]
    assert rates["baseline"] == 0.333  # type: ignore[index]  (20 lines a minute)
    assert rates["observed"] > rates["baseline"]  # type: ignore[index,operator]


def test_a_steady_pattern_absent_from_the_judged_lines_went_silent() -> None:
    events = [(t, p) for t, p in steady(60) if p != "d"]
    assert _judge(events, None) == []
    (drop,) = _judge(events, _baseline())
    assert drop.type is AnomalyType.VOLUME_DROP
    assert drop.pattern_ids == ("d",)
    assert "went silent" in drop.message


def test_the_same_rates_as_the_baseline_raise_nothing() -> None:
    assert _judge(steady(60), _baseline()) == []


def test_baselines_merge_their_rates_over_both_spans() -> None:
    one = _baseline()
    both = one.merged(one)
    assert both.rates is not None and one.rates is not None
    assert both.rates.seconds == 2 * one.rates.seconds
    assert both.rates.patterns == {p: 2 * n for p, n in one.rates.patterns.items()}


def test_an_occasional_pattern_has_no_rate_to_miss() -> None:
    # "z" came once, 50 lines in one minute of the two hours: its absence later is no drop.
    results = _lines(steady(120) + [(30 * 60 + i, "z") for i in range(50)])
    learner = Analyzer(OPTIONS, learn_only=True)
    learner.feed_many(results)
    learned = learner.learned(patterns(results))
    assert learned.rates is not None and set(learned.rates.patterns) == set(PIDS)
    assert _judge(steady(60), learned) == []
