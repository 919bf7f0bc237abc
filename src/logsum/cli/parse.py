"""``logsum parse FILE|-``: one JSON object per input line, in input order.

This module does the work without the CLI framework (``logsum parse`` starts without importing
typer: see :func:`fast_main`); the typer command is :mod:`logsum.cli.parse_command`.

Each output line is ``{"line", "pattern_id", "template", "severity", "timestamp", "params",
"continuation"}``:

- ``line``: 1-based number of the input line;
- ``pattern_id`` and ``template``: the line's pattern as known at the **end** of the input
  (templates generalise as lines arrive; a pattern folded into another answers with the
  surviving id). A pattern evicted by ``EngineConfig.max_patterns`` before the end has
  ``template: null``;
- ``severity``: ``critical``, ``error``, ``warning``, ``info`` or ``debug``;
- ``timestamp``: ISO 8601 (RFC 3339) or ``null``; a timestamp without a year gets the current
  year; one without a zone is read in ``--timezone`` (default UTC) and written in UTC (``+00:00``),
  one with an offset keeps it;
- ``params``: the line's values at the wildcards of that final template (``[]`` for a
  continuation line);
- ``continuation``: ``true`` when the line continues the previous record (a stack frame, an
  indented line) and carries that record's pattern.

Memory does not grow with the number of lines. Two passes (``--follow`` makes one, below):

1. every line goes through the engine; a compact record per line (pattern id, template
   version, the end of its output object from the severity on, message) is spooled to an
   anonymous temporary file;
2. the spool is read back and each output object is written with the final template. Params
   read in pass 1 are reused when the pattern's template has not changed since; otherwise they
   are read again under the final template.

``--follow`` is for a stream that does not end (``tail -F app.log | logsum parse --follow -``):
one pass, and each object is written, and stdout flushed, as soon as the read that brought its
line returns; so ``template`` and ``params`` are the pattern's as known at that line, not at the
end (a later line may still generalise the template). It does not wait for FILE to grow: at the
end of the input it ends, as without it.

A reader that goes away (``| head -1``) ends the command quietly with exit code 0.

Input is read as bytes and split on ``\\n`` only; one trailing ``\\r`` is removed (CRLF files);
each line is decoded as UTF-8 with invalid bytes replaced by U+FFFD, so no input crashes the
command. NUL bytes pass through. A final line without a line break counts as a line; a trailing
line break does not start an extra empty line. Bytes of one line beyond what the engine could use
(``4 * EngineConfig.max_line_chars``) are dropped while reading, so a gigabyte without a line
break costs no more memory than a long line.
"""

from __future__ import annotations

import gc
import sys
import tempfile
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

import orjson

from logsum import Engine
from logsum.cli.common import engine_config, fail, open_log, reader_may_leave
from logsum.core.timestamps import DEFAULT_ZONE

if TYPE_CHECKING:
    import typer

_READ_CHUNK = 1 << 20
"""Bytes read from the input at a time (and about the characters of spooled records read back
at a time in pass 2)."""
_GC_GEN0_THRESHOLD = 50_000
"""Allocations between young-generation collections while parsing (Python's default: 700)."""
_TEMPLATE_CACHE = 100_000
"""Final templates remembered by pattern id in pass 2 (bounds memory under pattern churn)."""


_PARAMS_KEY = ',"params":'


def _split(text: str) -> list[str]:
    lines = text.split("\n")
    if "\r" in text:
        return [s[:-1] if s.endswith("\r") else s for s in lines]
    return lines


def iter_lines(
    stream: IO[bytes], max_line_bytes: int, *, eager: bool = False
) -> Iterator[list[str]]:
    """Decoded lines of a byte stream, in batches (see the module docstring for the rules).

    Only the first ``max_line_bytes`` bytes of a line that does not fit in one read are kept.
    ``eager`` yields the complete lines of each read as soon as it returns, however few bytes
    it brought (a pipe that a slow writer fills); otherwise a read waits for a full chunk.
    """
    pending: list[bytes] = []  # the start of a line that continues past the last read
    pending_len = 0
    # read1() returns what one read of the underlying file gives (at least a byte, unless at
    # the end); read(n) on a pipe blocks until n bytes arrived or the writer closed it.
    read = getattr(stream, "read1", stream.read) if eager else stream.read
    while chunk := read(_READ_CHUNK):
        last = chunk.rfind(b"\n")
        if last < 0:
            if pending_len < max_line_bytes:
                piece = chunk[: max_line_bytes - pending_len]
                pending.append(piece)
                pending_len += len(piece)
            continue
        start = 0
        if pending:
            first = chunk.find(b"\n")
            pending.append(chunk[: min(first, max(0, max_line_bytes - pending_len))])
            yield _split(b"".join(pending).decode("utf-8", "replace"))
            pending.clear()
            pending_len = 0
            start = first + 1
        if start <= last:
            yield _split(chunk[start:last].decode("utf-8", "replace"))
        rest = chunk[last + 1 :]
        if rest:
            pending.append(rest[:max_line_bytes])
            pending_len = len(pending[0])
    if pending:
        yield _split(b"".join(pending).decode("utf-8", "replace"))


