"""Order-aware session models: sessions that differ from the normal ones only in event order."""

from __future__ import annotations

import pytest
from detect_support import line, patterns

from logsum.core.analysis import AnalysisOptions, AnomalyType, analyze_batch
from logsum.core.detect.base import DetectContext, DetectLimits
from logsum.core.detect.sequence import (
    END,
    START,
    SessionModel,
    TransitionTable,
    cross_fitted_scores,
    threshold_at,
)
from logsum.core.detect.session import SessionDetector

NORMAL = ["open", "auth", "read", "close"]
SWAPPED = ["open", "read", "auth", "close"]  # the same events, counts and length


def _normals(n: int) -> list[list[str]]:
    # Two usual ways: with one read or with two (so the model has some variety to learn).
    return [NORMAL if i % 3 else [*NORMAL[:3], "read", "close"] for i in range(n)]


def test_a_swapped_order_scores_above_a_threshold_picked_on_normal_sessions_only() -> None:
    train = _normals(300)
    threshold = threshold_at(cross_fitted_scores(train, order=2), 0.999)
    model = SessionModel(order=2).fit(train)
    assert model.score(NORMAL) <= threshold
    assert model.score([*NORMAL[:3], "read", "close"]) <= threshold
    assert model.score(SWAPPED) > threshold
    why = model.explain(SWAPPED)
    # "auth" never follows "read" (seen 400 times): the strongest evidence of the swap.
    assert (why.position, why.event, why.seen) == (2, "auth", 0)
    assert why.context == ("read",)
    assert why.context_seen == 400


def test_event_frequencies_alone_cannot_tell_the_swap() -> None:
    model = SessionModel(order=0).fit(_normals(300))
    assert model.score(SWAPPED) == model.score(NORMAL)


def test_ends_count_when_sessions_are_complete() -> None:
    train = _normals(300)
    stopped = NORMAL[:3]
    assert SessionModel(order=1).fit(train).explain(stopped).event == END
    open_ended = SessionModel(order=1, terminal=False).fit(train)
    assert open_ended.score(stopped) <= open_ended.score(NORMAL)


def test_models_are_deterministic_and_bounded() -> None:
    train = [[f"e{i}", f"e{i + 1}", f"e{i + 2}"] for i in range(1_000)]
    a = SessionModel(order=2, max_contexts=50).fit(train)
    b = SessionModel(order=2, max_contexts=50).fit(train)
    assert len(a._context) == 50
    assert a.explain(["e5", "e7"]) == b.explain(["e5", "e7"])
    assert a.sequences == 1_000


def test_threshold_is_a_nearest_rank_quantile() -> None:
    scores = [float(i) for i in range(1, 101)]
    assert threshold_at(scores, 0.99) == 99.0
    assert threshold_at(scores, 1.0) == 100.0
    assert threshold_at(scores, 0.0) == 1.0
    with pytest.raises(ValueError):
        threshold_at([], 0.5)
    with pytest.raises(ValueError):
        threshold_at(scores, 1.5)


def test_a_transition_is_unusual_only_after_a_nearly_fixed_event() -> None:
    table = TransitionTable()
    for _ in range(3_000):
        table.add(["a", "b", "c"])
    for i in range(10):  # after "c", ten different things, each rarely: "c" is not fixed
        for _ in range(4):
            table.add(["a", "b", "c", f"x{i}"])
    table.add(["a", "c", "b"])
    hit = table.unusual(["a", "c", "b"], support=5, max_rare_share=0.001)
    assert hit is not None
    assert hit[0] == (("a",), "c")
    assert hit[1:] == (1, 3_041)
    assert table.unusual(["a", "b", "c", "x3"], support=5, max_rare_share=0.001) is None
    assert table.unusual(["a", "b", "c"], support=5, max_rare_share=0.001) is None
    assert table.unusual(["a", "c", "b"], support=5, max_rare_share=0.0) is None
    begins = TransitionTable()
    for _ in range(3_000):
        begins.add(["a", "b"])
    begins.add(["b", "a"])
    found = begins.unusual(["b", "a"], support=5, max_rare_share=0.001)
    assert found is not None and found[0] == ((START,), "b")
    # A session that may have begun before the data: its first event is not a start.
    later = begins.unusual(["b", "a"], support=5, max_rare_share=0.001, begun=False)
    assert later is not None and later[0] == (("b",), "a")


def _interleaved(plans: dict[str, list[str]]) -> list:  # type: ignore[type-arg]
    out = []
    pending = {k: list(v) for k, v in plans.items()}
    while pending:
        for k in sorted(pending):
            pid = pending[k].pop(0)
            out.append(line(len(out) + 1, pid, seconds=len(out), message=f"{pid} id={k}"))
            if not pending[k]:
                del pending[k]
    return out


def test_the_batch_detector_reports_sessions_whose_only_difference_is_order() -> None:
    plans = {f"n{i:04d}": list(NORMAL) for i in range(2_500)}
    plans.update({"odd1": list(SWAPPED), "odd2": list(SWAPPED)})
    results = _interleaved(plans)
    options = AnalysisOptions(session_key=r"id=(\w+)")
    report = analyze_batch(results, patterns(results), options=options)
    (a,) = [a for a in report.anomalies if a.type is AnomalyType.SESSION]
    assert a.evidence["sessions"] == ["odd1", "odd2"]
    assert a.evidence["unusual_order"] == {
        "after": "open",
        "next": "read",
        "sessions_with_it": 2,
        "sessions_with_context": 2_502,
    }
    assert "right after" in a.message
    assert set(a.pattern_ids) == {"open", "read"}
    assert a.line_count == 8
    # Counts alone (the order rule off) see nothing: every session has the same events.
    off = SessionDetector(DetectLimits(session_order_rare_share=0.0), r"id=(\w+)")
    off.feed_many(results)
    assert off.finish(DetectContext.of(patterns(results))) == []
