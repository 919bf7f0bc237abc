"""Errors raised by the pattern store.

The tree::

    StoreError                 any failure of the store (bad URL, unexpected database error)
    └── StoreUnavailable       the database can't be reached right now (connection refused,
                               file not writable, server gone); callers may retry later

Bad arguments (an empty key name, a negative limit, an unknown severity) raise ``ValueError``:
they are the caller's bug or the user's input, not a store failure.
"""

from __future__ import annotations

__all__ = ["StoreError", "StoreUnavailable"]


class StoreError(Exception):
    """The store failed to do what was asked."""


class StoreUnavailable(StoreError):
    """The database can't be reached (or is not usable) at the moment."""
