"""The watch feature as the API sees it: one object built by the composition root, started and
stopped by the app's lifespan, used by the ``/v1/watch`` routes."""

from __future__ import annotations

from collections.abc import Sequence

from logsum.core.timestamps import DEFAULT_ZONE
from logsum.store import Store
from logsum.watch.config import WatchConfig
from logsum.watch.manage import CreatedWatch, create_watch
from logsum.watch.model import WatchRecord
from logsum.watch.repo import WatchStore
from logsum.watch.service import WatchService
from logsum.watch.urlcheck import Resolver, system_resolver


class WatchFeature:
    """Watches of one service process: the repository, and (unless ``run_watches`` is off)
    the :class:`WatchService` that runs the watches whose leases this process holds."""

    def __init__(
        self, store: Store, config: WatchConfig, *, resolver: Resolver = system_resolver
    ) -> None:
        self.config = config
        self.repo = WatchStore(store)
        self.resolver = resolver
        self.service = (
            WatchService(store, config, resolver=resolver) if config.run_watches else None
        )

    def start(self) -> None:
        """Start running watches (the app's lifespan calls this)."""
        if self.service is not None:
            self.service.start()

    def stop(self) -> None:
        """Stop the watches and release their leases (on shutdown)."""
        if self.service is not None:
            self.service.stop()

    def create(
        self,
        tenant_id: str,
        *,
        source: str,
        severities: Sequence[str] | None,
        webhook_url: str,
        from_beginning: bool,
        timezone: str = DEFAULT_ZONE,
    ) -> CreatedWatch:
        """Validate and store a watch; a service process starts it within a moment."""
        created = create_watch(
            self.repo,
            self.config,
            tenant_id=tenant_id,
            source=source,
            severities=severities,
            webhook_url=webhook_url,
            from_beginning=from_beginning,
            resolver=self.resolver,
            timezone=timezone,
        )
        if self.service is not None:
            self.service.wake()
        return created

    def list(self, tenant_id: str) -> list[WatchRecord]:
        """The tenant's watches."""
        return self.repo.list_watches(tenant_id)

    def get(self, tenant_id: str, watch_id: str) -> WatchRecord | None:
        """The tenant's watch, or ``None`` (unknown or another tenant's)."""
        return self.repo.get_watch(tenant_id, watch_id)

    def delete(self, tenant_id: str, watch_id: str) -> bool:
        """Delete the tenant's watch; its runner stops within a supervision round."""
        gone = self.repo.delete_watch(tenant_id, watch_id)
        if gone and self.service is not None:
            self.service.wake()
        return gone
