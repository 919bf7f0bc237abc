"""A watch-only worker: ``python -m logsum.watch`` runs the watches of the store that the
``LOGSUM_*`` settings point to (no HTTP API), until SIGTERM/SIGINT.

The API service runs the same :class:`~logsum.watch.service.WatchService` in its lifespan; this
entry point is for deployments that keep the followers on the machine with the log files, and
for tests that kill a worker with SIGKILL.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

from logsum.settings import SettingsError, load_settings
from logsum.store import Store, StoreError
from logsum.watch.config import WatchConfig
from logsum.watch.service import WatchService


def main() -> int:
    """Run until a termination signal; returns the exit status."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"logsum watch: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level_number, format="%(asctime)s %(name)s %(message)s")
    store = Store(settings.store_url)
    try:
        store.migrate()
    except StoreError as exc:
        print(f"logsum watch: {exc}", file=sys.stderr)
        return 1
    service = WatchService(store, WatchConfig.from_settings(settings))
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    service.start()
    print(f"logsum watch: running as {service.owner}", flush=True)
    done.wait()
    service.stop()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
