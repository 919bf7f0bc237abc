"""``logsum keys create|list|revoke``: manage API keys in the configured store."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from logsum.cli import app

if TYPE_CHECKING:
    from logsum.settings import Settings
    from logsum.store import Store

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


class TierChoice(StrEnum):
    """Tiers a key can have (requests per minute: free 100, pro 1000, enterprise 10000)."""

    free = "free"
    pro = "pro"
    enterprise = "enterprise"


def _settings() -> Settings:
    from logsum.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"logsum keys: {exc}", err=True)
        raise typer.Exit(2) from None


def _store(settings: Settings | None = None) -> Store:
    """The configured store, migrated; the data directory and database are created if need be."""
    from logsum.app_factory import open_store

    store = open_store(settings or _settings())
    store.migrate()
    return store


def _existing_store() -> Store | None:
    """The configured store, or ``None`` while the embedded SQLite file does not exist: the
    commands that only read or revoke keys must not leave a data directory and an empty
    database behind in whatever directory they were run from."""
    settings = _settings()
    if settings.uses_embedded_store and not settings.embedded_db_path.exists():
        return None
    return _store(settings)


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="A label for the key (who uses it).")],
    tier: Annotated[TierChoice, typer.Option("--tier", help="Rate-limit tier.")] = TierChoice.free,
) -> None:
    """Create a key. The key is printed once, alone on the last line of stdout."""
    from logsum.store import Tier

    name = name.strip()
    if not name or len(name) > 200:
        typer.echo("logsum keys create: --name must be 1..200 characters", err=True)
        raise typer.Exit(2)
    store = _store()
    try:
        record, plaintext = store.create_key(name, Tier(tier.value))
    except ValueError as exc:  # the store refuses the name (e.g. control characters)
        typer.echo(f"logsum keys create: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.close()
    typer.echo(f"Created key {record.id} (name {record.name!r}, tier {record.tier}).")
    typer.echo("Store it now: it is not shown again.")
    typer.echo(plaintext)


@keys_app.command("list")
def list_keys() -> None:
    """List keys: id, tier, prefix, created, revoked, name (never the key itself).

    Creates nothing: with no store yet, the header alone, and a note on stderr."""
    store = _existing_store()
    if store is None:
        records = []
        typer.echo("logsum keys list: no store yet, so no keys", err=True)
    else:
        try:
            records = store.list_keys()
        finally:
            store.close()
    typer.echo(f"{'ID':<36} {'TIER':<10} {'PREFIX':<14} {'CREATED':<20} {'REVOKED':<20} NAME")
    for r in records:
        created = r.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        revoked = r.revoked_at.strftime("%Y-%m-%dT%H:%M:%SZ") if r.revoked_at else "-"
        typer.echo(f"{r.id:<36} {r.tier!s:<10} {r.prefix:<14} {created:<20} {revoked:<20} {r.name}")


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `logsum keys list`).")],
) -> None:
    """Revoke a key: requests with it get 401 from then on. Revoking twice is harmless."""
    store = _existing_store()
    done = False
    if store is not None:
        try:
            done = store.revoke_key(key_id)
        finally:
            store.close()
    if not done:
        typer.echo(f"logsum keys revoke: no key with id {key_id!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"Revoked {key_id}.")
