"""Errors of the watch adapter. The API maps them to HTTP in one place (400 for the
validation errors)::

    WatchError
    ├── WatchValidationError        bad input when creating a watch (400 invalid_request)
    │   ├── SourcePathError         the source is outside LOGSUM_WATCH_ROOTS or not a file path
    │   ├── WebhookUrlError         not http(s), or resolves to a forbidden address
    │   └── WatchLimitReached       the key has LOGSUM_MAX_WATCHES_PER_KEY watches already
    └── LeaseLost                   this process no longer owns the watch (another one took it)
"""

from __future__ import annotations


class WatchError(Exception):
    """Base class of the watch errors."""


class WatchValidationError(WatchError):
    """Bad input when creating a watch; the message is safe to show to the caller."""


class SourcePathError(WatchValidationError):
    """The source path is not allowed (outside the watch roots, through ``..`` or symlinks)."""


class WebhookUrlError(WatchValidationError):
    """The webhook URL is not allowed (scheme, host, or a forbidden resolved address)."""


class WatchLimitReached(WatchValidationError):
    """The key already has as many watches as it may (checked atomically in the store)."""


class LeaseLost(WatchError):
    """The lease on a watch expired or was taken by another process: stop working on it."""
