"""Rates learned from a known-good baseline: the judged batch's level is compared with them."""

from __future__ import annotations

import pytest
from detect_support import line, patterns, steady

from logsum.core.analysis import AnalysisOptions, Analyzer, AnomalyType, Baseline
from logsum.core.detect.rate import RateProfile
from logsum.core.model import LineResult

PIDS = ("a", "b", "c", "d")
OPTIONS = AnalysisOptions(generate_insights=False)


def _lines(events: list[tuple[float, str]], offset: float = 0.0) -> list[LineResult]:
    return [line(i + 1, pid, seconds=t + offset) for i, (t, pid) in enumerate(sorted(events))]


def _learn(results: list[LineResult]) -> Baseline:
    learner = Analyzer(OPTIONS, learn_only=True)
    learner.feed_many(results)
    return learner.learned(patterns(results))


def _baseline() -> Baseline:
    learned = _learn(_lines(steady(120)))  # 5 lines a minute of each pattern, for two hours
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
    learned = _learn(results)
    assert learned.rates is not None and set(learned.rates.patterns) == set(PIDS)
    assert _judge(steady(60), learned) == []


def test_a_baseline_stored_before_rates_were_learned_still_judges() -> None:
    stored = _baseline().to_dict()
    for old in ({k: v for k, v in stored.items() if k != "rates"}, {**stored, "rates": None}):
        baseline = Baseline.from_dict(old)
        assert baseline.rates is None and baseline.pattern_ids
        # Nothing to compare the level with: the "d" that went silent is not a baseline drop.
        assert _judge([(t, p) for t, p in steady(60) if p != "d"], baseline) == []
        # Merged with a new learn, the new rates are kept.
        assert baseline.merged(_baseline()).rates == _baseline().rates


@pytest.mark.parametrize(
    "rates",
    [
        [],
        "60",
        {"seconds": 3600.0},  # no lines, no patterns
        {"seconds": "an hour", "lines": 10, "patterns": {}},
        {"seconds": 0.0, "lines": 10, "patterns": {"a": 10}},
        {"seconds": float("inf"), "lines": 10, "patterns": {"a": 10}},
        {"seconds": float("nan"), "lines": 10, "patterns": {"a": 10}},
        {"seconds": 3600.0, "lines": 10, "patterns": ["a", "b"]},
        {"seconds": 3600.0, "lines": 10, "patterns": {"a": -5}},
        {"seconds": 3600.0, "lines": 10, "patterns": {"a": 5}, "templates": 7},
    ],
)
def test_stored_rates_that_do_not_read_are_a_clear_error_and_left_out_of_the_baseline(
    rates: object,
) -> None:
    with pytest.raises(ValueError, match="rate profile"):
        RateProfile.from_dict(rates)  # type: ignore[arg-type]
    baseline = Baseline.from_dict({**_baseline().to_dict(), "rates": rates})
    assert baseline.rates is None and baseline.pattern_ids  # the rest of it still serves
    assert _judge(steady(60), baseline) == []


@pytest.mark.parametrize(
    "results",
    [
        [],  # an empty file
        [line(i + 1, PIDS[i % 4]) for i in range(400)],  # no timestamps
        [line(i + 1, PIDS[i % 4], seconds=30.0) for i in range(400)],  # one instant
    ],
    ids=["empty", "no-timestamps", "one-instant"],
)
def test_lines_without_a_span_of_time_learn_no_rates(results: list[LineResult]) -> None:
    learned = _learn(results)
    assert learned.rates is None and learned.to_dict()["rates"] is None
    assert Baseline.from_dict(learned.to_dict()).rates is None
    # Judging against it compares no levels and raises nothing of the sort.
    assert _judge([(t, p) for t, p in steady(60) if p != "d"], learned) == []


