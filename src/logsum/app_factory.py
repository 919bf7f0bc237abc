"""The composition root: the one place that builds settings, store, rate limiter and metrics
and hands them to the API. Nothing is built at import time.

- ``logsum serve`` calls :func:`prepare` once (data directory, migrations, first key), then runs
  uvicorn on :func:`create_app_from_env` (import string :data:`APP_IMPORT_STRING`, with
  ``factory=True``, so each worker process builds its own services).
- Tests and benchmarks call :func:`build_app` with explicit settings.
"""

from __future__ import annotations

import gc
import sys
from dataclasses import dataclass

from fastapi import FastAPI

from logsum.api import Services, create_app
from logsum.api.metrics import Metrics
from logsum.api.ratelimit import TierRateLimiter
from logsum.api.service import AnalysisService
from logsum.cpupin import pin_to_free_cpu
from logsum.settings import Settings, load_settings
from logsum.store import ApiKeyRecord, Store, StoreLimits, Tier
from logsum.watch.config import WatchConfig
from logsum.watch.feature import WatchFeature

APP_IMPORT_STRING = "logsum.app_factory:create_app_from_env"
"""What uvicorn imports (with ``factory=True``) in each worker process."""


DATA_DIR_MODE = 0o700
"""Mode of the data directory when LogSum creates it: the database in it holds the webhook
signing secrets in clear."""


def open_store(settings: Settings) -> Store:
    """The store the settings point to; creates the data directory for the embedded SQLite
    (mode 0700; its parents, if missing, with the default mode)."""
    if settings.uses_embedded_store:
        settings.data_dir.expanduser().mkdir(mode=DATA_DIR_MODE, parents=True, exist_ok=True)
    limits = StoreLimits(
        history=settings.history_resolutions,
        max_anomalies_per_tenant=settings.max_anomalies_per_key,
    )
    return Store(settings.store_url, limits=limits)


def build_services(settings: Settings) -> Services:
    """Everything one service process needs, built from ``settings``."""
    store = open_store(settings)
    return Services(
        settings=settings,
        store=store,
        limiter=TierRateLimiter(settings),
        metrics=Metrics(),
        analysis=AnalysisService(settings, store),
    )


def build_app(settings: Settings) -> FastAPI:
    """The ASGI app over freshly built services (closes the store on shutdown)."""
    services = build_services(settings)
    watch = WatchFeature(services.store, WatchConfig.from_settings(settings))
    return create_app(services, on_shutdown=services.store.close, watch_feature=watch)


def create_app_from_env() -> FastAPI:
    """uvicorn factory: settings from the ``LOGSUM_*`` environment, then :func:`build_app`.
    This is a service process of its own, so the process-wide tuning is applied here."""
    settings = load_settings()
    tune_process(settings)
    return build_app(settings)


def tune_process(settings: Settings) -> None:
    """Apply the process-wide tuning of a service process: ``LOGSUM_GC_GEN0_THRESHOLD`` (older
    generations keep theirs), ``LOGSUM_THREAD_SWITCH_MS`` and ``LOGSUM_CPU_AFFINITY``."""
    if settings.gc_gen0_threshold:
        _gen0, gen1, gen2 = gc.get_threshold()
        gc.set_threshold(settings.gc_gen0_threshold, gen1, gen2)
    if settings.thread_switch_ms:
        sys.setswitchinterval(settings.thread_switch_ms / 1000)
    if settings.cpu_affinity:
        pin_to_free_cpu()


@dataclass(frozen=True, slots=True)
class Prepared:
    """What :func:`prepare` did."""

    store_url: str
    bootstrap_key: tuple[ApiKeyRecord, str] | None
    """The key created because the store had none (record, plaintext shown once), or None."""


def prepare(settings: Settings) -> Prepared:
    """Create the data directory, migrate the store, and create a first key when there is none
    (tier ``LOGSUM_BOOTSTRAP_KEY_TIER``). Run once before starting the workers."""
    store = open_store(settings)
    try:
        store.migrate()
        created = None
        if not store.has_keys():
            created = store.create_key("default", Tier(settings.bootstrap_key_tier))
        return Prepared(store_url=settings.store_url, bootstrap_key=created)
    finally:
        store.close()
