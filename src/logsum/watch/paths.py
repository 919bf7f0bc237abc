"""Source path validation: a watch may only read files under the operator's allowed roots.

The path is made absolute and resolved (``..`` removed, every symlink followed, including a
symlink that is the file itself) before the containment check, so neither ``/roots/../etc`` nor
a symlink inside a root that points outside it gets through. The file need not exist yet (a
watch waits for it); its existing parent directories are resolved.

The follower later opens the *resolved* path, so swapping a directory for a symlink after the
check does not redirect the watch outside the roots through the checked name. (A root that an
attacker can write to is out of scope: the operator chooses the roots.)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from logsum.watch.errors import SourcePathError

MAX_PATH_CHARS = 4096
"""Longest source path accepted (PATH_MAX on Linux)."""


def validate_source(source: str, roots: Sequence[str | os.PathLike[str]]) -> Path:
    """Return the resolved path of ``source`` if it lies under one of ``roots``.

    Raises :class:`SourcePathError` when there are no roots, the path is relative, empty, too
    long, contains a NUL byte, is a directory, or resolves outside every root.
    """
    if not isinstance(source, str) or not source.strip():
        raise SourcePathError("source must be a non-empty file path")
    if len(source) > MAX_PATH_CHARS or "\x00" in source:
        raise SourcePathError("source is not a valid file path")
    if not roots:
        raise SourcePathError("watching files is disabled: no LOGSUM_WATCH_ROOTS configured")
    raw = Path(source)
    if not raw.is_absolute():
        raise SourcePathError("source must be an absolute path")
    try:
        resolved = raw.resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # symlink loops
        raise SourcePathError("source cannot be resolved") from exc
    for root in roots:
        try:
            root_resolved = Path(root).resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if resolved != root_resolved and resolved.is_relative_to(root_resolved):
            if resolved.is_dir():
                raise SourcePathError("source is a directory, not a file")
            return resolved
    raise SourcePathError("source is outside the directories allowed for watching")
