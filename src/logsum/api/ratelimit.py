"""Per-key rate limits by tier, on the ``limits`` library.

Counters live in process memory by default and in Redis when ``LOGSUM_REDIS_URL`` is set; the
Redis strategies are atomic Lua scripts, so several service processes sharing one Redis enforce
one limit exactly. The decision (allowed or not) is exact; ``remaining`` is read right after the
hit and may already be lower when other processes hit the same key concurrently.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import Storage, storage_from_string
from limits.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)

from logsum.settings import RateLimitStrategy, Settings

_STRATEGIES: dict[RateLimitStrategy, type[RateLimiter]] = {
    RateLimitStrategy.FIXED_WINDOW: FixedWindowRateLimiter,
    RateLimitStrategy.MOVING_WINDOW: MovingWindowRateLimiter,
    RateLimitStrategy.SLIDING_WINDOW: SlidingWindowCounterRateLimiter,
}


@dataclass(frozen=True, slots=True)
class RateLimitDecision:
    """The outcome of one request against its key's limit, as sent in the headers."""

    allowed: bool
    limit: int
    """Requests allowed per window (``X-RateLimit-Limit``)."""
    remaining: int
    """Requests left in the current window (``X-RateLimit-Remaining``)."""
    reset_at: int
    """When the window resets, in Unix epoch seconds (``X-RateLimit-Reset``)."""
    retry_after: int
    """Seconds until a new request may succeed (``Retry-After`` on 429), at least 1."""

    def headers(self) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers (and ``Retry-After`` when refused)."""
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after)
        return out


class TierRateLimiter:
    """Counts each key's requests against the limit of its tier."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self._settings = settings
        uri = settings.redis_url or "memory://"
        self._storage = storage or storage_from_string(uri)
        self._limiter = _STRATEGIES[settings.rate_limit_strategy](self._storage)
        self._items: dict[str, RateLimitItem] = {}
        self.backend = "redis" if settings.redis_url else "memory"

    def _item(self, tier: str) -> RateLimitItem:
        item = self._items.get(tier)
        if item is None:
            item = RateLimitItemPerSecond(
                self._settings.rate_limit_for(tier),
                self._settings.rate_limit_window_seconds,
                namespace="logsum",
            )
            self._items[tier] = item
        return item

    def hit(self, key_id: str, tier: str) -> RateLimitDecision:
        """Count one request of ``key_id`` and say whether it is within the limit.

        Blocking (a Redis round trip or two with Redis storage): call it from a worker thread.
        """
        item = self._item(tier)
        allowed = self._limiter.hit(item, "key", key_id)
        stats = self._limiter.get_window_stats(item, "key", key_id)
        now = time.time()
        reset = stats.reset_time if stats.reset_time > now else now + item.get_expiry()
        return RateLimitDecision(
            allowed=allowed,
            limit=item.amount,
            remaining=max(0, int(stats.remaining)),
            reset_at=math.ceil(reset),
            retry_after=max(1, math.ceil(reset - now)),
        )

    def ping(self) -> bool:
        """True when the counter storage answers (always for memory)."""
        try:
            return bool(self._storage.check())
        except Exception:
            return False
