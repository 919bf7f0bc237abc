"""The labelled Loghub-2k systems the benchmarks run on (read-only, from the shared data folder).

Every benchmark reads the data through :func:`load`: raw lines from ``<X>_2k.log`` (split with
``splitlines()``, as the data README says) and, from ``<X>_2k.log_structured.csv``, the
``Content`` (the message without its header) and ``EventTemplate`` (the ground truth) of each line.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The repository."""
DATA = Path(os.environ.get("LOGSUM_LOGHUB_2K", ROOT.parent / "shared" / "data" / "loghub-2k"))
"""The Loghub-2k folder (override with ``LOGSUM_LOGHUB_2K``)."""
SYSTEMS = ("Apache", "BGL", "HDFS", "HealthApp", "Mac", "OpenSSH", "Proxifier", "Zookeeper")
"""The eight public systems, in the order of every table."""


@dataclass(frozen=True, slots=True)
class System:
    """One labelled system: parallel lists, one entry per log line."""

    name: str
    raw: list[str]
    """The raw lines, header included."""
    content: list[str]
    """The ground-truth message of each line (``Content``)."""
    truth: list[str]
    """The ground-truth template of each line (``EventTemplate``)."""
    header_len: list[int]
    """Length of each raw line's header (where ``Content`` starts), from the format regex."""


def _format_regex(log_format: str) -> re.Pattern[str]:
    """The Loghub ``log_format`` as an anchored regex: ``<Field>`` becomes a lazy group (the
    ``Content`` group greedy), literal spaces match any whitespace run, the rest is regex."""
    out: list[str] = []
    for part in re.split(r"(<\w+>)", log_format):
        if re.fullmatch(r"<\w+>", part):
            name = part[1:-1]
            out.append(f"(?P<{name}>.*)" if name == "Content" else f"(?P<{name}>.*?)")
        else:
            out.append(re.sub(r" +", r"\\s+", part))
    return re.compile("^" + "".join(out) + "$")


@cache
def load(name: str) -> System:
    """Read one system (cached per process). Raises ``ValueError`` if its files disagree."""
    folder = DATA / name
    raw = (folder / f"{name}_2k.log").read_text(encoding="utf-8").splitlines()
    with open(folder / f"{name}_2k.log_structured.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if len(rows) != len(raw):
        raise ValueError(f"{name}: {len(raw)} raw lines but {len(rows)} labelled rows")
    formats = json.loads((DATA / "formats.json").read_text(encoding="utf-8"))
    regex = _format_regex(formats[name]["log_format"])
    header_len = []
    for line in raw:
        m = regex.match(line)
        header_len.append(m.start("Content") if m else 0)
    return System(
        name=name,
        raw=raw,
        content=[r["Content"] for r in rows],
        truth=[r["EventTemplate"] for r in rows],
        header_len=header_len,
    )
