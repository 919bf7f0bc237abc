"""The shared time helpers: one UTC form for stored and wire times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from logsum.timeutil import as_utc, earlier, iso, later, utc_for_json, utc_now

_PARIS = timezone(timedelta(hours=1))


def test_naive_times_are_utc_and_others_are_converted() -> None:
    naive = datetime(2024, 5, 1, 12, 0, 0, 5)
    assert as_utc(naive) == naive.replace(tzinfo=UTC) and as_utc(naive).tzinfo is UTC
    assert as_utc(datetime(2024, 5, 1, 13, tzinfo=_PARIS)) == datetime(2024, 5, 1, 12, tzinfo=UTC)
    aware = datetime(2024, 5, 1, tzinfo=UTC)
    assert as_utc(aware) is aware
    assert as_utc(None) is None
    assert utc_now().tzinfo is UTC


def test_wire_form_ends_in_z() -> None:
    assert iso(datetime(2024, 5, 1, 12, 0, 0)) == "2024-05-01T12:00:00Z"
    assert iso(datetime(2024, 5, 1, 13, 0, 0, 250, tzinfo=_PARIS)) == "2024-05-01T12:00:00.000250Z"
    assert iso(None) is None


def test_json_form_leaves_naive_and_utc_times_alone() -> None:
    naive, aware = datetime(2024, 5, 1), datetime(2024, 5, 1, tzinfo=UTC)
    assert utc_for_json(naive) is naive and utc_for_json(aware) is aware
    assert utc_for_json(datetime(2024, 5, 1, 1, tzinfo=_PARIS)) == aware
    assert utc_for_json(None) is None


def test_earlier_and_later_skip_unknown_times() -> None:
    a, b = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)
    assert earlier(a, b) is a and earlier(b, a) is a and later(a, b) is b and later(b, a) is b
    assert earlier(None, b) is b and earlier(a, None) is a and later(None, None) is None
    # journal times as text in their one UTC form compare the same way
    assert earlier("2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00.5+00:00").endswith(":00+00:00")
