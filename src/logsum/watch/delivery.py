"""The delivery loop of one watch: send the outbox, in order, signed, with retries.

One :class:`Deliverer` per running watch (in the process holding the watch's lease) takes the
oldest pending delivery and POSTs it. Deliveries go out in order: while the oldest one waits for
its retry, the later ones wait behind it (a receiver that is down is not hammered with every
batch, and it receives batches in the order they were written).

Each attempt re-validates the webhook URL (DNS rebinding) and connects to the checked address
(see :mod:`logsum.watch.urlcheck`); redirects are not followed (a redirect could point inside
the network). A 2xx answer marks the delivery delivered; anything else (status, timeout,
connection error, refused address) schedules a retry per :class:`~logsum.watch.retry.RetryPolicy`
until the attempts run out, then the delivery is failed and visible in the API.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx

from logsum import __version__
from logsum.store import StoreError
from logsum.timeutil import utc_now
from logsum.watch.config import WatchConfig
from logsum.watch.errors import WebhookUrlError
from logsum.watch.model import Delivery, WatchSpec
from logsum.watch.repo import WatchStore
from logsum.watch.retry import parse_retry_after
from logsum.watch.signing import sign
from logsum.watch.urlcheck import Resolver, check_webhook_url, system_resolver

log = logging.getLogger(__name__)

IDLE_WAIT_S = 1.0
"""Longest sleep of an idle deliverer before it looks at the outbox again (a commit wakes it
at once)."""
USER_AGENT = f"logsum-webhooks/{__version__}"
MAX_RESPONSE_BYTES = 64 * 1024
"""Bytes of a receiver's answer read before the connection is dropped (answers are ignored)."""


class Deliverer:
    """Sends one watch's outbox until ``stop`` is set."""

    def __init__(
        self,
        spec: WatchSpec,
        *,
        repo: WatchStore,
        config: WatchConfig,
        stop: threading.Event,
        wake: threading.Event,
        client: httpx.Client,
        resolver: Resolver = system_resolver,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self.spec = spec
        self.repo = repo
        self.config = config
        self.stop = stop
        self.wake = wake
        self.client = client
        self.resolver = resolver
        self._clock = clock
        self._rng = rng or random.Random()

    def run(self) -> None:
        """Deliver until stopped. Store outages are waited out."""
        while not self.stop.is_set():
            try:
                delivery = self.repo.next_delivery(self.spec.id)
            except StoreError as exc:
                log.warning("watch %s: outbox unreadable: %s", self.spec.id, exc)
                self.stop.wait(IDLE_WAIT_S)
                continue
            if delivery is None:
                self.wake.wait(IDLE_WAIT_S)
                self.wake.clear()
                continue
            wait = (delivery.next_attempt_at - self._clock()).total_seconds()
            if wait > 0:
                self.stop.wait(min(wait, IDLE_WAIT_S))
                continue
            try:
                self.attempt(delivery)
            except StoreError as exc:
                log.warning("watch %s: delivery state not saved: %s", self.spec.id, exc)
                self.stop.wait(IDLE_WAIT_S)

    def attempt(self, delivery: Delivery) -> bool:
        """One attempt; records the outcome. True when delivered."""
        error, retry_after = self._post(delivery)
        if error is None:
            self.repo.mark_delivered(delivery)
            return True
        attempts = delivery.attempts + 1
        if self.config.retry.exhausted(attempts):
            log.warning(
                "watch %s: delivery %s failed after %d attempts: %s",
                self.spec.id,
                delivery.id,
                attempts,
                error,
            )
            self.repo.mark_failed(delivery, attempts=attempts, error=error)
            return False
        delay = self.config.retry.delay(attempts, retry_after_s=retry_after, rng=self._rng)
        self.repo.mark_retry(
            delivery,
            attempts=attempts,
            next_attempt_at=self._clock() + timedelta(seconds=delay),
            error=error,
        )
        return False

    def _post(self, delivery: Delivery) -> tuple[str | None, float | None]:
        """``(error or None, Retry-After seconds or None)``."""
        try:
            target = check_webhook_url(
                self.spec.webhook_url,
                allow_private=self.config.allow_private,
                resolver=self.resolver,
            )
        except WebhookUrlError as exc:
            return f"refused: {exc}", None
        body = delivery.payload.encode("utf-8")
        headers = sign(self.spec.secret, delivery.id, int(time.time()), body).as_dict()
        headers.update(
            {
                "content-type": "application/json",
                "user-agent": USER_AGENT,
                "host": target.host_header,
            }
        )
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        request = self.client.build_request(
            "POST",
            target.pinned_url(),
            content=body,
            headers=headers,
            extensions=extensions,
            timeout=self.config.delivery_timeout_s,
        )
        try:
            # Streamed: at most MAX_RESPONSE_BYTES of the answer are read (then the connection
            # is dropped), so a hostile receiver can't make us hold a huge body.
            response = self.client.send(request, stream=True, follow_redirects=False)
            try:
                seen = 0
                for chunk in response.iter_raw():
                    seen += len(chunk)
                    if seen > MAX_RESPONSE_BYTES:
                        break
            finally:
                response.close()
        except httpx.TimeoutException:
            return "timeout", None
        except httpx.HTTPError as exc:
            return f"connection error: {type(exc).__name__}: {exc}", None
        if 200 <= response.status_code < 300:
            return None, None
        retry_after = parse_retry_after(response.headers.get("retry-after"), now=self._clock())
        return f"HTTP {response.status_code}", retry_after
