"""Follow one log file like ``tail -F``: complete lines only, across rotations and restarts.

A :class:`FileFollower` is polled (:meth:`FileFollower.poll`); it never blocks and never
sleeps, so the caller owns the clock. What it handles:

- **Start position.** With no checkpoint, it starts at the end of an existing file (or at the
  beginning with ``from_beginning=True``). A file that does not exist yet is waited for and read
  from its first byte once it appears (everything in it is new).
- **Complete lines only.** A partial last line stays buffered until its newline arrives. A line
  longer than ``max_line_bytes`` is cut: the first ``max_line_bytes`` bytes are returned with
  ``truncated=True`` and the rest, up to the newline, is skipped. Memory is bounded by
  ``max_line_bytes + read_chunk``.
- **Rename-and-create rotation** (logrotate ``create``): the path now names another file (its
  device/inode changed). The old file is kept open and drained to its end; once it has been quiet
  for ``rotate_quiet_polls`` polls, its unterminated last line (if any) is returned and the
  follower switches to the new file from offset 0.
- **Copy-truncate rotation** (logrotate ``copytruncate``): the same inode but the file is shorter
  than the offset, or its first bytes no longer match the fingerprint taken when it was opened.
  The follower restarts at offset 0.
- **Restarts.** :class:`Checkpoint` (file identity + offset) is what the caller stores once the
  lines up to it are durably handled. Resuming from a checkpoint whose file was rotated away
  looks for that file (same device and inode, same first bytes) next to the path, drains it from
  the checkpoint offset, then continues with the current file from offset 0.

Identity is device + inode + a fingerprint of the first bytes (up to ``FINGERPRINT_BYTES``):
inode numbers are reused after deletion, the first bytes of a log file almost never are.

Every open and every look at the path goes through a :class:`~logsum.watch.paths.RootedPath`
(walked from the watch root without following symlinks, regular files only, never blocking).
A path that names a symlink or sits under a directory swapped for one counts as missing; one
that names a FIFO, device or socket is refused (:attr:`FileFollower.refused` says why) and is
never opened. Either way the files already open are still read to their end.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections import deque
from dataclasses import dataclass, replace

from logsum.watch.paths import NotRegularFile, RootedPath, open_regular_at

FINGERPRINT_BYTES = 256
"""Bytes at the start of a file hashed into its identity. Long enough to cover a first log line
with its timestamp, short enough to read on every poll."""

DEFAULT_MAX_LINE_BYTES = 64 * 1024
"""Longer lines are cut (see the module docstring). Matches the engine's ``max_line_chars``."""

DEFAULT_READ_CHUNK = 256 * 1024
"""Bytes read per ``read`` call; a poll reads at most ``max_read_bytes`` in total."""

DEFAULT_ROTATE_QUIET_POLLS = 5
"""After a rename rotation, the old file is drained until it has been quiet for this many polls
(0.5 s at the default poll interval) before the follower switches to the new file."""

MAX_DRAINING_FILES = 8
"""Rotated-away files held open until read to their end (rotations faster than they drain)."""

DEFAULT_MAX_READ_BYTES = 4 * 1024 * 1024
"""Upper bound of bytes one :meth:`FileFollower.poll` reads, so a poll's memory and latency
stay bounded when a large backlog is waiting."""


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """Which file (not which path) a position belongs to."""

    dev: int
    inode: int
    fingerprint: str
    """SHA-256 (hex) of the first ``fingerprint_len`` bytes of the file."""
    fingerprint_len: int
    """How many bytes the fingerprint covers (the file may have been shorter than
    ``FINGERPRINT_BYTES`` when it was taken)."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A position in a file: everything before ``offset`` has been handled."""

    identity: FileIdentity
    offset: int


@dataclass(slots=True)
class Line:
    """One complete line read from the file (without its line break).

    Not frozen, and the checkpoint is built on demand: a follower at tens of thousands of lines
    per second spends noticeably less time constructing these."""

    text: str
    """Decoded as UTF-8; invalid bytes become U+FFFD. A trailing ``\\r`` is removed."""
    identity: FileIdentity
    """The file the line was read from."""
    offset: int
    """Byte offset right after the line (and its line break) in that file."""
    truncated: bool = False
    """True when the line was longer than ``max_line_bytes`` and was cut."""

    @property
    def end(self) -> Checkpoint:
        """The position right after this line: store it once the line is handled."""
        return Checkpoint(self.identity, self.offset)


