"""When to retry a failed webhook delivery: exponential backoff with full jitter.

After the n-th failed attempt the next one waits a uniformly random time in
``[0, min(cap_s, base_s * 2**(n-1))]`` ("full jitter": receivers recovering from an outage are
not hit by every sender at the same instant); the ceiling is tenacity's exponential wait, the
draw uses the caller's random generator (deliveries are scheduled in the store, not slept in a
loop, so tenacity's own retry loop does not apply). A ``Retry-After`` from the receiver is a floor
(capped at ``max_retry_after_s`` so a hostile receiver cannot park a delivery for a year).
After ``max_attempts`` attempts the delivery is failed.

Every non-2xx answer, timeout and connection error is retried: a receiver that answers 404 or
400 during a deploy would otherwise lose events for good.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tenacity import RetryCallState, wait_exponential


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff settings. The defaults ride out a receiver that is down for about half an hour
    (the expected sum of the waits before the last attempt)."""

    max_attempts: int = 15
    """Attempts in total (the first one included) before a delivery is marked failed."""
    base_s: float = 1.0
    """Upper bound of the first wait."""
    cap_s: float = 600.0
    """Upper bound of any one wait."""
    max_retry_after_s: float = 3600.0
    """Longest ``Retry-After`` honoured."""
    _ceiling: wait_exponential = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_s < 0 or self.cap_s < 0 or self.max_retry_after_s < 0:
            raise ValueError("retry delays must be non-negative")
        object.__setattr__(
            self, "_ceiling", wait_exponential(multiplier=self.base_s, max=self.cap_s)
        )

    def exhausted(self, attempts: int) -> bool:
        """True when ``attempts`` attempts have been made and no more are allowed."""
        return attempts >= self.max_attempts

    def delay(self, attempts: int, *, retry_after_s: float | None, rng: random.Random) -> float:
        """Seconds to wait after ``attempts`` (>= 1) failed attempts."""
        state = RetryCallState(None, None, (), {})  # type: ignore[arg-type]
        state.attempt_number = max(1, attempts)
        wait = rng.uniform(0.0, self._ceiling(state))
        if retry_after_s is not None:
            wait = max(wait, min(retry_after_s, self.max_retry_after_s))
        return wait


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), or ``None``."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
