"""Inputs of a batch job: files, directories, globs and fsspec URLs, cut into partitions.

A partition is a byte range ``[start, end)`` of one file. It owns the *records* whose first line
starts in its range: its reader skips the lines at its start that may continue a record (they
belong to the previous partition's last record) and reads past ``end`` until the next line that
starts a record (:func:`logsum.core.merge.starts_record`). Both sides apply the same rule to the
same bytes, so every line is read by exactly one partition and no multi-line record is cut.
Compressed files (by extension: ``.gz``, ``.bz2``, ``.xz``, ``.zst``...) can not be cut: one
partition each.
"""

from __future__ import annotations

import glob as globlib
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import fsspec
from fsspec.utils import infer_compression

from logsum.core.merge import starts_record

DEFAULT_BLOCKSIZE = 32 << 20
"""Bytes per partition unless the caller says otherwise (a partition is mined in memory that
follows its patterns; its line results are held while it is read back)."""


class InputError(ValueError):
    """An input that names nothing, or that can not be listed or read."""


@dataclass(frozen=True, slots=True)
class Source:
    """One input file: its URL (``file://...``, ``s3://...``), size in bytes, compression and a
    digest of what the file system says about it (size, modification time, ETag...), so that
    a task of a file that changed is not taken for the task of the old file."""

    url: str
    size: int
    compression: str | None = None
    version: str = ""


@dataclass(frozen=True, slots=True)
class Part:
    """One partition: bytes ``[start, end)`` of ``source`` (see the module docstring)."""

    index: int
    source: Source
    start: int
    end: int
    storage_options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def whole(self) -> bool:
        return self.source.compression is not None


def expand(paths: Sequence[str], storage_options: Mapping[str, Any] | None = None) -> list[Source]:
    """The files ``paths`` name, in order: a file as it is, a directory's files (recursively,
    sorted), a glob's matches (sorted). Raises :class:`InputError` for a path that names
    nothing, and when there is no input at all."""
    opts = dict(storage_options or {})
    out: list[Source] = []
    for path in paths:
        try:
            fs, root = fsspec.core.url_to_fs(path, **opts)
            if globlib.has_magic(root):
                names = sorted(n for n in fs.glob(root) if fs.isfile(n))
                if not names:
                    raise InputError(f"no file matches {path}")
            elif fs.isdir(root):
                names = sorted(n for n in fs.find(root) if fs.isfile(n))
                if not names:
                    raise InputError(f"no file in directory {path}")
            elif fs.isfile(root):
                names = [root]
            else:
                raise InputError(f"no such file: {path}")
            for name in names:
                info = fs.info(name)
                digest = hashlib.blake2b(repr(sorted(info.items())).encode(), digest_size=8)
                out.append(
                    Source(
                        fs.unstrip_protocol(name),
                        int(info.get("size") or 0),
                        infer_compression(name),
                        digest.hexdigest(),
                    )
                )
        except InputError:
            raise
        except (OSError, ValueError, ImportError) as exc:
            raise InputError(f"cannot read {path}: {exc}") from None
    if not out:
        raise InputError("no input files")
    return out


def plan(
    sources: Sequence[Source],
    *,
    blocksize: int = DEFAULT_BLOCKSIZE,
    partitions: int | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> list[Part]:
    """Partitions of ``sources`` in input order: each file cut every ``blocksize`` bytes, or,
    with ``partitions``, into about that many parts of equal size over all inputs."""
    if partitions is not None:
        if partitions < 1:
            raise InputError("partitions must be at least 1")
        total = sum(s.size for s in sources)
        blocksize = max(1, -(-total // partitions))
    if blocksize < 1:
        raise InputError("blocksize must be at least 1 byte")
    opts = dict(storage_options or {})
    parts: list[Part] = []
    for s in sources:
        if s.compression is not None or s.size <= blocksize:
            parts.append(Part(len(parts), s, 0, s.size, opts))
            continue
        for start in range(0, s.size, blocksize):
            parts.append(Part(len(parts), s, start, min(s.size, start + blocksize), opts))
    return parts


def _read_line(f: IO[bytes], limit: int) -> tuple[bytes, int]:
    """The next line of ``f`` (at most ``limit`` bytes of it kept) and the bytes consumed."""
    line = f.readline(limit)
    consumed = len(line)
    if line and not line.endswith(b"\n") and consumed == limit:
        while True:  # the rest of an over-long line is consumed, not kept
            more = f.readline(limit)
            consumed += len(more)
            if not more or more.endswith(b"\n"):
                break
    return line, consumed


def _decode(raw: bytes) -> str:
    if raw.endswith(b"\n"):
        raw = raw[:-1]
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return raw.decode("utf-8", "replace")


def read_part(part: Part, *, message_only: bool, max_line_bytes: int) -> Iterator[str]:
    """The lines of one partition, decoded as ``logsum parse`` decodes them (UTF-8 with
    invalid bytes replaced, one trailing ``\\r`` removed, bytes of a line past
    ``max_line_bytes`` dropped)."""
    with fsspec.open(
        part.source.url,
        "rb",
        compression=part.source.compression,
        **dict(part.storage_options),
    ) as f:
        if part.whole:
            while True:
                raw, consumed = _read_line(f, max_line_bytes)
                if not consumed:
                    return
                yield _decode(raw)
        start, end = part.start, part.end
        if start > 0:
            f.seek(start - 1)
            _read_line(f, max_line_bytes)  # the rest of the line that owns byte start - 1
        pos = f.tell()
        skipping = start > 0
        while True:
            raw, consumed = _read_line(f, max_line_bytes)
            if not consumed:
                return
            line = _decode(raw)
            if skipping:
                if not starts_record(line, message_only):
                    pos += consumed  # continues the previous partition's last record
                    continue
                skipping = False
            if pos >= end and starts_record(line, message_only):
                return
            yield line
            pos += consumed