def _fingerprint(fd: int, upto: int = FINGERPRINT_BYTES) -> tuple[str, int]:
    data = os.pread(fd, upto, 0)
    return hashlib.sha256(data).hexdigest(), len(data)


def _identity_of_fd(fd: int) -> FileIdentity:
    st = os.fstat(fd)
    fp, n = _fingerprint(fd)
    return FileIdentity(st.st_dev, st.st_ino, fp, n)


def _same_content_start(fd: int, identity: FileIdentity) -> bool:
    """True when the file's first ``fingerprint_len`` bytes still hash to the fingerprint."""
    fp, n = _fingerprint(fd, identity.fingerprint_len)
    return n == identity.fingerprint_len and fp == identity.fingerprint


def _rooted(path: str | os.PathLike[str] | RootedPath) -> RootedPath:
    return path if isinstance(path, RootedPath) else RootedPath.beside(path)


def current_checkpoint(
    path: str | os.PathLike[str] | RootedPath, *, at_end: bool = True
) -> Checkpoint | None:
    """The checkpoint of the file at ``path`` now: at its end (or start), ``None`` if missing.

    Used when a watch is created, so that lines written between creation and the first poll are
    not skipped by "start at the end". Raises :class:`~logsum.watch.paths.NotRegularFile` when
    the path names a FIFO, device, socket or directory (opened without blocking, never read).
    """
    fd = _rooted(path).open()
    if fd is None:
        return None
    try:
        ident = _identity_of_fd(fd)
        return Checkpoint(ident, os.fstat(fd).st_size if at_end else 0)
    finally:
        os.close(fd)


class _Open:
    """An open file being read, with its identity and read offset."""

    __slots__ = ("fd", "identity", "offset")

    def __init__(self, fd: int, identity: FileIdentity, offset: int) -> None:
        self.fd = fd
        self.identity = identity
        self.offset = offset

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


