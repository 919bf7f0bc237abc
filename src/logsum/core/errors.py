"""The core's exception tree. Adapters map these to HTTP statuses or CLI errors in one place.

::

    LogsumError            base of every error the core raises on purpose
     └── InvalidOption     an option value the caller passed is unusable (bad regex, range)
"""

from __future__ import annotations


class LogsumError(Exception):
    """Base class of the errors the core raises deliberately."""


class InvalidOption(LogsumError, ValueError):
    """An option passed by the caller is invalid; the message says which and why."""