def _fail(message: str) -> typer.Exit:
    return fail("parse", message)


def _spool(engine: Engine, stream: IO[bytes], spool: IO[str]) -> None:
    """Pass 1: every line through the engine; one tab-separated record per line to ``spool``.

    Record: ``pattern_id, version, tail, message``. ``tail`` is the end of the line's output
    object as pass 2 writes it (``info","timestamp":...,"params":[...],"continuation":false}``:
    the severity's value onwards, already JSON, so pass 2 splits four fields and pastes three);
    the message comes last, so tabs inside it survive ``split("\\t", 3)`` (JSON escapes its own
    tabs; no field holds a ``\\n``).

    ``version`` is the pattern's template version the params were read under
    (:meth:`Engine.process_compact`), ``c`` for a continuation line (whose params stay ``[]``):
    in pass 2 a line whose version is still its pattern's final one keeps its tail; otherwise
    its params are read again under the final template.
    """
    compact = engine.process_compact
    dumps = orjson.dumps
    write = spool.write
    max_bytes = engine.config.max_line_chars * 4 + 4
    last_ts: object = None
    last_iso = "null"
    for batch in iter_lines(stream, max_bytes):
        out: list[str] = []
        append = out.append
        for line in batch:
            pid, severity, ts, params, message, continuation, version = compact(line)
            # Neighbouring lines often share a timestamp (the very object, when a shape's
            # plan read the same text). Compared by identity: equal instants with different
            # offsets are written differently.
            if ts is not last_ts:
                # orjson writes datetimes as ISO 8601 (RFC 3339), in C: faster than isoformat().
                last_iso = "null" if ts is None else dumps(ts).decode()
                last_ts = ts
            if continuation:
                append(
                    f'{pid}\tc\t{severity!s}","timestamp":{last_iso},"params":[],'
                    '"continuation":true}\t\n'
                )
                continue
            pjson = dumps(params).decode() if params else "[]"
            append(
                f'{pid}\t{version}\t{severity!s}","timestamp":{last_iso},"params":{pjson},'
                f'"continuation":false}}\t{message}\n'
            )
        write("".join(out))


def _follow(engine: Engine, stream: IO[bytes], out: IO[bytes]) -> None:
    """``--follow``: one pass; the objects of each read's lines are written and flushed at once,
    each with its pattern's template and params as known right after its line."""
    compact = engine.process_compact
    template_of = engine.template
    resolve = engine.resolve
    dumps = orjson.dumps
    number = 0
    for batch in iter_lines(stream, engine.config.max_line_chars * 4 + 4, eager=True):
        buf: list[bytes] = []
        for line in batch:
            number += 1
            pid, severity, ts, params, _message, continuation, _version = compact(line)
            template: str | None
            try:
                template = template_of(pid)
            except LookupError:  # a continuation whose record's pattern was evicted since
                template = None
            buf.append(
                dumps(
                    {
                        "line": number,
                        "pattern_id": resolve(pid),
                        "template": template,
                        "severity": severity,
                        "timestamp": ts,
                        "params": [] if continuation or template is None else params,
                        "continuation": continuation,
                    }
                )
            )
        buf.append(b"")
        out.write(b"\n".join(buf))
        out.flush()


def _final(engine: Engine, pid: str) -> tuple[str, str, bool]:
    """A pattern at the end of the input: the start of its lines' output objects after the line
    number (the JSON of its id now, as patterns may have been folded into others, and of its
    template, ``null`` once evicted, up to the severity's value), the version under which spooled
    params are still valid, and whether the pattern still exists."""
    try:
        template = engine.template(pid)
    except LookupError:  # evicted since (max_patterns): its template is gone
        # No spooled version equals "": its lines get no params, as it has no template.
        return f'"pattern_id":{orjson.dumps(pid).decode()},"template":null,"severity":"', "", False
    head = (
        f'"pattern_id":{orjson.dumps(engine.resolve(pid)).decode()},'
        f'"template":{orjson.dumps(template).decode()},"severity":"'
    )
    return head, str(engine.version_of(pid)), True


