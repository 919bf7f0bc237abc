"""Logging configuration for ``logsum serve`` (passed to uvicorn as ``log_config``).

Access lines (logger ``logsum.access``) are one JSON object per request, with the request id;
other loggers write ``time level logger: message``. Everything goes to stderr, so stdout of
``logsum serve`` carries only the first-start key announcement.
"""

from __future__ import annotations

from typing import Any


def log_config(level: str) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` dictionary for the given level name."""
    lvl = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "bare": {"format": "%(message)s"},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "bare",
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "logsum.access": {"handlers": ["access"], "level": lvl, "propagate": False},
            "logsum": {"handlers": ["stderr"], "level": lvl, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": lvl, "propagate": False},
            "uvicorn.error": {"level": lvl},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }
