"""The REST service (FastAPI): app factory, routes by domain, wire schemas, auth, rate limits,
error mapping. Build it through :mod:`logsum.app_factory`, which owns settings and the store.

The names below are loaded on first use, so that :mod:`logsum.api.schemas` (the wire models,
which :mod:`logsum.client` uses) can be imported without FastAPI, the store or the engines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from logsum.api.app import create_app
    from logsum.api.deps import Services

__all__ = ["Services", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from logsum.api.app import create_app

        return create_app
    if name == "Services":
        from logsum.api.deps import Services

        return Services
    raise AttributeError(f"module 'logsum.api' has no attribute {name!r}")
