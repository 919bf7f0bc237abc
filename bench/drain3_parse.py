"""Drain3 doing ``logsum parse``'s job, for the speed benchmark (a whole process).

    python bench/drain3_parse.py FILE > out.jsonl

Reads the lines, mines each with Drain3 0.9.11 (defaults: an explicit default config, so no
``drain3.ini`` is read from the working directory) and writes one JSON object per line
(``line``, ``cluster_id``, ``template``: the cluster's template as Drain3 returns it for that
line) with orjson, batched, as ``logsum parse`` does.
"""

from __future__ import annotations

import sys

import orjson
from drain3 import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig


def main(path: str) -> None:
    """Mine ``path`` and write JSON Lines to stdout."""
    add = TemplateMiner(config=TemplateMinerConfig()).add_log_message
    dumps = orjson.dumps
    write = sys.stdout.buffer.write
    buf: list[bytes] = []
    with open(path, encoding="utf-8", errors="replace", newline="\n") as f:
        for n, line in enumerate(f, 1):
            r = add(line.rstrip("\r\n"))
            obj = {"line": n, "cluster_id": r["cluster_id"], "template": r["template_mined"]}
            buf.append(dumps(obj))
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
