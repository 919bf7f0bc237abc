"""Inflating a request body sent with ``Content-Encoding: gzip`` or ``deflate``, never past the
body limit whatever the compression ratio."""

from __future__ import annotations

import zlib

from starlette.exceptions import HTTPException
from starlette.types import Scope

from logsum.api.middleware.respond import header


class BodyTooLarge(Exception):
    """The body, as sent or once inflated, is over the limit."""


class _BadEncoding(Exception):
    pass


_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
"""zlib's ``wbits`` for each request ``Content-Encoding`` the service inflates."""


def decode_for_app(scope: Scope, body: bytes, limit: int) -> bytes:
    """``body`` decoded as its ``Content-Encoding`` says, with refusals as HTTP errors (the app
    reads the body, and FastAPI passes only those on as they are): 413 once inflated past
    ``limit``, 400 for bad data or an encoding the service does not inflate."""
    encoding = header(scope, b"content-encoding") or ""
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return body
    wbits = _WBITS.get(codings[0]) if len(codings) == 1 else None
    if wbits is None:
        raise HTTPException(
            400,
            f"Content-Encoding {encoding[:40]!r} is not supported; send gzip, deflate or an "
            "unencoded body",
        )
    try:
        return _inflate(body, wbits, limit)
    except BodyTooLarge:
        raise HTTPException(
            413, f"Request body exceeds the limit of {limit} bytes once inflated"
        ) from None
    except _BadEncoding as exc:
        raise HTTPException(400, str(exc)) from None


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    """``data`` decompressed, at most ``limit`` bytes of it: :class:`BodyTooLarge` beyond
    (memory stays bounded whatever the ratio), :class:`_BadEncoding` when the data is not what
    the header says. gzip: one member or several, zero padding after them ignored (as Python's
    gzip module does); deflate: a zlib stream, or a raw one as some clients send."""
    try:
        return _inflate_stream(data, wbits, limit)
    except _BadEncoding as first:
        if wbits != zlib.MAX_WBITS:
            raise
        try:
            return _inflate_stream(data, -zlib.MAX_WBITS, limit)
        except _BadEncoding:
            raise first from None


MAX_GZIP_MEMBERS = 16
"""gzip members one body may hold (each one copies what follows it: a cap keeps the work
linear; writers use one, or one per flush)."""


def _inflate_stream(data: bytes, wbits: int, limit: int) -> bytes:
    out = bytearray()
    gzip = wbits > zlib.MAX_WBITS
    members = 0
    try:
        while data:
            members += 1
            if members > MAX_GZIP_MEMBERS:
                raise _BadEncoding(
                    f"The request body holds more than {MAX_GZIP_MEMBERS} gzip members"
                )
            inflater = zlib.decompressobj(wbits)
            out += inflater.decompress(data, limit + 1 - len(out))  # len(out) <= limit: >= 1
            if len(out) > limit or inflater.unconsumed_tail:
                raise BodyTooLarge
            if not inflater.eof:
                raise _BadEncoding("The request body ends inside its compressed data")
            data = inflater.unused_data
            if gzip and data.count(0) == len(data):  # zero padding
                break
            if data and not gzip:
                raise _BadEncoding("The request body goes on after its compressed data")
    except zlib.error as exc:
        raise _BadEncoding(f"The request body is not valid compressed data ({exc})") from None
    return bytes(out)
