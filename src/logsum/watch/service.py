"""The watch service of one process: leases, and a runner + deliverer per leased watch.

:class:`WatchService` is started by the app's lifespan (or by ``python -m logsum.watch`` for a
watch-only worker) and stopped on shutdown. A supervisor thread, every
``supervisor_interval_s``:

- renews the lease of every watch this process runs, and stops a watch whose lease was taken
  (this process was paused past the lease) or which was deleted;
- tries to take the lease of every other watch; a watch whose owner died (kill -9, crashed
  machine) is free once its lease expires, so another process takes it over within
  ``lease_ttl_s + supervisor_interval_s``;
- restarts a watch whose runner thread died of an unexpected error (with the error recorded in
  ``last_error``).

Each running watch has two threads: the runner (follow, parse, commit to the outbox) and the
deliverer (send the outbox). On :meth:`WatchService.stop` both finish, and the leases are
released so another process can continue at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass, field

import httpx

from logsum.store import Store, StoreError
from logsum.watch.config import WatchConfig
from logsum.watch.delivery import Deliverer
from logsum.watch.errors import LeaseLost
from logsum.watch.model import WatchStatus
from logsum.watch.repo import WatchStore
from logsum.watch.runner import WatchRunner
from logsum.watch.urlcheck import Resolver, system_resolver

log = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 10.0
"""How long stop() waits for a watch's threads."""
RESTART_DELAY_S = 1.0
"""Pause before a crashed runner is restarted."""


def new_owner_id() -> str:
    """An id for this process in the lease table: host, pid and a random part."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(slots=True)
class _Running:
    stop: threading.Event
    wake: threading.Event
    threads: list[threading.Thread] = field(default_factory=list)

    def alive(self) -> bool:
        return all(t.is_alive() for t in self.threads)


class WatchService:
    """Runs the watches this process holds leases for (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        config: WatchConfig,
        *,
        owner: str | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.store = store
        self.config = config
        self.repo = WatchStore(store)
        self.owner = owner or new_owner_id()
        self.resolver = resolver
        self._running: dict[str, _Running] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._kick = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._client = httpx.Client(
            follow_redirects=False,
            timeout=config.delivery_timeout_s,
            trust_env=False,  # never route webhooks through an environment proxy
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the supervisor thread (idempotent)."""
        if self._supervisor is not None:
            return
        self._supervisor = threading.Thread(
            target=self._supervise, name="logsum-watch-supervisor", daemon=True
        )
        self._supervisor.start()

    def stop(self) -> None:
        """Stop every watch, release the leases, close the HTTP client."""
        self._stop.set()
        if self._supervisor is not None:
            self._supervisor.join(JOIN_TIMEOUT_S)
        with self._lock:
            running = dict(self._running)
            self._running.clear()
        for watch_id, r in running.items():
            self._halt(watch_id, r)
        self._client.close()

    def running(self) -> list[str]:
        """Ids of the watches this process runs now."""
        with self._lock:
            return sorted(self._running)

    def wake(self) -> None:
        """Look for new watches now (called after a watch is created)."""
        self._kick.set()

    # -- supervision -------------------------------------------------------------------------

    def _supervise(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except StoreError as exc:
                log.warning("watch supervisor: store unavailable: %s", exc)
            except Exception:  # keep supervising whatever happens
                log.exception("watch supervisor: unexpected error")
            self._kick.wait(self.config.supervisor_interval_s)
            self._kick.clear()

    def tick(self) -> None:
        """One supervision round (public for tests): renew this process's leases in one
        transaction, stop what was lost, take free watches (one read, then a write only for a
        watch that looked free, so idle processes don't fight over the write lock)."""
        with self._lock:
            mine = dict(self._running)
        held = self.repo.renew_leases(list(mine), self.owner, self.config.lease_ttl_s)
        for watch_id, r in mine.items():
            if watch_id not in held or r.stop.is_set():
                with self._lock:
                    self._running.pop(watch_id, None)
                self._halt(watch_id, r, release=watch_id in held)
            elif not r.alive():
                log.warning("watch %s: a thread died; restarting it", watch_id)
                with self._lock:
                    self._running.pop(watch_id, None)
                self._halt(watch_id, r, release=False)
                self._start_watch(watch_id)
        if self._stop.is_set():
            return
        for watch_id in self.repo.free_watches():
            if watch_id in self._running:
                continue
            if self.repo.acquire_lease(watch_id, self.owner, self.config.lease_ttl_s):
                self._start_watch(watch_id)

    def _start_watch(self, watch_id: str) -> None:
        spec = self.repo.get_spec(watch_id)
        if spec is None:
            return
        r = _Running(stop=threading.Event(), wake=threading.Event())

        def run_runner() -> None:
            try:
                runner = WatchRunner(
                    spec,
                    repo=self.repo,
                    store=self.store,
                    config=self.config,
                    owner=self.owner,
                    stop=r.stop,
                    on_commit=r.wake.set,
                )
                runner.run()
            except LeaseLost as exc:
                log.info("watch %s: %s; stopping here", watch_id, exc)
                r.stop.set()
            except Exception as exc:
                log.exception("watch %s: runner failed", watch_id)
                with contextlib.suppress(StoreError):
                    self.repo.set_status(watch_id, WatchStatus.ERROR, error=f"runner: {exc}")
                r.stop.wait(RESTART_DELAY_S)

        def run_deliverer() -> None:
            try:
                Deliverer(
                    spec,
                    repo=self.repo,
                    config=self.config,
                    stop=r.stop,
                    wake=r.wake,
                    client=self._client,
                    resolver=self.resolver,
                ).run()
            except Exception:
                log.exception("watch %s: deliverer failed", watch_id)
                r.stop.wait(RESTART_DELAY_S)

        for target, name in ((run_runner, "runner"), (run_deliverer, "deliver")):
            t = threading.Thread(target=target, name=f"watch-{name}-{watch_id}", daemon=True)
            r.threads.append(t)
        with self._lock:
            self._running[watch_id] = r
        for t in r.threads:
            t.start()
        log.info("watch %s: started in %s", watch_id, self.owner)

    def _halt(self, watch_id: str, r: _Running, *, release: bool = True) -> None:
        r.stop.set()
        r.wake.set()
        for t in r.threads:
            t.join(JOIN_TIMEOUT_S)
        if release:
            try:
                self.repo.release_lease(watch_id, self.owner)
            except StoreError as exc:
                log.warning("watch %s: lease not released: %s", watch_id, exc)
