"""Source path validation: a watch may only read files under the operator's allowed roots.

The path is made absolute and resolved (``..`` removed, every symlink followed, including a
symlink that is the file itself) before the containment check, so neither ``/roots/../etc`` nor
a symlink inside a root that points outside it gets through. The file need not exist yet (a
watch waits for it); its existing parent directories are resolved.

Every later open (at creation, by the follower on every open, reopen and rotation check) goes
through a :class:`RootedPath`: the root directory is opened, then each directory below it with
``O_NOFOLLOW | O_DIRECTORY`` relative to the previous one (``openat``), and the file itself
with ``O_NOFOLLOW``. A component swapped for a symlink after the check (the file, or any
directory between the root and the file) stops the walk: the file counts as missing. Only
regular files are opened: the name is looked at first (``fstatat``, not following links) and the
open is ``O_NONBLOCK`` and re-checked with ``fstat``, so a FIFO (whose plain ``open`` blocks
until a writer comes) or a device (``/dev/zero`` never ends) is refused, never read. (A root that
an attacker can write to is out of scope: the operator chooses the roots. A root's own path is
trusted and opened as configured.)
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from logsum.watch.errors import SourcePathError

MAX_PATH_CHARS = 4096
"""Longest source path accepted (PATH_MAX on Linux)."""

_WALK_FLAGS = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY | os.O_CLOEXEC
"""Directories are walked with ``O_PATH`` where there is one (Linux): a directory that may be
searched but not listed can still be walked through."""
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
"""``O_NONBLOCK``: should a FIFO get past the ``fstatat`` look (a swap in between), opening it
still returns at once (and ``fstat`` then refuses it)."""
_MISSING_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP})
"""A component that is gone, not a directory, or a symlink where ``O_NOFOLLOW`` applies: the
file counts as missing (the watch waits)."""


class NotRegularFile(OSError):
    """The source names something other than a regular file (FIFO, device, socket,
    directory): it is never opened for reading."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def open_regular_at(dir_fd: int, name: str, shown: str | os.PathLike[str]) -> int | None:
    """Open the regular file ``name`` in the directory ``dir_fd`` for reading, without following
    a symlink and without blocking; ``None`` when it is missing or a symlink. Raises
    :class:`NotRegularFile` for anything but a regular file (``shown`` names it in the
    message) and ``OSError`` for other failures (permissions)."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError as exc:
        if exc.errno in _MISSING_ERRNOS:
            return None
        raise
    if stat.S_ISLNK(st.st_mode):
        return None
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(f"{shown} is {_kind(st.st_mode)}, not a regular file")
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in _MISSING_ERRNOS:
            return None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # swapped between the look and the open
            raise NotRegularFile(f"{shown} is {_kind(mode)}, not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


@dataclass(frozen=True, slots=True)
class RootedPath:
    """A file below a root directory, opened by walking from the root (module docstring)."""

    root: Path
    """The root directory (resolved); trusted as the operator configured it."""
    parts: tuple[str, ...]
    """The names from the root down to the file (at least one; no ``.``, ``..`` or ``/``)."""

    def __post_init__(self) -> None:
        if not self.parts or any(p in ("", ".", "..") or "/" in p for p in self.parts):
            raise ValueError(f"not a path below a root: {self.parts!r}")

    @classmethod
    def beside(cls, path: str | os.PathLike[str]) -> RootedPath:
        """``path`` with its own directory as the root (only the file name is guarded)."""
        p = Path(path)
        return cls(p.parent, (p.name,))

    @property
    def path(self) -> Path:
        """The full path (for messages, and what the API shows)."""
        return self.root.joinpath(*self.parts)

    @property
    def name(self) -> str:
        """The file name."""
        return self.parts[-1]

    def open_parent(self, *, listable: bool = False) -> int | None:
        """A descriptor of the file's directory, reached from the root without following any
        symlink; ``None`` when a directory on the way is missing or was replaced by a symlink.
        ``listable``: opened for reading (``os.scandir``), not only for ``openat``."""
        try:
            fd = os.open(self.root, _WALK_FLAGS)
        except OSError as exc:
            if exc.errno in _MISSING_ERRNOS:
                return None
            raise
        try:
            for part in self.parts[:-1]:
                nxt = os.open(part, _WALK_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = nxt
            if listable:
                nxt = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
                os.close(fd)
                fd = nxt
        except OSError as exc:
            os.close(fd)
            if exc.errno in _MISSING_ERRNOS:
                return None
            raise
        return fd

    def lstat(self) -> os.stat_result | None:
        """The file's status without following a symlink (reached like :meth:`open`);
        ``None`` when missing."""
        parent = self.open_parent()
        if parent is None:
            return None
        try:
            return os.stat(self.name, dir_fd=parent, follow_symlinks=False)
        except OSError as exc:
            if exc.errno in _MISSING_ERRNOS:
                return None
            raise
        finally:
            os.close(parent)

    def open(self) -> int | None:
        """A read-only descriptor of the regular file; ``None`` when it (or a directory on the
        way) is missing or a symlink. Raises :class:`NotRegularFile` (see
        :func:`open_regular_at`)."""
        parent = self.open_parent()
        if parent is None:
            return None
        try:
            return open_regular_at(parent, self.name, self.path)
        finally:
            with contextlib.suppress(OSError):
                os.close(parent)


def under_roots(
    path: str | os.PathLike[str], roots: Sequence[str | os.PathLike[str]]
) -> RootedPath:
    """``path`` (absolute, already resolved: a watch's stored source) as a :class:`RootedPath`
    below the first of ``roots`` that contains it; :class:`SourcePathError` when none does
    (e.g. the operator changed ``LOGSUM_WATCH_ROOTS`` since the watch was created)."""
    p = Path(path)
    for root in roots:
        try:
            root_resolved = Path(root).resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if p != root_resolved and p.is_relative_to(root_resolved):
            return RootedPath(root_resolved, p.relative_to(root_resolved).parts)
    raise SourcePathError("source is outside the directories allowed for watching")


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
