"""The floor of the speed benchmark: the same job with no mining at all (a whole process).

    python bench/floor_parse.py FILE > out.jsonl

Reads the lines, splits each into whitespace tokens and writes one JSON object per line
(``line``, ``tokens``) with orjson, batched. No parser in Python can do the job faster than this
by much; it shows how close to the floor LogSum is.
"""

from __future__ import annotations

import sys

import orjson


def main(path: str) -> None:
    """Tokenise ``path`` and write JSON Lines to stdout."""
    dumps = orjson.dumps
    write = sys.stdout.buffer.write
    buf: list[bytes] = []
    with open(path, encoding="utf-8", errors="replace", newline="\n") as f:
        for n, line in enumerate(f, 1):
            buf.append(dumps({"line": n, "tokens": line.split()}))
            if len(buf) >= 4096:
                buf.append(b"")
                write(b"\n".join(buf))
                buf.clear()
    if buf:
        buf.append(b"")
        write(b"\n".join(buf))
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1])
