"""Session anomalies: sessions whose event counts differ from most sessions'."""

from __future__ import annotations

import re
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from detect_support import line, patterns

from logsum.core.analysis import AnalysisOptions, AnomalyType, analyze_batch
from logsum.core.detect.base import DetectLimits
from logsum.core.detect.session import SessionDetector, auto_session_key, compile_caller_key
from logsum.core.errors import InvalidOption


def _sessions(normal: int, odd: dict[str, list[str]], key: str = "request_id={}") -> list:  # type: ignore[type-arg]
    """``normal`` sessions doing open, read, read, close; ``odd`` ones doing their own events,
    interleaved the way concurrent requests are."""
    plans = {f"n{i:04d}": ["open", "read", "read", "close"] for i in range(normal)}
    plans.update(odd)
    out = []
    step = 0
    pending = {k: list(v) for k, v in plans.items()}
    while pending:
        for k in sorted(pending):
            pid = pending[k].pop(0)
            step += 1
            out.append(line(step, pid, seconds=step, message=f"{pid} done {key.format(k)}"))
            if not pending[k]:
                del pending[k]
    return out


def test_sessions_unlike_the_rest_are_reported_together() -> None:
    odd = {f"x{i}": ["open", "read", "timeout"] for i in range(3)}
    results = _sessions(200, odd)
    report = analyze_batch(
        results, patterns(results), options=AnalysisOptions(session_key=r"request_id=(\w+)")
    )
    sessions = [a for a in report.anomalies if a.type is AnomalyType.SESSION]
    assert len(sessions) == 1
    a = sessions[0]
    assert a.evidence["sessions"] == ["x0", "x1", "x2"]
    assert a.evidence["session_count"] == 3
    assert "timeout" in a.pattern_ids
    assert a.evidence["usual_signature"] == {"close": 1, "open": 1, "read": 2}
    assert a.line_count == 9
    assert set(a.lines) == {r.line for r in results if r.message.endswith(("x0", "x1", "x2"))}


def test_a_missing_step_is_reported_too() -> None:
    odd = {f"x{i}": ["open", "read"] for i in range(2)}
    results = _sessions(200, odd)
    report = analyze_batch(
        results, patterns(results), options=AnalysisOptions(session_key=r"request_id=(\w+)")
    )
    (a,) = [a for a in report.anomalies if a.type is AnomalyType.SESSION]
    assert a.evidence["differences"]["close"] == {"observed": 0, "usual": 1}
    assert a.evidence["sessions"] == ["x0", "x1"]


def test_the_key_is_auto_detected_when_obvious() -> None:
    odd = {f"{900000 + i}": ["open", "timeout"] for i in range(2)}
    results = _sessions(100, odd, key="blk_{}")
    results = [replace(r, message=r.message.replace("blk_n", "blk_10")) for r in results]
    report = analyze_batch(results, patterns(results))
    (a,) = [a for a in report.anomalies if a.type is AnomalyType.SESSION]
    assert "blk_" in a.evidence["session_key"]
    assert a.evidence["sessions"] == ["blk_900000", "blk_900001"]


def test_no_key_no_sessions() -> None:
    assert auto_session_key(["user logged in", "user logged out"] * 50, 0.5) is None


def test_sessions_are_bounded() -> None:
    det = SessionDetector(DetectLimits(max_sessions=100), r"id=(\d+)")
    det.feed_many([line(i + 1, "p", message=f"hit id={i}") for i in range(1_000)])
    assert len(det._sessions) == 100
    assert det.evicted == 900


def test_a_session_cut_off_by_the_end_of_the_batch_is_not_judged() -> None:
    results = _sessions(200, {})
    tail = [
        line(len(results) + 1, "open", seconds=10_000, message="open done request_id=late"),
        line(len(results) + 2, "read", seconds=10_001, message="read done request_id=late"),
    ]
    det = SessionDetector(DetectLimits(), r"request_id=(\w+)")
    det.feed_many(results + tail)
    from logsum.core.detect.base import DetectContext

    assert det.finish(DetectContext({})) == []
    assert det.open_sessions == 1


def test_a_backtracking_caller_key_runs_out_of_time_with_a_clear_error() -> None:
    """A caller's key has a budget of CPU time refilled a little for every character searched;
    (a|a)*$ on these lines would take re 2**30 tries each, so it runs out: InvalidOption naming
    the key."""
    limits = DetectLimits(session_key_grace_seconds=0.05)
    detector = SessionDetector(limits, session_key="(a|a)*$")
    results = [line(i, "p", message="a" * 30 + "!") for i in range(1, 4)]
    t0 = time.monotonic()
    with pytest.raises(InvalidOption, match=r"session_key '\(a\|a\)\*\$'.*backtracks"):
        detector.feed_many(results)
    assert time.monotonic() - t0 < 10  # CPU-time budget: wall time stretches on a loaded machine


def test_a_key_slow_on_every_line_runs_out_too() -> None:
    """No line is slow enough to time out on its own, but together they use the budget up:
    the work a key does is bounded by the budget, not only per line."""
    limits = DetectLimits(session_key_grace_seconds=0.05, session_key_char_seconds=1e-9)
    detector = SessionDetector(limits, session_key="(a|a)*$")
    results = [line(i, "p", message="a" * 10 + "!") for i in range(1, 100_001)]
    t0 = time.thread_time()
    with pytest.raises(InvalidOption, match="too long"):
        detector.feed_many(results)
    assert time.thread_time() - t0 < 0.5