def test_a_late_line_opens_no_gap_in_a_steady_pattern() -> None:
    # Two hours of the four steady patterns in the order they arrived; every ten minutes one
    # line of "a" written half an hour earlier arrives late (a shipper's retry).
    arrived = steady(120)  # 20 lines a minute: line k * 200 comes at k * 600 s
    for k in range(1, 12):
        arrived.insert(k * 200, (max(1.0, k * 600.0 - 1800.0), "a"))
    results = [line(i + 1, p, seconds=t) for i, (t, p) in enumerate(arrived)]
    learned = _learn(results)
    assert learned.rates is not None and set(learned.rates.patterns) == set(PIDS)
    assert learned.rates.patterns["a"] == sum(1 for _, p in arrived if p == "a")


def test_a_short_spike_is_not_also_a_level_change_against_the_baseline() -> None:
    # "a" at its usual rate all hour but for two minutes of 500 lines each: the batch's own
    # median shows the spike; the level outside it is the baseline's, so nothing more.
    events = steady(60) + [(30 * 60 + i * 0.24, "a") for i in range(1000)]
    found = _judge(events, _baseline())
    assert [a.pattern_ids for a in found if a.type is AnomalyType.VOLUME_SPIKE] == [("a",)]
    assert not [a for a in found if a.evidence.get("compared_with") == "baseline"]


def _traffic(anomalies: list) -> list:  # type: ignore[type-arg]
    return [a for a in anomalies if a.evidence.get("traffic")]


@pytest.mark.parametrize("every", [3, 5])
def test_a_uniform_traffic_drop_is_one_traffic_anomaly_and_no_pattern_drops(every: int) -> None:
    # Every pattern at 1/3 (or 1/5) of its baseline rate: the traffic fell, no pattern did.
    events = [e for i, e in enumerate(steady(60)) if i % every == 0]
    (traffic,) = _judge(events, _baseline())
    assert traffic.type is AnomalyType.VOLUME_DROP
    assert traffic.evidence["traffic"] is True
    assert set(traffic.pattern_ids) == set(PIDS)
    assert traffic.message.startswith(f"Traffic is {every}.0x lower than the baseline's")
    assert "4 of 4 steady patterns moved with it" in traffic.message
    assert traffic.evidence["traffic_ratio"] == pytest.approx(1 / every, rel=0.05)
    # Info at 1/3 (no pattern alone would be reported there), a warning at 1/5.
    assert traffic.severity.value == ("info" if every == 3 else "warning")


@pytest.mark.parametrize("every", [3, 5])
def test_a_traffic_drop_and_a_pattern_gone_are_both_reported(every: int) -> None:
    events = [e for i, e in enumerate(steady(60)) if i % every == 0 and e[1] != "d"]
    anomalies = _judge(events, _baseline())
    (traffic,) = _traffic(anomalies)
    assert traffic.type is AnomalyType.VOLUME_DROP
    (drop,) = [a for a in anomalies if a is not traffic]
    assert drop.type is AnomalyType.VOLUME_DROP
    assert drop.pattern_ids == ("d",)  # a, b and c only moved with the traffic
    assert "went silent while traffic was" in drop.message
    assert traffic.id != drop.id


def test_a_pattern_far_beyond_a_traffic_rise_is_still_a_spike() -> None:
    # Traffic at 3x (every pattern three times over), "a" at 12x: a moved far more.
    events = [(t + k * 0.5, p) for t, p in steady(60) for k in range(3)]
    events += [(i * 4 / 3 + 0.25, "a") for i in range(2700)]
    anomalies = _judge(events, _baseline())
    (traffic,) = _traffic(anomalies)
    assert traffic.type is AnomalyType.VOLUME_SPIKE and "higher" in traffic.message
    (spike,) = [a for a in anomalies if a is not traffic]
    assert spike.type is AnomalyType.VOLUME_SPIKE and spike.pattern_ids == ("a",)
    assert "while traffic was" in spike.message
    assert set(traffic.pattern_ids) == {"b", "c", "d"}  # "a" is reported on its own


def test_a_flood_of_other_lines_is_no_traffic_change_of_the_steady_patterns() -> None:
    # The whole log at 5x the baseline's lines per second, all of it one new pattern; the
    # steady patterns kept their rates: nothing moved with the traffic, nothing to report.
    events = steady(60) + [(i * 0.75, "flood") for i in range(4800)]
    assert _judge(events, _baseline()) == []