class FileFollower:
    """Reads new complete lines from ``path`` on each :meth:`poll` (see the module docstring).

    ``path`` is a :class:`~logsum.watch.paths.RootedPath` (walked from its root) or a plain
    path (then only its last component is guarded: its directory is trusted as a root).
    Not thread-safe: one owner polls it. Call :meth:`close` when done.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | RootedPath,
        *,
        checkpoint: Checkpoint | None = None,
        from_beginning: bool = False,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        read_chunk: int = DEFAULT_READ_CHUNK,
        max_read_bytes: int = DEFAULT_MAX_READ_BYTES,
        rotate_quiet_polls: int = DEFAULT_ROTATE_QUIET_POLLS,
    ) -> None:
        if max_line_bytes < 1 or read_chunk < 1 or max_read_bytes < 1:
            raise ValueError("max_line_bytes, read_chunk and max_read_bytes must be positive")
        if rotate_quiet_polls < 1:
            raise ValueError("rotate_quiet_polls must be at least 1")
        self.rotate_quiet_polls = rotate_quiet_polls
        self._source = _rooted(path)
        self.path = self._source.path
        self.refused: str | None = None
        """Why the path's file was not opened at the last look (it is a FIFO, a device...),
        ``None`` when it was fine or missing."""
        self.max_line_bytes = max_line_bytes
        self.read_chunk = read_chunk
        self.max_read_bytes = max_read_bytes
        self._cur: _Open | None = None  # the file the path names (newest)
        # Rotated-away files not read to their end yet, oldest first; the head is being read.
        self._draining: deque[_Open] = deque()
        self._old_quiet = 0
        self._buf = bytearray()
        self._buf_start = 0  # file offset of _buf[0] in the file being read
        self._skipping = False  # inside an over-long line, discarding up to its newline
        self._pending_checkpoint = checkpoint
        self._from_beginning = from_beginning
        self.rotations = 0
        """Number of rotations (rename or truncate) seen so far."""
        self._start()  # the start position is fixed now, not at the first poll

    # -- public -------------------------------------------------------------------------------

    @property
    def position(self) -> Checkpoint | None:
        """Position after the last line returned (``None`` before any file was opened)."""
        src = self._draining[0] if self._draining else self._cur
        if src is None:
            return self._pending_checkpoint
        return Checkpoint(src.identity, self._buf_start)

    @property
    def has_file(self) -> bool:
        """True while a file is open (False while waiting for the path to appear)."""
        return self._cur is not None or bool(self._draining)

    def poll(self) -> list[Line]:
        """Return the complete lines available now (possibly none). Never blocks."""
        out: list[Line] = []
        budget = self.max_read_bytes
        # Every poll: does the path still name the current file? A new file is opened at once
        # (and queued behind the ones still draining), so even files rotated in quick
        # succession are each read, in order.
        self._track_path()
        while self._draining:
            used, done = self._drain_head(out, budget)
            budget -= used
            if not done or budget <= 0:
                return out
        if self._cur is None:
            return out
        self._check_truncation()
        self._read_available(self._cur, out, budget)
        return out

    def close(self) -> None:
        """Close the open files."""
        for f in (*self._draining, self._cur):
            if f is not None:
                f.close()
        self._draining.clear()
        self._cur = None

    # -- opening ------------------------------------------------------------------------------

    def _open_path(self, offset: int) -> _Open | None:
        # Walked from the root without following symlinks: the path was resolved when the
        # watch was created; a component later replaced by a symlink (to somewhere outside the
        # roots) is not followed, and the watch waits as if the file were missing. A FIFO or a
        # device is refused without being opened for reading (``refused``).
        try:
            fd = self._source.open()
        except NotRegularFile as exc:
            self.refused = str(exc)
            return None
        self.refused = None
        if fd is None:
            return None
        try:
            return _Open(fd, _identity_of_fd(fd), offset)
        except OSError:
            os.close(fd)
            raise

    def _start(self) -> None:
        cp = self._pending_checkpoint
        if cp is None:
            cur = self._open_path(0)
            if cur is not None and not self._from_beginning:
                cur.offset = os.fstat(cur.fd).st_size
            self._cur = cur
            self._reset_buffer(cur.offset if cur else 0)
            return
        cur = self._open_path(0)
        if cur is not None and self._matches(cur.fd, cp.identity):
            size = os.fstat(cur.fd).st_size
            cur.offset = cp.offset if cp.offset <= size else 0
            cur.identity = self._extend_identity(cur.fd, cp.identity)
            self._cur = cur
            self._reset_buffer(cur.offset)
            return
        # The checkpointed file is no longer at the path: find it beside the path (rotated).
        old_fd = self._find_rotated(cp.identity)
        if old_fd is not None:
            self._draining.append(_Open(old_fd, cp.identity, cp.offset))
            self._old_quiet = 0
            self._reset_buffer(cp.offset)
        else:
            self._reset_buffer(0)
        if cur is not None:
            cur.offset = 0
        self._cur = cur

    def _matches(self, fd: int, ident: FileIdentity) -> bool:
        st = os.fstat(fd)
        return (st.st_dev, st.st_ino) == (ident.dev, ident.inode) and _same_content_start(fd, ident)

    def _extend_identity(self, fd: int, ident: FileIdentity) -> FileIdentity:
        """A fingerprint taken of a short file grows (up to FINGERPRINT_BYTES) as it grows."""
        if ident.fingerprint_len >= FINGERPRINT_BYTES:
            return ident
        fp, n = _fingerprint(fd)
        if n <= ident.fingerprint_len:
            return ident
        return replace(ident, fingerprint=fp, fingerprint_len=n)

    def _find_rotated(self, ident: FileIdentity) -> int | None:
        directory = self._source.open_parent(listable=True)
        if directory is None:
            return None
        try:
            return self._find_rotated_in(directory, ident)
        finally:
            os.close(directory)

    def _find_rotated_in(self, directory: int, ident: FileIdentity) -> int | None:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return None
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) != (ident.dev, ident.inode):
                continue
            try:
                fd = open_regular_at(directory, entry.name, self.path.parent / entry.name)
            except OSError:
                continue
            if fd is None:
                continue
            if self._matches(fd, ident):
                return fd
            os.close(fd)
        return None

    # -- rotation -----------------------------------------------------------------------------

    def _check_truncation(self) -> None:
        cur = self._cur
        assert cur is not None
        size = os.fstat(cur.fd).st_size
        truncated = size < cur.offset
        if not truncated and cur.offset > 0 and not _same_content_start(cur.fd, cur.identity):
            truncated = True  # copy-truncate, and new lines already grew past our offset
        if truncated:
            self.rotations += 1
            cur.identity = _identity_of_fd(cur.fd)
            cur.offset = 0
            self._reset_buffer(0)
        else:
            cur.identity = self._extend_identity(cur.fd, cur.identity)

    def _track_path(self) -> None:
        """Open the file the path names when it is not the current one (rotation, or the
        file appeared); the current one, if any, is queued to be drained first."""
        st = self._source.lstat()
        if st is None or stat.S_ISLNK(st.st_mode):
            # Renamed away and the new one not created yet (or a symlink, never followed):
            # keep reading what we have.
            self.refused = None
            return
        if not stat.S_ISREG(st.st_mode):
            self._open_path(0)  # refuses it and says why in ``refused``
            return
        self.refused = None
        cur = self._cur
        if cur is not None and (st.st_dev, st.st_ino) == (cur.identity.dev, cur.identity.inode):
            return
        new = self._open_path(0)
        if new is None:
            return
        if cur is None:
            self._cur = new
            if not self._draining:
                self._reset_buffer(0)
            return
        if len(self._draining) >= MAX_DRAINING_FILES:
            # Pathological rotation churn: give up the oldest unread file rather than hold
            # an unbounded number of descriptors.
            self._draining.popleft().close()
            if self._draining:
                self._reset_buffer(self._draining[0].offset)
        self.rotations += 1
        if not self._draining:
            self._old_quiet = 0
        self._draining.append(cur)
        self._cur = new

    def _drain_head(self, out: list[Line], budget: int) -> tuple[int, bool]:
        """Read the oldest rotated-away file; ``(bytes used, finished with it)``."""
        old = self._draining[0]
        used = self._read_available(old, out, budget)
        if used > 0 or budget <= 0:
            self._old_quiet = 0
            return used, False
        if self._old_quiet < self.rotate_quiet_polls:
            # Give the writer a few poll intervals to finish with the old file (an app that
            # reopens its log on SIGHUP writes to the renamed file until then).
            self._old_quiet += 1
            return used, False
        if self._buf and not self._skipping:
            self._emit(old, bytes(self._buf), len(self._buf), out, truncated=False)
        old.close()
        self._draining.popleft()
        self._old_quiet = 0
        nxt = self._draining[0] if self._draining else self._cur
        self._reset_buffer(nxt.offset if nxt is not None else 0)
        return used, True

    # -- reading ------------------------------------------------------------------------------

    def _reset_buffer(self, offset: int) -> None:
        self._buf.clear()
        self._buf_start = offset
        self._skipping = False

    def _read_available(self, f: _Open, out: list[Line], budget: int) -> int:
        used = 0
        while used < budget:
            n = min(self.read_chunk, budget - used)
            try:
                data = os.pread(f.fd, n, f.offset)
            except OSError:
                break
            if not data:
                break
            f.offset += len(data)
            used += len(data)
            self._consume(f, data, out)
            if len(data) < n:
                break
        return used

    def _consume(self, f: _Open, data: bytes, out: list[Line]) -> None:
        start = 0
        if not self._buf and not self._skipping:
            start = self._consume_fast(f, data, out)
        while True:
            nl = data.find(b"\n", start)
            if nl < 0:
                break
            piece = data[start:nl]
            if self._skipping:
                self._skipping = False
                self._buf_start += len(piece) + 1
                self._buf.clear()
            else:
                self._buf += piece
                consumed = len(self._buf) + 1
                self._emit(f, bytes(self._buf), consumed, out, truncated=False)
                self._buf.clear()
            start = nl + 1
        rest = data[start:]
        if self._skipping:
            self._buf_start += len(rest)
            return
        self._buf += rest
        if len(self._buf) > self.max_line_bytes:
            head = bytes(self._buf[: self.max_line_bytes])
            dropped = len(self._buf)
            self._emit(f, head, dropped, out, truncated=True)
            self._buf.clear()
            self._skipping = True

    def _consume_fast(self, f: _Open, data: bytes, out: list[Line]) -> int:
        """Whole lines at the start of ``data`` (the common case: nothing buffered), split in
        one C call. Returns how many bytes were consumed."""
        last_nl = data.rfind(b"\n")
        if last_nl < 0:
            return 0
        ident = f.identity
        pos = self._buf_start
        limit = self.max_line_bytes
        append = out.append
        for raw in data[:last_nl].split(b"\n"):
            pos += len(raw) + 1
            truncated = False
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if len(raw) > limit:
                raw = raw[:limit]
                truncated = True
            append(Line(raw.decode("utf-8", errors="replace"), ident, pos, truncated))
        self._buf_start = pos
        return last_nl + 1

    def _emit(
        self, f: _Open, raw: bytes, consumed: int, out: list[Line], *, truncated: bool
    ) -> None:
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if len(raw) > self.max_line_bytes:
            raw = raw[: self.max_line_bytes]
            truncated = True
        self._buf_start += consumed
        out.append(
            Line(raw.decode("utf-8", errors="replace"), f.identity, self._buf_start, truncated)
        )
