"""The tune programs of the template corpus with other programs' headers: where raw lines lose
message words to the header, or keep header in the message, on layouts the programs do not use.

    python bench/header_swap.py                     # wrong messages per layout
    python bench/header_swap.py --show 2            # + up to 2 examples per layout and program
    python bench/header_swap.py --layout isolevel   # one layout

Each ``tune`` program of ``tests/templates/`` (plain ``{msg}`` headers only) is written again
with each layout of :data:`LAYOUTS` (documented defaults of common loggers, in the corpus's
``# header:`` syntax) and read by one fresh ``Engine()`` per program and layout; a line counts
as wrong when ``LineResult.message`` differs from the statement's message. Only the ``tune``
part is read: it is the development side of the raw-mode gap (``bench/templates.py --raw``
scores the programs' own headers).
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from logsum import Engine
from logsum.core.config import EngineConfig
from templates_data import Header, load

LAYOUTS = {
    "syslog": "{ts:%b %e %H:%M:%S} {host} app[{pid}]: {msg}",
    "log4j": "{ts:%Y-%m-%d %H:%M:%S,%3f} {level:INFO |WARN |ERROR} [{=main|worker-2}] "
    "{@com.acme.Svc|com.acme.Db} - {msg}",
    "python-dash": "{ts:%Y-%m-%d %H:%M:%S,%3f} - {@app.core|app.db} - "
    "{level:INFO|WARNING|ERROR} - {msg}",
    "isolevel": "{ts:%Y-%m-%dT%H:%M:%S.%3fZ} {level:INFO|WARN|ERROR} {msg}",
    "bracket": "[{ts:%Y-%m-%d %H:%M:%S}] [{level:info|warn|error}] {msg}",
    "golog": "{ts:%Y/%m/%d %H:%M:%S} {msg}",
    "spring": "{ts:%Y-%m-%d %H:%M:%S.%3f}  {level:INFO|WARN|ERROR} {pid} --- "
    "[{=main|exec-1}] {@c.a.Svc|c.a.Db}  : {msg}",
    "simple-class": "{ts:%y/%m/%d %H:%M:%S} {level:INFO|WARN|ERROR} {@Svc|Store}: {msg}",
    "hclog": "{ts:%Y-%m-%dT%H:%M:%S.%3fZ} [{level:INFO|WARN|ERROR}]  {@agent|agent.server}: {msg}",
    "pid-level-logger": "{ts:%Y-%m-%d %H:%M:%S.%3f} {pid} {level:INFO|WARNING|ERROR} "
    "{@svc.api|svc.db} {msg}",
    "level-pid-logger": "{ts:%Y-%m-%d %H:%M:%S.%3f} {level:INFO|WARNING|ERROR} {pid} "
    "{@svc.api|svc.db} {msg}",
    "golog-file": "{ts:%Y/%m/%d %H:%M:%S.%6f} {@main.go:42|server.go:118}: {msg}",
}
"""Layouts in the ``# header:`` syntax of ``tests/templates/README.md``."""


def run(layouts: Sequence[str], show: int) -> list[str]:
    """Rows ``layout  wrong/lines``, then examples (``show`` per layout and program)."""
    total: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    examples: list[str] = []
    for program in load(("tune",)):
        if program.header.msg_mode:
            continue  # (json, logfmt and program-tag messages belong to their own layouts)
        messages = [m for m, _ in program.lines()]
        for name in layouts:
            swapped = replace(program, header=Header.parse(LAYOUTS[name], name))
            engine = Engine(EngineConfig(default_year=2026))
            shown = 0
            for (line, _), message in zip(swapped.raw_lines(), messages, strict=True):
                got = engine.process(line).message
                total[name] += 1
                if got.strip() != message.strip():
                    wrong[name] += 1
                    if shown < show:
                        shown += 1
                        examples.append(
                            f"[{name}] {program.name}: {line[:140]}\n"
                            f"    got  {got[:100]!r}\n    want {message[:100]!r}"
                        )
    rows = [f"{n:18s} {wrong[n]:5d}/{total[n]}" for n in layouts]
    return rows + examples


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--layout", action="append", choices=sorted(LAYOUTS), help="repeatable")
    ap.add_argument("--show", type=int, default=0, metavar="N", help="examples per program")
    args = ap.parse_args(argv)
    print("\n".join(run(args.layout or list(LAYOUTS), args.show)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
