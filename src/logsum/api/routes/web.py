"""The web page at ``/``: static HTML, CSS and JavaScript shipped in the package
(``logsum/api/web/``), with no build step and nothing loaded from elsewhere. The page calls the
``/v1`` API with the key its user enters (kept in the tab's ``sessionStorage``; never in a
URL)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter
from starlette.responses import Response

from logsum.api.errors import NotFound

router = APIRouter(include_in_schema=False)

_FILES = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
"""The files under ``/ui/`` and their types (nothing else is served)."""

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
"""The page runs only its own files: no inline script or style, no other origin."""

_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


@cache
def _read(name: str) -> bytes:
    return (resources.files("logsum.api") / "web" / name).read_bytes()


@router.get("/")
async def index() -> Response:
    """The single page."""
    return Response(_read("index.html"), media_type="text/html; charset=utf-8", headers=_HEADERS)


@router.get("/ui/{name}")
async def asset(name: str) -> Response:
    """One of the page's files (404 for any other name)."""
    media_type = _FILES.get(name)
    if media_type is None:
        raise NotFound(f"No file {name!r}")
    return Response(_read(name), media_type=media_type, headers=_HEADERS)
