"""Time helpers shared by the adapters: UTC normalisation, the wire's ISO 8601 form, and the
earlier/later of two optional times.

Every time LogSum stores or sends is in UTC. A naive ``datetime`` is taken as UTC (SQLite hands
back naive values for what was written in UTC), an aware one in another zone is converted.

Pure functions except :func:`utc_now`, the default clock of the store and the watch; the core
may import this module (it is not an adapter), but reads no clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar, overload

__all__ = ["as_utc", "earlier", "iso", "later", "utc_for_json", "utc_now"]


class _Ordered(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...


Ordered = TypeVar("Ordered", bound=_Ordered)
"""A time, or its text in one form whose text order is time order."""


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
@overload
def as_utc(value: datetime | None) -> datetime | None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC datetime (naive taken as UTC); ``None`` stays ``None``."""
    if value is None:
        return None
    tz = value.tzinfo
    if tz is UTC:
        return value
    return value.replace(tzinfo=UTC) if tz is None else value.astimezone(UTC)


def utc_for_json(ts: datetime | None) -> datetime | None:
    """``ts`` for a serialiser that writes naive times as UTC (orjson's ``OPT_NAIVE_UTC``):
    aware times in another zone converted to UTC, naive and UTC ones as they are (no new
    object: this runs for every time of a response)."""
    if ts is None or ts.tzinfo is None or ts.tzinfo is UTC:
        return ts
    return ts.astimezone(UTC)


def iso(ts: datetime | None) -> str | None:
    """ISO 8601 in UTC with ``Z`` (naive values are taken as UTC), or ``None``: the form of
    every time on the wire."""
    if ts is None:
        return None
    return as_utc(ts).isoformat().replace("+00:00", "Z")


def earlier(a: Ordered | None, b: Ordered | None) -> Ordered | None:
    """The earlier of two times (``None`` counts as unknown, so the other one wins)."""
    return b if a is None else a if b is None or not b < a else b


def later(a: Ordered | None, b: Ordered | None) -> Ordered | None:
    """The later of two times (``None`` counts as unknown, so the other one wins)."""
    return b if a is None else a if b is None or not a < b else b
