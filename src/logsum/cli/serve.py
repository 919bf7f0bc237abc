"""``logsum serve``: run the REST service with uvicorn."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import Annotated

import typer

from logsum.cli import app

WORKER_HEALTHCHECK_SECONDS = 60
"""How long a worker may take to answer uvicorn's supervisor before it is restarted."""

DEFAULTS = {"host": "127.0.0.1", "port": "8000", "workers": "1", "log_level": "info"}
"""The defaults of the settings the options override, as ``--help`` shows them. The options
themselves default to ``None`` so that an option not given leaves the ``LOGSUM_*`` variable in
charge. Written out rather than read from :class:`logsum.settings.Settings` because importing
pydantic-settings would add about 0.3 s to every ``logsum --help``; a test pins them to the
Settings fields."""


def _default(name: str) -> str:
    return DEFAULTS[name]


@app.command()
def serve(
    host: Annotated[
        str | None,
        typer.Option(help="Address to bind (env LOGSUM_HOST).", show_default=_default("host")),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port to listen on (env LOGSUM_PORT).", show_default=_default("port")),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Worker processes (env LOGSUM_WORKERS).",
            min=1,
            max=64,
            show_default=_default("workers"),
        ),
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(
            help="debug|info|warning|error|critical (env LOGSUM_LOG_LEVEL).",
            show_default=_default("log_level"),
        ),
    ] = None,
) -> None:
    """Start the REST service.

    On start: creates the data directory (embedded SQLite), migrates the store, and when the
    store has no API key yet creates one (tier LOGSUM_BOOTSTRAP_KEY_TIER) and prints it once,
    alone on the last line of the announcement on stdout. All settings: docs/API.md.
    """
    import uvicorn

    from logsum.api.logconfig import log_config
    from logsum.api.protocol import EnvelopeHttpToolsProtocol
    from logsum.app_factory import APP_IMPORT_STRING, prepare
    from logsum.settings import SettingsError, load_settings

    overrides = {
        k: v
        for k, v in {"host": host, "port": port, "workers": workers, "log_level": log_level}.items()
        if v is not None
    }
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        typer.echo(f"logsum serve: {exc}", err=True)
        raise typer.Exit(2) from None
    # Worker processes build their own settings from the environment: pass the options on.
    for name, value in overrides.items():
        os.environ[f"LOGSUM_{name.upper()}"] = str(value)
    try:
        prepared = prepare(settings)
    except Exception as exc:
        typer.echo(f"logsum serve: cannot prepare the store: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"logsum: store {_redact(prepared.store_url)}", err=True)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    typer.echo(f"logsum: web page at http://{host}:{settings.port}/", err=True)
    if prepared.bootstrap_key is not None:
        record, plaintext = prepared.bootstrap_key
        typer.echo(
            f"Created the first API key {record.id} (name {record.name!r}, tier {record.tier}).\n"
            "It is shown only this once; use it as 'Authorization: Bearer <key>':\n"
            f"{plaintext}"
        )
        sys.stdout.flush()
    if settings.workers > 1 and not settings.redis_url:
        typer.echo(
            "logsum: warning: several workers without LOGSUM_REDIS_URL: each worker counts "
            "rate limits on its own",
            err=True,
        )
    metrics_dir = None
    if settings.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Workers write their metric values here, so any worker's /metrics shows the sum.
        metrics_dir = tempfile.mkdtemp(prefix="logsum-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        uvicorn.run(
            APP_IMPORT_STRING,
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_config=log_config(settings.log_level),
            access_log=False,
            server_header=False,
            http=EnvelopeHttpToolsProtocol,
            # uvicorn restarts a worker that has not answered its supervisor within this many
            # seconds; its default (5) kills workers that are still importing on a busy machine,
            # over and over.
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _redact(url: str) -> str:
    """The URL without its password."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
