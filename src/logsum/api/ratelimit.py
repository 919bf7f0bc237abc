"""Rate limits on the ``limits`` library: each key's requests by tier, and each client's failed
authentications.

Counters live in process memory by default and in Redis when ``LOGSUM_REDIS_URL`` is set; the
Redis strategies are atomic Lua scripts, so several service processes sharing one Redis enforce
one limit exactly. The decision (allowed or not) is exact; ``remaining`` is read right after the
hit and may already be lower when other processes hit the same key concurrently.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import threading
import time
from collections import OrderedDict
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
    """Counts each key's requests against the limit of its tier; :attr:`auth_failures` counts
    each client's failed authentications on the same storage and strategy."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self._settings = settings
        uri = settings.redis_url or "memory://"
        self._storage = storage or storage_from_string(uri)
        self._limiter = _STRATEGIES[settings.rate_limit_strategy](self._storage)
        self._items: dict[str, RateLimitItem] = {}
        self.backend = "redis" if settings.redis_url else "memory"
        self.auth_failures = AuthFailureLimiter(self._limiter, settings)
        """The per-client limit on failed authentications (checked before the key is)."""

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
        return _decision(self._limiter, item, allowed, "key", key_id)

    def ping(self) -> bool:
        """True when the counter storage answers (always for memory)."""
        try:
            return bool(self._storage.check())
        except Exception:
            return False


NO_CLIENT = "no-client"
"""The bucket of requests whose client address is unknown (e.g. served on a Unix socket): they
share one count rather than escaping the limit."""

_FAILURES = "auth-failures"
_VERIFIED_SECONDS = 7 * 86_400
"""How long a key's verified mark outlives its last refresh in the counter storage."""
_VERIFIED_REFRESH_SECONDS = 300.0
"""How long a process trusts its own memory of a verified key before it refreshes the shared
mark (one storage write per key and process at most this often, not one per request)."""
_VERIFIED_MAX_LOCAL = 10_000
"""Verified keys one process remembers (least recently used forgotten first)."""


def client_bucket(host: str | None) -> str:
    """The bucket a request from ``host`` (``request.client.host``) counts its failures in.

    An IPv4 address counts on its own; an IPv6 address counts with its whole /64, because one
    host usually controls a /64 and could otherwise take a fresh address for every attempt; an
    IPv4-mapped IPv6 address counts as its IPv4 address. A missing host shares
    :data:`NO_CLIENT`; a host that is not an address (a name, a socket path) counts as itself.
    """
    if not host:
        return NO_CLIENT
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:256]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class AuthFailureLimiter:
    """Counts failed authentications per client bucket, so that a client over its limit is
    refused before its key is looked up in the store.

    A key that authenticated recently is let through even from a client over its limit: clients
    behind one NAT share an address, and one of them sending bad keys must not lock the others
    out. Whether a key is good can't be told without the store (a guess looks like any key), so
    each successful authentication leaves a *verified mark* for the key: a 128-bit BLAKE2b
    fingerprint (not the store's SHA-256, so the counter storage never holds the store's hashes)
    kept in the counter storage, shared by every process on one Redis, for
    :data:`_VERIFIED_SECONDS` after its last refresh. Each process also remembers the marks it
    refreshed itself, which spares a verified key's requests any extra storage round trip. A
    key never verified before (or not for a week) is refused with the rest of its client's
    requests until the window ends; a failure of a marked key (revoked since) removes its mark.

    The check (:meth:`refusal`) peeks and the count (:meth:`failed`) comes after the lookup, so
    concurrent failures of one client can each pass the peek: at most the requests it has in
    flight beyond the limit reach the store.

    Every method is blocking (Redis round trips with Redis storage) and raises whatever the
    storage raises: call them from a worker thread and fail closed.
    """

    def __init__(self, limiter: RateLimiter, settings: Settings) -> None:
        self._limiter = limiter
        self._storage = limiter.storage  # the storage the strategy counts on
        self._item = RateLimitItemPerSecond(
            settings.rate_limit_auth_failures,
            settings.rate_limit_window_seconds,
            namespace="logsum",
        )
        self._verified_here: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def refusal(self, client: str, credential: str) -> RateLimitDecision | None:
        """``None`` when the request may go on to authenticate ``credential`` (the client is
        within its limit, or the key is verified); otherwise the refusal, with its
        ``retry_after``. Consumes nothing."""
        mark = _fingerprint(credential) if credential else None
        if mark is not None and self._fresh_here(mark):
            return None
        if self._limiter.test(self._item, _FAILURES, client):
            return None
        if mark is not None and self._storage.get(_mark_key(mark)) > 0:
            return None
        return _decision(self._limiter, self._item, False, _FAILURES, client)

    def failed(self, client: str, credential: str) -> None:
        """Count one failed authentication of ``client``; ``credential`` (the key it sent, or
        empty) loses its verified mark, if it had one."""
        self._limiter.hit(self._item, _FAILURES, client)
        if credential:
            mark = _fingerprint(credential)
            with self._lock:
                self._verified_here.pop(mark, None)
            self._storage.clear(_mark_key(mark))

    def succeeded(self, credential: str) -> None:
        """Mark ``credential`` as verified (a storage write at most every
        :data:`_VERIFIED_REFRESH_SECONDS` per key and process)."""
        mark = _fingerprint(credential)
        if self._fresh_here(mark):
            return
        key = _mark_key(mark)
        # ``incr`` sets the expiry only when it creates the counter: start afresh to extend it.
        self._storage.clear(key)
        self._storage.incr(key, _VERIFIED_SECONDS)
        with self._lock:
            self._verified_here[mark] = time.monotonic()
            self._verified_here.move_to_end(mark)
            while len(self._verified_here) > _VERIFIED_MAX_LOCAL:
                self._verified_here.popitem(last=False)

    def _fresh_here(self, mark: str) -> bool:
        with self._lock:
            refreshed = self._verified_here.get(mark)
            if refreshed is None:
                return False
            if time.monotonic() - refreshed > _VERIFIED_REFRESH_SECONDS:
                del self._verified_here[mark]
                return False
            self._verified_here.move_to_end(mark)
            return True


def _fingerprint(credential: str) -> str:
    digest = hashlib.blake2b(credential.encode("utf-8"), digest_size=16, person=b"logsum-verified")
    return digest.hexdigest()


def _mark_key(mark: str) -> str:
    return f"logsum/verified-key/{mark}"


def _decision(
    limiter: RateLimiter, item: RateLimitItem, allowed: bool, *identifiers: str
) -> RateLimitDecision:
    """The decision of a request counted (or refused) under ``item`` for ``identifiers``, with
    the window's remaining count and reset time read from the storage."""
    stats = limiter.get_window_stats(item, *identifiers)
    now = time.time()
    reset = stats.reset_time if stats.reset_time > now else now + item.get_expiry()
    return RateLimitDecision(
        allowed=allowed,
        limit=item.amount,
        remaining=max(0, int(stats.remaining)),
        reset_at=math.ceil(reset),
        retry_after=max(1, math.ceil(reset - now)),
    )
