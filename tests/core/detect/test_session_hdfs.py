"""Session detection on real HDFS block traces (tests/data/hdfs_sessions: 150 normal and 5
anomalous complete blocks interleaved in time, and 150 other normal blocks as a baseline)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from logsum import Engine
from logsum.core.analysis import AnalysisOptions, AnalysisReport, Analyzer, Baseline
from logsum.core.detect.model import AnomalyType

DATA = Path(__file__).resolve().parents[2] / "data" / "hdfs_sessions"
KEY = r"blk_-?\d+"


def _lines(name: str) -> list[str]:
    return (DATA / name).read_text("utf-8").splitlines()


@cache
def _labels() -> dict[str, bool]:
    with open(DATA / "judged_labels.csv", encoding="utf-8", newline="") as f:
        return {r["block"]: r["anomalous"] == "1" for r in csv.DictReader(f)}


def _flagged(report: AnalysisReport) -> set[str]:
    return {
        s
        for a in report.anomalies
        if a.type is AnomalyType.SESSION
        for s in a.evidence["sessions"]  # type: ignore[union-attr]
    }


def _judge(baseline: bool) -> tuple[AnalysisReport, Baseline | None]:
    engine = Engine()
    learned = None
    if baseline:
        learner = Analyzer(AnalysisOptions(session_key=KEY, generate_insights=False))
        learner.feed_many(engine.process_many(_lines("baseline.log")))
        learned = learner.learned(engine.patterns())
    analyzer = Analyzer(AnalysisOptions(session_key=KEY, generate_insights=False), baseline=learned)
    analyzer.feed_many(engine.process_many(_lines("judged.log")))
    return analyzer.report(engine.patterns()), learned


def test_without_a_baseline_the_odd_blocks_are_found_and_few_normal_ones() -> None:
    report, _ = _judge(baseline=False)
    labels = _labels()
    flagged = _flagged(report)
    anomalous = {b for b, bad in labels.items() if bad}
    # The failed delete, the block of no file, the empty packets: patterns few blocks have.
    assert len(flagged & anomalous) >= 3
    assert len(flagged - anomalous) <= 2  # of 150 normal blocks


def test_with_a_baseline_every_odd_block_and_no_normal_one_is_reported() -> None:
    report, learned = _judge(baseline=True)
    assert learned is not None and learned.sessions is not None
    assert learned.sessions.sessions == 150
    labels = _labels()
    assert _flagged(report) == {b for b, bad in labels.items() if bad}


def test_a_session_anomaly_lists_all_its_sessions_and_names_what_differs() -> None:
    report, _ = _judge(baseline=True)
    sessions = [a for a in report.anomalies if a.type is AnomalyType.SESSION]
    assert sessions
    for a in sessions:
        listed = a.evidence["sessions"]
        assert isinstance(listed, list) and len(listed) == a.evidence["session_count"]
        assert a.window is not None and a.pattern_ids and 0.5 <= a.score < 1
    # The write cut short: the count rules it breaks name the receive and its acknowledgement.
    cut = next(a for a in sessions if a.evidence["broken_rules"] and "Receiving block" in a.message)
    rule = cut.evidence["broken_rules"][0]  # type: ignore[index]
    assert rule["held_by"] == 1.0  # type: ignore[index]
    assert cut.evidence["differences"]
    # The replicated block: patterns no baseline block has, named with the first one.
    copied = next(a for a in sessions if "Transmitted block" in a.message)
    assert "and 3 more patterns" in copied.message
    assert len(copied.evidence["new_patterns"]) == 4  # type: ignore[arg-type]


def test_a_baseline_round_trips_through_its_dict_form() -> None:
    _, learned = _judge(baseline=True)
    assert learned is not None
    again = Baseline.from_dict(learned.to_dict())
    assert again == learned