def _emit(engine: Engine, spool: IO[str], out: IO[bytes]) -> None:
    """Pass 2: one JSON object per spooled record, with the pattern's final template."""
    dumps = orjson.dumps
    params_of = engine.params_of
    finals: dict[str, tuple[str, str, bool]] = {}
    write = out.write
    first = 1  # the number of the first line of the batch
    # Records are read and their objects written a batch at a time (about _READ_CHUNK
    # characters of records): one write per batch, and no count kept per line.
    while batch := spool.readlines(_READ_CHUNK):
        buf: list[str] = []
        append = buf.append
        for number, record in enumerate(batch, first):
            pid, stamp, tail, message = record.split("\t", 3)
            final = finals.get(pid)
            if final is None:
                if len(finals) >= _TEMPLATE_CACHE:  # many evicted ids: stay bounded
                    finals.clear()
                final = finals[pid] = _final(engine, pid)
            head, valid, alive = final
            if stamp != valid and stamp != "c":
                # The template changed since this line was read (or its pattern was evicted):
                # read the params under the final template.
                pjson = dumps(params_of(pid, message[:-1])).decode() if alive else "[]"
                # (JSON strings escape their quotes: the last ',"params":' is the field's own.)
                start = tail[: tail.rindex(_PARAMS_KEY)]
                tail = f'{start}{_PARAMS_KEY}{pjson},"continuation":false}}'
            append(f'{{"line":{number},{head}{tail}\n')
        first += len(batch)
        write("".join(buf).encode())
    out.flush()


def parse(
    file: str,
    *,
    message_only: bool = False,
    log_format: str | None = None,
    timezone: str = DEFAULT_ZONE,
    follow: bool = False,
) -> None:
    """Write one JSON object per input line (JSON Lines) to stdout, in input order. A bad
    option or input raises the exit of :func:`~logsum.cli.common.fail` (code 2)."""
    try:
        # The core reads no clock: the adapter supplies the year for timestamps without one.
        config = engine_config(timezone)
        engine = Engine(config, message_only=message_only, log_format=log_format)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    stream = open_log("parse", file)
    # The engine allocates many small objects and makes almost no cyclic garbage: collecting
    # the young generation less often (every 50,000 allocations) saves about 5% of the run
    # against Python's default, and 1-2% against every 10,000. Restored afterwards.
    thresholds = gc.get_threshold()
    gc.set_threshold(_GC_GEN0_THRESHOLD, *thresholds[1:])
    try:
        with reader_may_leave():
            if follow:
                _follow(engine, stream, sys.stdout.buffer)
            else:
                _run(engine, stream)
    except OSError as exc:  # a failing disk or input device: a message, not a traceback
        raise _fail(f"I/O error: {exc}") from None
    finally:
        gc.set_threshold(*thresholds)
        if stream is not sys.stdin.buffer:
            stream.close()


def _run(engine: Engine, stream: IO[bytes]) -> None:
    """Both passes, stdout as the output."""
    with tempfile.TemporaryFile(
        mode="w+", encoding="utf-8", errors="surrogatepass", newline="\n"
    ) as spool:
        _spool(engine, stream, spool)
        spool.seek(0)
        _emit(engine, spool, sys.stdout.buffer)


def fast_main(argv: list[str]) -> int | None:
    """Run ``logsum parse`` without typer's argument machinery, or return ``None``.

    Typer coerces parameters at run time through pydantic, which costs about 0.1 s of CPU per
    run (a tenth of a 100k-line parse). This handles exactly the documented forms,
    ``parse FILE|- [--message-only] [--follow] [--format FORMAT | --format=FORMAT] [--timezone
    ZONE | --timezone=ZONE]``, and returns the exit
    code; anything else (``--help``, an unknown option, a missing or second FILE) returns
    ``None`` so that typer parses it and reports errors the usual way.
    """
    if not argv or argv[0] != "parse":
        return None
    file: str | None = None
    message_only = False
    follow = False
    log_format: str | None = None
    timezone = DEFAULT_ZONE
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "--message-only":
            message_only = True
        elif arg == "--follow":
            follow = True
        elif arg == "--format" and i + 1 < len(argv):
            i += 1
            log_format = argv[i]
        elif arg.startswith("--format="):
            log_format = arg.removeprefix("--format=")
        elif arg == "--timezone" and i + 1 < len(argv):
            i += 1
            timezone = argv[i]
        elif arg.startswith("--timezone="):
            timezone = arg.removeprefix("--timezone=")
        elif (arg == "-" or not arg.startswith("-")) and file is None:
            file = arg
        else:
            return None
        i += 1
    if file is None:
        return None
    try:
        parse(
            file,
            message_only=message_only,
            log_format=log_format,
            timezone=timezone,
            follow=follow,
        )
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # The exits of common.fail and reader_may_leave (they import typer to raise them).
        framework = sys.modules.get("typer")
        if framework is not None and isinstance(exc, framework.Exit):
            return int(exc.exit_code)
        raise
    return 0
