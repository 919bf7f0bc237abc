"""Pattern upserts, listing and tenant isolation, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from logsum.store import PatternDelta, Store, StoredPattern, StoreLimits

T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)


def _delta(pid: str = "p1", count: int = 1, **kw: object) -> PatternDelta:
    fields: dict[str, object] = {
        "template": "Connection from <*> port <*>",
        "severity": "info",
        "first_seen": None,
        "last_seen": None,
        "examples": (),
    }
    fields.update(kw)
    return PatternDelta(pattern_id=pid, count=count, **fields)  # type: ignore[arg-type]


def _get(store: Store, pid: str = "p1", tenant: str = "t1") -> StoredPattern:
    got = store.get_pattern(tenant, pid)
    assert got is not None
    return got


def test_insert_then_add_counts(store: Store) -> None:
    store.upsert_patterns("t1", [_delta(count=3, first_seen=T0, last_seen=T0)])
    first = _get(store)
    assert (first.count, first.template, first.severity) == (
        3,
        "Connection from <*> port <*>",
        "info",
    )
    assert first.first_seen == T0 and first.last_seen == T0
    assert first.created_at.tzinfo is UTC and first.updated_at.tzinfo is UTC
    store.upsert_patterns("t1", [_delta(count=4)])
    second = _get(store)
    assert second.count == 7
    assert second.created_at == first.created_at
    assert second.updated_at >= first.updated_at


def test_seen_times_take_min_and_max_and_ignore_none(store: Store) -> None:
    store.upsert_patterns("t1", [_delta(first_seen=None, last_seen=None)])
    assert _get(store).first_seen is None
    store.upsert_patterns("t1", [_delta(first_seen=T0, last_seen=T0)])
    assert (_get(store).first_seen, _get(store).last_seen) == (T0, T0)
    earlier, later = T0 - timedelta(days=1), T0 + timedelta(hours=5)
    store.upsert_patterns("t1", [_delta(first_seen=earlier, last_seen=T0)])
    store.upsert_patterns("t1", [_delta(first_seen=T0, last_seen=later)])
    store.upsert_patterns("t1", [_delta(first_seen=None, last_seen=None)])
    got = _get(store)
    assert (got.first_seen, got.last_seen) == (earlier, later)


def test_times_in_other_zones_are_stored_as_utc(store: Store) -> None:
    plus2 = timezone(timedelta(hours=2))
    local = datetime(2024, 3, 1, 14, 0, 0, 123456, tzinfo=plus2)
    store.upsert_patterns("t1", [_delta(first_seen=local, last_seen=local)])
    got = _get(store)
    assert got.first_seen == local
    assert got.first_seen is not None and got.first_seen.tzinfo is UTC
    assert got.first_seen.hour == 12 and got.first_seen.microsecond == 123456
    # A later time written in another zone still wins as the later instant.
    store.upsert_patterns("t1", [_delta(last_seen=datetime(2024, 3, 1, 13, 0, tzinfo=UTC))])
    assert _get(store).last_seen == datetime(2024, 3, 1, 13, 0, tzinfo=UTC)


def test_severity_keeps_the_more_severe(store: Store) -> None:
    store.upsert_patterns("t1", [_delta(severity="warning")])
    store.upsert_patterns("t1", [_delta(severity="debug")])
    assert _get(store).severity == "warning"
    store.upsert_patterns("t1", [_delta(severity="critical")])
    store.upsert_patterns("t1", [_delta(severity="error")])
    assert _get(store).severity == "critical"


def test_template_follows_the_latest_generalisation(store: Store) -> None:
    store.upsert_patterns("t1", [_delta(template="User alice logged in", examples=())])
    store.upsert_patterns("t1", [_delta(template="User <*> logged in", examples=(("bob",),))])
    got = _get(store)
    assert got.template == "User <*> logged in"
    assert got.examples == (("bob",),)
    assert store.known_patterns("t1") == [("p1", "User <*> logged in", "info")]


def test_a_stale_writer_does_not_undo_a_generalisation(store: Store) -> None:
    """Two processes seeded with the same template; one generalised it, the other writes after."""
    store.upsert_patterns("t1", [_delta(template="User alice from <*>", examples=(("h1",),))])
    general = _delta(template="User <*> from <*>", examples=(("bob",), ("h2",)))
    store.upsert_patterns("t1", [general])
    store.upsert_patterns("t1", [_delta(template="User alice from <*>", examples=(("h3",),))])
    got = _get(store)
    assert got.count == 3
    assert got.template == "User <*> from <*>"
    assert got.examples == (("bob",), ("h2",))  # the stale examples belong to other positions
    # Within one batch the same rule applies.
    store.upsert_patterns(
        "t1", [_delta("p2", template="a <*> <*>"), _delta("p2", template="a b <*>", count=2)]
    )
    p2 = _get(store, "p2")
    assert (p2.template, p2.count) == ("a <*> <*>", 3)


def test_examples_merge_distinct_values_bounded_per_position(store: Store) -> None:
    limit = store.limits.max_examples_per_position
    store.upsert_patterns("t1", [_delta(examples=(("10.0.0.1", "10.0.0.2"), ("22",)))])
    store.upsert_patterns("t1", [_delta(examples=(("10.0.0.2", "10.0.0.3"), ("22", "2222")))])
    assert _get(store).examples == (("10.0.0.1", "10.0.0.2", "10.0.0.3"), ("22", "2222"))
    many = tuple(f"host{i}" for i in range(50))
    store.upsert_patterns("t1", [_delta(examples=(many, ("x" * 10_000,)))])
    got = _get(store)
    assert len(got.examples[0]) == limit
    assert got.examples[0][:3] == ("10.0.0.1", "10.0.0.2", "10.0.0.3")  # first seen are kept
    assert len(got.examples[1]) == 3
    assert len(got.examples[1][2]) == store.limits.max_example_chars


def test_duplicate_ids_in_one_batch_are_combined(store: Store) -> None:
    store.upsert_patterns(
        "t1",
        [
            _delta(count=2, first_seen=T0, severity="info", examples=(("a",), ("1",))),
            _delta(count=5, last_seen=T0 + timedelta(1), severity="error", examples=(("b",), ())),
            _delta("p2", count=1),
        ],
    )
    got = _get(store)
    assert got.count == 7
    assert (got.first_seen, got.last_seen) == (T0, T0 + timedelta(1))
    assert got.severity == "error"
    assert got.examples == (("a", "b"), ("1",))
    assert _get(store, "p2").count == 1


def test_large_batches_span_several_statements(store: Store) -> None:
    n = store.limits.max_batch_rows * 2 + 7
    deltas = [_delta(f"p{i:04d}", count=i + 1, examples=((str(i),),)) for i in range(n)]
    store.upsert_patterns("t1", deltas)
    store.upsert_patterns("t1", deltas)
    page, total = store.list_patterns("t1", limit=1000)
    assert total == n
    assert {p.id: p.count for p in page} == {f"p{i:04d}": 2 * (i + 1) for i in range(n)}
    assert page[0].examples == ((str(n - 1),),)


def test_empty_batch_is_a_no_op(store: Store) -> None:
    store.upsert_patterns("t1", [])
    assert store.list_patterns("t1", limit=10) == ([], 0)


@pytest.mark.parametrize(
    ("delta", "message"),
    [
        (_delta(count=-1), "count"),
        (_delta(severity="fatal"), "severity"),
        (_delta(pid=""), "pattern id"),
        (_delta(pid="x" * 65), "pattern id"),
        (_delta(first_seen="2024-01-01"), "first_seen"),
        (_delta(examples=((1, 2),)), "example values"),
    ],
)
def test_invalid_deltas_are_refused_before_writing(
    store: Store, delta: PatternDelta, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store.upsert_patterns("t1", [_delta("ok"), delta])
    assert store.list_patterns("t1", limit=10) == ([], 0)


def _seed(store: Store, tenant: str = "t1") -> None:
    store.upsert_patterns(
        tenant,
        [
            _delta("b", count=5, severity="error"),
            _delta("a", count=5, severity="info"),
            _delta("c", count=9, severity="info"),
            _delta("d", count=1, severity="error"),
            _delta("e", count=5, severity="warning"),
        ],
    )


def test_list_order_is_count_desc_then_id(store: Store) -> None:
    _seed(store)
    page, total = store.list_patterns("t1", limit=10)
    assert [p.id for p in page] == ["c", "a", "b", "e", "d"]
    assert total == 5
    assert store.known_patterns("t1")[0] == ("c", "Connection from <*> port <*>", "info")


def test_pagination_walks_every_pattern_once(store: Store) -> None:
    _seed(store)
    seen: list[str] = []
    for offset in range(0, 6, 2):
        page, total = store.list_patterns("t1", limit=2, offset=offset)
        assert total == 5
        seen += [p.id for p in page]
    assert seen == ["c", "a", "b", "e", "d"]
    assert store.list_patterns("t1", limit=2, offset=50) == ([], 5)


def test_severity_filter_and_its_total(store: Store) -> None:
    _seed(store)
    page, total = store.list_patterns("t1", limit=1, severity="error")
    assert [p.id for p in page] == ["b"] and total == 2
    assert store.list_patterns("t1", limit=10, severity="critical") == ([], 0)
    with pytest.raises(ValueError, match="severity"):
        store.list_patterns("t1", limit=10, severity="ERROR")


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (-1, 0), (10, -1), (True, 0)])
def test_bad_paging_is_refused(store: Store, limit: int, offset: int) -> None:
    with pytest.raises(ValueError):
        store.list_patterns("t1", limit=limit, offset=offset)


def test_tenants_are_isolated(store: Store) -> None:
    _seed(store, "t1")
    store.upsert_patterns("t2", [_delta("a", count=100, severity="critical", template="other")])
    assert store.list_patterns("t1", limit=10)[1] == 5
    mine = _get(store, "a", "t1")
    assert (mine.count, mine.severity, mine.template) == (5, "info", "Connection from <*> port <*>")
    assert _get(store, "a", "t2").count == 100
    assert store.get_pattern("t2", "c") is None
    assert store.get_pattern("nobody", "a") is None
    assert store.list_patterns("nobody", limit=10) == ([], 0)
    assert store.known_patterns("t2") == [("a", "other", "critical")]


def test_a_tenant_at_its_pattern_limit_keeps_counting_but_adds_no_more(db_url: str) -> None:
    with Store(db_url, limits=StoreLimits(max_patterns_per_tenant=3)) as store:
        store.migrate()
        store.upsert_patterns("t1", [_delta("a"), _delta("b")])
        store.upsert_patterns(
            "t1", [_delta("a", count=10), _delta("x", count=1), _delta("y", count=7), _delta("z")]
        )
        page, total = store.list_patterns("t1", limit=10)
        assert total == 3
        assert {p.id: p.count for p in page} == {"a": 11, "y": 7, "b": 1}  # the most frequent
        store.upsert_patterns("t1", [_delta("b", count=2), _delta("q", count=100)])
        assert {p.id: p.count for p in store.list_patterns("t1", limit=10)[0]} == {
            "a": 11,
            "y": 7,
            "b": 3,
        }
        store.upsert_patterns("t2", [_delta("q")])  # other tenants have their own room
        assert store.list_patterns("t2", limit=10)[1] == 1
