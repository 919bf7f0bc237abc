"""Does the shape cache change results? One stream through two engines, cache on and off.

    python bench/replay_check.py --stream corpus           # the corpus stream of bench/speed.py
    python bench/replay_check.py --stream shifted --size 100000 --show 10

Each line goes through an engine with the shape cache (the default) and one without it
(``EngineConfig(shape_cache=False)``); the lines whose severity, timestamp, message, params,
header or continuation differ are counted, and the first ``--show`` are printed. Pattern ids
are not compared (a pattern created from another line of the same template gets another id).

Both engines learn header layouts from the lines they parse in full, and the one without the
cache parses every line in full, so a difference is either a replay that reads a line
otherwise than parsing would, or a layout the two engines learned differently; either way the
same line gets two readings depending on the cache, which a speed change must not add to.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from logsum.core.config import EngineConfig
from logsum.core.engine import Engine
from speed import corpus_size, stream_file


def differences(lines: Sequence[str], show: int) -> tuple[int, list[str]]:
    """How many of ``lines`` read differently with the shape cache off, and the first
    ``show`` of them described."""
    cached, parsed = Engine(), Engine(EngineConfig(shape_cache=False))
    count = 0
    shown: list[str] = []
    for number, line in enumerate(lines, 1):
        a, b = cached.process(line), parsed.process(line)
        ka = (a.severity, a.timestamp, a.message, a.params, a.header, a.continuation)
        kb = (b.severity, b.timestamp, b.message, b.params, b.header, b.continuation)
        if ka == kb:
            continue
        count += 1
        if len(shown) < show:
            shown.append(
                f"line {number}: {line[:160]!r}\n  cached: {a.message[:100]!r} {a.timestamp}"
                f"\n  parsed: {b.message[:100]!r} {b.timestamp}"
            )
    return count, shown


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stream", choices=("mixed", "shifted", "corpus"), default="corpus")
    parser.add_argument("--size", type=int, default=100_000, help="mixed and shifted lines")
    parser.add_argument("--show", type=int, default=5, help="differences printed")
    args = parser.parse_args(argv)
    size = corpus_size() if args.stream == "corpus" else args.size
    path = stream_file(size, args.stream)
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    count, shown = differences(lines, args.show)
    print(f"{args.stream} ({path.name}): {count} of {len(lines)} lines differ with the cache off")
    for text in shown:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
