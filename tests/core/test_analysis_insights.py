"""Insights on real logs (golden) and on small synthetic batches."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "detect"))
from detect_support import line, patterns

from logsum import Engine, Severity
from logsum.core.analysis import AnalysisOptions, InsightType, analyze_batch
from logsum.core.insights import InsightCollector


def _analyze(path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    engine = Engine()
    results = engine.process_many(path.read_text("utf-8", "replace").splitlines())
    return analyze_batch(results, engine.patterns(), **kwargs)  # type: ignore[arg-type]


def test_openssh_brute_force_names_the_top_sources_with_counts(loghub: Path) -> None:
    report = _analyze(loghub / "OpenSSH" / "OpenSSH_2k.log")
    security = [i for i in report.insights if i.type is InsightType.SECURITY]
    assert len(security) == 1
    ins = security[0]
    assert ins.rank == 1
    # Counted independently with grep on the raw file.
    assert ins.evidence["top_sources"][:3] == [
        {"address": "183.62.140.253", "count": 582},
        {"address": "187.141.143.180", "count": 189},
        {"address": "103.99.0.122", "count": 127},
    ]
    assert "183.62.140.253 (582)" in ins.message
    assert "brute force" in ins.message
    assert ins.pattern_ids


def test_insights_are_ranked_unique_and_never_without_evidence(loghub: Path) -> None:
    for system in ("OpenSSH", "Zookeeper", "Apache", "HDFS", "BGL"):
        report = _analyze(loghub / system / f"{system}_2k.log")
        assert [i.rank for i in report.insights] == list(range(1, len(report.insights) + 1))
        assert len({i.id for i in report.insights}) == len(report.insights)
        assert len({i.message for i in report.insights}) == len(report.insights)
        assert all(i.evidence for i in report.insights)
        scores = [i.score for i in report.insights]
        assert scores == sorted(scores, reverse=True)


def test_zookeeper_connection_failures_are_an_availability_insight(loghub: Path) -> None:
    report = _analyze(loghub / "Zookeeper" / "Zookeeper_2k.log")
    avail = [i for i in report.insights if i.type is InsightType.AVAILABILITY]
    assert avail
    top = avail[0]
    assert top.evidence["count"] > 0
    assert top.evidence["patterns"][0]["count"] > 0


def test_durations_give_percentiles_and_the_slowest_pattern() -> None:
    results = []
    for i in range(200):
        results.append(
            line(
                i + 1,
                "fast",
                message=f"GET /health took {10 + i % 5} ms",
                params=(f"{10 + i % 5}",),
            )
        )
    for i in range(100):
        results.append(
            line(
                201 + i,
                "slow",
                message=f"query orders finished in {i + 1}ms",
                params=(f"{i + 1}ms",),
            )
        )
    pats = patterns(
        results, {"fast": "GET /health took <*> ms", "slow": "query orders finished in <*>"}
    )
    report = analyze_batch(results, pats, options=AnalysisOptions(find_anomalies=False))
    (perf,) = [i for i in report.insights if i.type is InsightType.PERFORMANCE]
    assert perf.evidence["pattern_id"] == "slow"
    assert perf.evidence["p50_ms"] == 51
    assert perf.evidence["p99_ms"] == 99
    assert perf.evidence["max_ms"] == 100
    assert perf.evidence["other_durations"][0]["pattern_id"] == "fast"


def test_duration_percentiles_sample_the_whole_stream_not_its_start() -> None:
    """Past the sample's size, later values still get in: a pattern that slows down over
    20,000 lines reports the slow half in its p99, not only the fast start."""
    n = 20_000
    results = [
        line(i + 1, "q", message=f"query took {v} ms", params=(f"{v}",))
        for i in range(n)
        for v in [1 + i // 100]  # 1 ms at the start, 200 ms at the end
    ]
    pats = patterns(results, {"q": "query took <*> ms"})
    report = analyze_batch(results, pats, options=AnalysisOptions(find_anomalies=False))
    (perf,) = [i for i in report.insights if i.type is InsightType.PERFORMANCE]
    assert perf.evidence["max_ms"] == 200
    assert 90 <= perf.evidence["p50_ms"] <= 110
    assert perf.evidence["p99_ms"] >= 190


def test_top_failing_component_with_its_error_share() -> None:
    results = [
        line(
            i + 1,
            "db" if i % 4 == 0 else "ok",
            severity=Severity.ERROR if i % 4 == 0 else Severity.INFO,
            message="write to table failed" if i % 4 == 0 else "served",
            component="storage" if i % 2 == 0 else "web",
        )
        for i in range(400)
    ]
    report = analyze_batch(
        results, patterns(results), options=AnalysisOptions(find_anomalies=False)
    )
    comp = [i for i in report.insights if "component" in i.evidence]
    assert comp and comp[0].evidence["component"] == "storage"
    assert comp[0].evidence["error_share"] == 0.5
    assert comp[0].evidence["share_of_all_errors"] == 1.0


def test_change_lists_error_patterns_new_since_the_previous_analysis() -> None:
    results = [line(i + 1, "ok", message="served") for i in range(50)]
    results += [line(51, "boom", severity=Severity.ERROR, message="cache node unreachable")]
    pats = patterns(results)
    report = analyze_batch(results, pats, known_pattern_ids={"ok"})
    (change,) = [i for i in report.insights if i.type is InsightType.CHANGE]
    assert change.evidence["new_patterns"][0] == {
        "pattern_id": "boom",
        "template": "cache node unreachable",
        "count": 1,
        "error": True,
    }
    assert change.evidence["new_error_patterns"] == 1
    without_history = analyze_batch(results, pats)
    assert not [i for i in without_history.insights if i.type is InsightType.CHANGE]


def test_collector_memory_is_bounded() -> None:
    c = InsightCollector()
    c.feed_many(
        [
            line(
                i + 1,
                "auth",
                message="Failed password for root from 10.0.0.1",
                params=(f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",),
            )
            for i in range(20_000)
        ]
    )
    assert sum(len(v) for v in c._addresses.values()) <= 2_000


def test_restarts_and_connection_failures_are_separate_availability_insights() -> None:
    results = [line(i + 1, "ok", message="served") for i in range(100)]
    results += [
        line(101 + i, "refused", severity=Severity.ERROR,
             message="connect to 10.0.0.7:5432 failed: Connection refused",
             params=("10.0.0.7:5432",))
        for i in range(12)
    ]  # fmt: skip
    results += [line(120 + i, "restart", message="worker restarting after crash") for i in range(3)]
    templates = {
        "ok": "served",
        "refused": "connect to <*> failed: Connection refused",
        "restart": "worker restarting after crash",
    }
    report = analyze_batch(
        results, patterns(results, templates), options=AnalysisOptions(find_anomalies=False)
    )
    avail = [i for i in report.insights if i.type is InsightType.AVAILABILITY]
    assert len(avail) == 2
    by_kind = {("connection" in i.message): i for i in avail}
    assert by_kind[True].evidence["count"] == 12
    assert by_kind[True].evidence["top_addresses"] == [{"address": "10.0.0.7", "count": 12}]
    assert by_kind[False].evidence["patterns"][0]["pattern_id"] == "restart"


def test_one_dominant_pattern_is_a_volume_insight() -> None:
    results = [line(i + 1, "noisy" if i % 10 else "rare", message="cache hit") for i in range(500)]
    report = analyze_batch(
        results, patterns(results), options=AnalysisOptions(find_anomalies=False)
    )
    (vol,) = [i for i in report.insights if i.type is InsightType.VOLUME]
    assert vol.evidence["pattern_id"] == "noisy"
    assert vol.evidence["share"] == 0.9


def test_silence_becomes_a_volume_insight_pointing_at_its_anomaly() -> None:
    from detect_support import steady

    events = [(t, p) for t, p in steady(100) if not 60 * 60 <= t < 63 * 60]
    results = [line(i + 1, p, seconds=t) for i, (t, p) in enumerate(events)]
    report = analyze_batch(results, patterns(results))
    drop = next(a for a in report.anomalies if a.type.value == "volume_drop")
    vol = [i for i in report.insights if i.type is InsightType.VOLUME]
    assert len(vol) == 1
    assert vol[0].evidence["anomaly_id"] == drop.id
    assert vol[0].evidence["window"] == {
        "start": "2024-03-01T01:00:00Z",
        "end": "2024-03-01T01:03:00Z",
    }
    assert "silent" in vol[0].message
    assert vol[0].message.startswith("Check the source or its shipper")  # everything stopped


def test_one_pattern_falling_quiet_is_no_shipper_problem() -> None:
    """One pattern stops while the others go on (as 'Preparing to unpack' in this machine's
    apt term.log): the source and its shipper work, the insight points at what writes it."""
    from detect_support import steady

    events = [(t, p) for t, p in steady(100, per_minute=60) if not (p == "a" and 3600 <= t < 4200)]
    results = [line(i + 1, p, seconds=t) for i, (t, p) in enumerate(events)]
    report = analyze_batch(results, patterns(results))
    drop = next(a for a in report.anomalies if a.type.value == "volume_drop")
    assert drop.evidence["scope"] == "pattern" and drop.pattern_ids == ("a",)
    vol = next(i for i in report.insights if i.type is InsightType.VOLUME)
    assert vol.evidence["anomaly_id"] == drop.id
    assert "shipper" not in vol.message
    assert vol.message.startswith("Check what writes this line: it fell quiet")


def stream_with_stack_traces() -> list[str]:
    """An application log: requests, failing payments with Java stack traces (continuation
    lines), and login failures whose first lines make patterns that later fold into one."""
    out = []
    for i in range(400):
        ts = f"2026-03-02 10:{i // 60:02d}:{i % 60:02d},{i % 1000:03d}"
        out.append(f"{ts} INFO [exec-{i % 4}] GET /orders/{i} took {i % 90 + 3} ms")
        if i % 5 == 0:
            out.append(f"{ts} ERROR [payments] payment {i} failed")
            out.append("java.lang.IllegalStateException: card declined")
            out.append("\tat com.example.shop.PaymentService.charge(PaymentService.java:42)")
            out.append("\tat com.example.shop.OrderController.pay(OrderController.java:88)")
            out.append("\t... 12 more")
        if i % 3 == 0:
            user = "abcd"[i // 3] if i < 12 else "abcd"[i % 4]
            out.append(f"{ts} WARN [auth] Invalid user {user} from 10.0.0.{i % 7 + 1}")
    return out


def test_insight_numbers_are_sums_of_pattern_counts() -> None:
    engine = Engine()
    results = engine.process_many(stream_with_stack_traces())
    assert any(r.continuation for r in results)
    pats = engine.patterns()
    count = {p.id: p.count for p in pats}
    auth = next(p for p in pats if p.template.endswith("Invalid user <*> from <*>"))
    assert auth.aliases  # lines before the fold carry other ids
    report = analyze_batch(results, pats)
    by_type = {i.type: i for i in report.insights if "component" not in i.evidence}

    reliability = by_type[InsightType.RELIABILITY].evidence
    errors = sum(p.count for p in pats if p.severity is Severity.ERROR)
    assert reliability["error_lines_total"] == errors == 80
    assert reliability["error_lines"] == count[reliability["pattern_id"]]
    for row in reliability["top_error_patterns"]:
        assert row["count"] == count[row["pattern_id"]]

    volume = by_type[InsightType.VOLUME].evidence
    assert volume["count"] == count[volume["pattern_id"]] == 400
    assert volume["lines"] == sum(count.values())

    security = by_type[InsightType.SECURITY].evidence
    assert security["failures"] == auth.count == 134
    assert security["patterns"] == [
        {"pattern_id": auth.id, "template": auth.template, "count": auth.count}
    ]

    (component,) = [i.evidence for i in report.insights if "component" in i.evidence]
    assert component["component"] == "payments"
    assert component["error_lines"] == component["lines"] == 80


def test_no_pattern_is_called_the_top_one_among_equals() -> None:
    """A database server's log with one each of several errors (seen on a real server): no
    pattern "accounts for" the errors, none is "most often" among restarts seen once."""
    lines = [
        "2026-03-02 10:00:00.001 UTC [4821] LOG:  database system was shut down at 2026-03-02",
        '2026-03-02 10:00:01.128 UTC [4822] ERROR:  syntax error at or near "selec"',
        "2026-03-02 10:00:02.173 UTC [4823] ERROR:  division by zero",
        '2026-03-02 10:00:03.292 UTC [4824] ERROR:  invalid input syntax for type integer: "x"',
        "2026-03-02 10:00:04.299 UTC [4821] LOG:  received fast shutdown request",
        "2026-03-02 10:00:04.306 UTC [4825] LOG:  shutting down",
        "2026-03-02 10:00:30.412 UTC [4825] LOG:  database system is shut down",
        '2026-03-02 10:00:35.129 UTC [4822] ERROR:  syntax error at or near "form"',
    ]
    engine = Engine()
    report = analyze_batch(engine.process_many(lines), engine.patterns())
    messages = {i.type: i.message for i in report.insights}
    assert "The top failing pattern" in messages[InsightType.RELIABILITY]  # 2 of one error
    engine = Engine()
    report = analyze_batch(engine.process_many(lines[:-1]), engine.patterns())
    messages = {i.type: i.message for i in report.insights}
    assert messages[InsightType.RELIABILITY].startswith(
        "3 error lines, one in each of 3 patterns, such as '"
    )
    assert "top" not in messages[InsightType.RELIABILITY]
    assert "share the most" not in messages[InsightType.RELIABILITY]  # "(1 each)" said nothing
    # some equal at the top, others below them: those at the top are said to share it
    engine = Engine()
    more = [*lines, lines[2]]  # two syntax errors, two divisions by zero, one other
    report = analyze_batch(engine.process_many(more), engine.patterns())
    message = next(i.message for i in report.insights if i.type is InsightType.RELIABILITY)
    assert message.startswith("5 error lines spread over 3 patterns; 2 of them share the most")
    # three restarts (the two shutdown lines 7 ms apart are one), four lines
    assert messages[InsightType.AVAILABILITY].startswith("3 restarts or shutdowns (4 lines)")
    assert "such as" in messages[InsightType.AVAILABILITY]
    assert "most often" not in messages[InsightType.AVAILABILITY]


def test_a_shutdown_of_several_lines_within_seconds_is_one_restart() -> None:
    """A database server's one fast shutdown writes five restart-like lines in a second: one
    restart, not five; three shutdowns minutes apart are three."""
    shutdown = [
        ("req", "received fast shutdown request"),
        ("abort", "aborting any active transactions"),
        ("down", "shutting down"),
        ("ckpt", "checkpoint starting: shutdown immediate"),
        ("gone", "database system is shut down"),
    ]
    results = [line(i + 1, "ok", seconds=i, message="served") for i in range(100)]
    once = [
        line(200 + k, pid, seconds=100 + k * 0.2, message=msg)
        for k, (pid, msg) in enumerate(shutdown)
    ]
    templates = {"ok": "served", **dict(shutdown)}
    report = analyze_batch(
        results + once,
        patterns(results + once, templates),
        options=AnalysisOptions(find_anomalies=False),
    )
    assert not [i for i in report.insights if i.type is InsightType.AVAILABILITY]

    thrice = [
        line(300 + 10 * n + k, pid, seconds=100 + 600 * n + k * 0.2, message=msg)
        for n in range(3)
        for k, (pid, msg) in enumerate(shutdown)
    ]
    report = analyze_batch(
        results + thrice,
        patterns(results + thrice, templates),
        options=AnalysisOptions(find_anomalies=False),
    )
    (avail,) = [i for i in report.insights if i.type is InsightType.AVAILABILITY]
    assert avail.evidence["count"] == 3
    assert avail.evidence["lines"] == 12  # "aborting any active transactions" is no restart
    assert avail.message.startswith("3 restarts or shutdowns (12 lines) in 4 pattern(s)")