def test_a_usual_caller_key_never_runs_out() -> None:
    """The budget is refilled with every character: thousands of lines with a usual key fit
    with almost nothing in hand."""
    limits = DetectLimits(session_key_grace_seconds=0.001)
    detector = SessionDetector(limits, session_key=r"request_id=(\w+)")
    detector.feed_many(_sessions(1_000, {}))
    assert detector.key_pattern == r"request_id=(\w+)"


def test_other_threads_do_not_use_up_a_keys_budget() -> None:
    """The budget counts the matching thread's own CPU time: analyses running side by side,
    with busy threads besides, all finish with a small budget."""
    limits = DetectLimits(session_key_grace_seconds=0.02)
    results = _sessions(1_500, {})
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            sum(range(1_000))

    def analyse() -> None:
        SessionDetector(limits, session_key=r"request_id=(\w+)").feed_many(results)

    spinners = [threading.Thread(target=busy) for _ in range(2)]
    for t in spinners:
        t.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            for f in [pool.submit(analyse) for _ in range(4)]:
                f.result()  # raises InvalidOption if a budget ran out
    finally:
        stop.set()
        for t in spinners:
            t.join()


@pytest.mark.parametrize(
    ("key", "needle"),
    [
        ("(unclosed", "not a valid"),
        ("x" * 201, "longer"),
        ("((a{1000}){1000}){10}", "too large"),  # regex would unroll it into gigabytes
        ("(x)?(?(1)((a{1000}){1000}){10})", "too large"),  # the same, inside a conditional
        ("(?=((a{100}){100}){100})", "too large"),  # and inside a lookahead
        ("(){9999}", "too large"),  # 8 characters, 1.5 s of compiling with the lock held
        ("(?:" + "|".join(f"({c})" for c in "abcdefghijklmnopqrst") + "){9999}", "too large"),
        ("(?x)a # [\n[bc]", "comments"),  # the engines end comments differently
        ("(?#[)[bc]", "comments"),
        (r"(?<=a+)b", "not a valid"),  # regex accepts it, re does not
        ("abc(?i)", "not a valid"),  # re refuses it; regex would apply it everywhere
        (r"\p{L}", "not a valid"),  # regex syntax re does not have
        (r"\x{41}", "not a valid"),
    ],
)
def test_caller_keys_are_checked_when_the_options_are_made(key: str, needle: str) -> None:
    t0 = time.monotonic()
    with pytest.raises(InvalidOption, match=needle):
        AnalysisOptions(session_key=key)
    assert time.monotonic() - t0 < 0.5


SAMPLE = (
    'ts=1 {"rid":"r-17","ctx":{"req":"q9"}} a{e} blk_-42 id=7 [[x]] 1.2.3.4 '
    "trace 4bf92f3577b34da6a3ce929d0e0e4736 user=José [a-b] &&| req=Q"
)


@pytest.mark.parametrize(
    "key",
    [
        r"(?<=id=)\w+",
        r"(\d{1,3}\.){3}\d{1,3}",
        r"[{}]x",
        r"a\{e\}",
        r"[0-9a-f]{32}",
        r"(?i)req=(\S+)",
        r"\N{DIGIT ONE}(\d+)",
        r"[\[\]]id=(\w+)",
        r"blk_(-?\d+)",
        # What re reads as literals, regex as syntax: run with re's meaning.
        r'{"rid":"([\w-]+)"',
        r'"ctx":{"req":"(\w+)"}',
        r"a{e}",
        r"\d{e}",
        r"[[:alpha:]]+",
        r"[[x]]",
        r"[--b]+",
        r"[x&&|]+",
        r"a{,}",
        r"(){1990}",
    ],
)
def test_usual_caller_keys_are_accepted_and_match_as_re_does(key: str) -> None:
    AnalysisOptions(session_key=key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # re on [[:alpha:]]; test thread only
        expected = [m.group(0) for m in re.finditer(key, SAMPLE)]
    assert [m.group(0) for m in compile_caller_key(key).finditer(SAMPLE)] == expected


def test_a_rare_pattern_that_says_it_failed_is_unusual_whatever_its_level() -> None:
    # 8 of 1,016 sessions (0.8%) have one more step: rare, but above the share (0.3%) under
    # which an ordinary info variant is unusual. Logged at INFO either way; only the one whose
    # text names a failure is reported.
    steps = ["open", "read", "read", "close"]
    odd = {f"x{i}": ["open", "read", "recv_exc", "read", "close"] for i in range(8)}
    odd |= {f"y{i}": ["open", "read", "retry", "read", "close"] for i in range(8)}
    results = _sessions(1000, odd)
    templates = {p: f"{p} done request_id=<*>" for p in steps}
    templates["recv_exc"] = "Exception in receive for request_id=<*> java.io.IOException: reset"
    templates["retry"] = "Retrying the read of request_id=<*> on a second replica"
    report = analyze_batch(
        results,
        patterns(results, templates),
        options=AnalysisOptions(session_key=r"request_id=(\w+)"),
    )
    flagged = {
        s
        for a in report.anomalies
        if a.type is AnomalyType.SESSION
        for s in a.evidence["sessions"]  # type: ignore[union-attr]
    }
    assert flagged == {f"x{i}" for i in range(8)}
