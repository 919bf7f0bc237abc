"""The REST service (FastAPI): app factory, routes by domain, wire schemas, auth, rate limits,
error mapping. Build it through :mod:`logsum.app_factory`, which owns settings and the store."""

from logsum.api.app import create_app
from logsum.api.deps import Services

__all__ = ["Services", "create_app"]
