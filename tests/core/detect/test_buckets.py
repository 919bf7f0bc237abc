"""The bucket size follows the data's span; counts survive coarsening exactly."""

from __future__ import annotations

from detect_support import line

from logsum.core.detect.base import DetectLimits
from logsum.core.detect.buckets import BucketCounter


def _counter(n: int, every: float, limits: DetectLimits | None = None) -> BucketCounter:
    c = BucketCounter(limits or DetectLimits())
    c.feed_many([line(i + 1, f"p{i % 3}", seconds=i * every) for i in range(n)])
    return c


def test_a_day_of_steady_lines_gets_half_hour_buckets() -> None:
    c = _counter(86_400 // 10, 10.0)  # one line every 10 s for a day
    view = c.view()
    assert view is not None
    assert view.step == 1800
    assert len(view.indices) == 48
    assert sum(view.totals.values()) == 8640


def test_few_lines_get_buckets_of_at_least_about_ten_lines() -> None:
    view = _counter(200, 60.0).view()  # 200 lines over 200 minutes
    assert view is not None
    assert 200 / len(view.indices) >= 10


def test_coarsening_keeps_exact_counts() -> None:
    c = _counter(50_000, 1.0, DetectLimits(max_buckets=50))
    view = c.view()
    assert view is not None
    assert sum(view.totals.values()) == 50_000
    assert {pid: sum(s.values()) for pid, s in view.per_pattern.items()} == {
        "p0": 16_667,
        "p1": 16_667,
        "p2": 16_666,
    }


def test_sample_lines_are_the_first_of_each_cell_in_order() -> None:
    view = _counter(3_000, 1.0).view()
    assert view is not None
    for (_, pid), lines in view.samples.items():
        assert lines == sorted(lines)
        assert 0 < len(lines) <= 32
        assert all(f"p{(n - 1) % 3}" == pid for n in lines)


def test_a_given_bucket_size_is_kept_while_the_span_allows() -> None:
    c = BucketCounter(DetectLimits(), bucket_seconds=60)
    c.feed_many([line(i + 1, "p", seconds=i * 10.0) for i in range(600)])  # 100 minutes
    view = c.view()
    assert view is not None and view.step == 60


def test_a_given_bucket_size_grows_to_a_multiple_when_the_span_is_years() -> None:
    """Minute buckets over lines spanning 30 years would be 15 million mostly empty buckets,
    walked by every detector (a caller could make one request run for minutes)."""
    year = 365 * 86_400
    limits = DetectLimits()
    c = BucketCounter(limits, bucket_seconds=60)
    c.feed_many([line(i + 1, "p", seconds=(i % 30) * year + i) for i in range(1_000)])
    view = c.view()
    assert view is not None
    assert view.step % 60 == 0
    assert len(view.indices) <= limits.max_buckets
    assert sum(view.totals.values()) == 1_000
