"""The watch use cases behind the API: create (validated), list, get, delete.

Validation happens here, not in the routes, so every entry point refuses the same things:
a source outside ``LOGSUM_WATCH_ROOTS`` (after resolving ``..`` and symlinks) or that names
something other than a regular file (a FIFO, a device: refused without blocking), a webhook URL
that is not http(s) or resolves to a forbidden address, unknown severities, and more watches
than a key may have. Errors are :class:`~logsum.watch.errors.WatchValidationError` (the API maps
them to 400 ``invalid_request``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from logsum.core.errors import InvalidOption
from logsum.core.model import Severity
from logsum.core.timestamps import DEFAULT_ZONE, zone_named
from logsum.watch.config import WatchConfig
from logsum.watch.errors import SourcePathError, WatchLimitReached, WatchValidationError
from logsum.watch.follower import Checkpoint, current_checkpoint
from logsum.watch.model import WatchFilters, WatchRecord
from logsum.watch.paths import NotRegularFile, RootedPath, under_roots, validate_source
from logsum.watch.repo import WatchStore
from logsum.watch.signing import generate_secret
from logsum.watch.urlcheck import Resolver, check_webhook_url, system_resolver


@dataclass(frozen=True, slots=True)
class CreatedWatch:
    """A new watch and its signing secret (returned once, never shown again)."""

    watch: WatchRecord
    secret: str


def parse_severities(values: Sequence[str] | None) -> WatchFilters:
    """``["error", "warning"]`` -> filters; raises for unknown names."""
    out: list[Severity] = []
    for v in values or ():
        try:
            sev = Severity(str(v).strip().lower())
        except ValueError:
            allowed = ", ".join(s.value for s in Severity)
            raise WatchValidationError(
                f"unknown severity {v!r} in filters.severity; expected some of: {allowed}"
            ) from None
        if sev not in out:
            out.append(sev)
    return WatchFilters(tuple(out))


def _checkpoint_now(source: RootedPath, *, at_end: bool) -> Checkpoint | None:
    """Where the new watch starts; a FIFO, device or unreadable file is refused here, at once
    (the file is opened without blocking and never read unless it is a regular file)."""
    try:
        return current_checkpoint(source, at_end=at_end)
    except NotRegularFile as exc:
        raise SourcePathError(f"source {exc}") from None
    except OSError as exc:
        raise SourcePathError(f"source cannot be read: {exc.strerror or exc}") from None


def create_watch(
    repo: WatchStore,
    config: WatchConfig,
    *,
    tenant_id: str,
    source: str,
    severities: Sequence[str] | None,
    webhook_url: str,
    from_beginning: bool = False,
    resolver: Resolver = system_resolver,
    timezone: str = DEFAULT_ZONE,
) -> CreatedWatch:
    """Validate and store a new watch; the service's supervisor starts it shortly."""
    path = validate_source(source, config.roots)
    filters = parse_severities(severities)
    try:
        zone_named(timezone)
    except InvalidOption as exc:
        raise WatchValidationError(f"{exc} (timezone)") from None
    check_webhook_url(webhook_url, allow_private=config.allow_private, resolver=resolver)
    # A quick refusal before touching the file; the binding check is in the insert's
    # transaction (concurrent creates would all pass this one).
    if repo.count_watches(tenant_id) >= config.max_watches_per_key:
        raise WatchLimitReached(
            f"this key already has {config.max_watches_per_key} watches, the most allowed"
        )
    checkpoint = _checkpoint_now(under_roots(path, config.roots), at_end=not from_beginning)
    secret = generate_secret()
    record = repo.create_watch(
        tenant_id=tenant_id,
        source=str(path),
        filters=filters,
        webhook_url=webhook_url,
        secret=secret,
        from_beginning=from_beginning,
        checkpoint=checkpoint,
        timezone=timezone,
        max_watches=config.max_watches_per_key,
    )
    return CreatedWatch(record, secret)
