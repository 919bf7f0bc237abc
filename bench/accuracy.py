"""Accuracy on Loghub-2k: LogSum and Drain3, raw lines and message-only, GA / PA / FGA / FTA.

    python bench/accuracy.py                         # both modes, every system, both parsers
    python bench/accuracy.py --mode raw --no-drain3  # LogSum alone, raw lines (seconds)
    python bench/accuracy.py --system Mac --show-errors 15
        # the ground-truth templates LogSum gets wrong on Mac, worst first
    python bench/accuracy.py --no-drain3 --save /tmp/before.json    # then, after a change:
    python bench/accuracy.py --no-drain3 --compare /tmp/before.json # what moved, per system
    python bench/accuracy.py --interleaved           # all systems' raw lines shuffled into one
        # engine, scored per system, next to each system parsed alone

Modes: ``raw`` feeds the raw lines (header included, no format) to ``Engine()``; ``message``
feeds the ground-truth ``Content`` column to ``Engine(message_only=True)``. LogSum's group of a
line is its ``pattern_id`` (resolved to the surviving id when its pattern was folded into
another) and its template is ``engine.template(pattern_id)`` after the last line. Drain3 0.9.11
runs with its defaults (an explicit default ``TemplateMinerConfig``, so no ``drain3.ini`` is
read from the working directory, no masking); its group is the cluster id and its template the
cluster's final template. Scores come from :mod:`logsum.core.scoring`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from loghub import SYSTEMS, System, load
from logsum import Engine
from logsum.core.scoring import Scores, normalize_template, score

MODES = ("raw", "message")
"""``raw``: raw lines, no format given. ``message``: the ground-truth ``Content``, bare."""
MODE_TITLES = {"raw": "raw lines (no format given)", "message": "message-only (`Content` column)"}


@dataclass(frozen=True, slots=True)
class Prediction:
    """One parser's verdict on one system: a group id and a final template per line."""

    groups: list[str]
    templates: list[str]
    seconds: float


@dataclass(frozen=True, slots=True)
class Row:
    """Scores of one parser on one system in one mode."""

    system: str
    parser: str
    mode: str
    scores: Scores
    seconds: float


@dataclass(slots=True)
class _TruthErrors:
    """What went wrong for the lines of one ground-truth template (for ``--show-errors``)."""

    total: int = 0
    bad: int = 0
    ours: Counter[str] = field(default_factory=Counter)
    examples: list[int] = field(default_factory=list)


def inputs(system: System, mode: str) -> list[str]:
    """The lines a parser gets in ``mode``."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
    return system.raw if mode == "raw" else system.content


def run_logsum(lines: Sequence[str], mode: str) -> Prediction:
    """Feed every line to one engine; templates are read after the last line."""
    start = time.perf_counter()
    engine = Engine(message_only=mode == "message")
    process = engine.process
    ids = [process(line).pattern_id for line in lines]
    # Patterns whose templates became equal are folded into one: group by the id now.
    final = {pid: (engine.resolve(pid), engine.template(pid)) for pid in set(ids)}
    seconds = time.perf_counter() - start
    return Prediction([final[i][0] for i in ids], [final[i][1] for i in ids], seconds)


def run_drain3(lines: Sequence[str], mode: str) -> Prediction:
    """Drain3 with its defaults; the mode only changes the input lines."""
    from drain3 import TemplateMiner
    from drain3.template_miner_config import TemplateMinerConfig

    start = time.perf_counter()
    miner = TemplateMiner(config=TemplateMinerConfig())
    add = miner.add_log_message
    ids = [add(line)["cluster_id"] for line in lines]
    clusters = miner.drain.id_to_cluster
    final = {cid: clusters[cid].get_template() for cid in set(ids)}
    seconds = time.perf_counter() - start
    return Prediction([str(i) for i in ids], [final[i] for i in ids], seconds)


PARSERS: dict[str, Callable[[Sequence[str], str], Prediction]] = {
    "LogSum": run_logsum,
    "Drain3": run_drain3,
}


def evaluate(
    systems: Sequence[str] = SYSTEMS,
    modes: Sequence[str] = MODES,
    parsers: Sequence[str] = ("LogSum", "Drain3"),
) -> list[Row]:
    """Score every parser on every system in every mode."""
    rows = []
    for mode in modes:
        for name in systems:
            system = load(name)
            lines = inputs(system, mode)
            for parser in parsers:
                p = PARSERS[parser](lines, mode)
                rows.append(
                    Row(name, parser, mode, score(system.truth, p.groups, p.templates), p.seconds)
                )
    return rows


INTERLEAVE_SEED = 16
"""Seed of the shuffle in interleaved mode, fixed so runs compare."""


def interleaved(systems: Sequence[str] = SYSTEMS, seed: int = INTERLEAVE_SEED) -> list[Row]:
    """Every system's raw lines shuffled together (fixed seed, each system's own order kept:
    lines are drawn from the systems at random, as sources interleave in one stream) through
    one ``Engine()``, then scored per system. The row's mode is ``interleaved``."""
    loaded = {name: load(name) for name in systems}
    queues = {name: list(range(len(s.raw))) for name, s in loaded.items()}
    order: list[tuple[str, int]] = []
    rng = random.Random(seed)
    pending = [name for name in systems for _ in loaded[name].raw]
    rng.shuffle(pending)
    taken = dict.fromkeys(systems, 0)
    for name in pending:
        order.append((name, queues[name][taken[name]]))
        taken[name] += 1
    start = time.perf_counter()
    engine = Engine()
    ids = {name: [""] * len(s.raw) for name, s in loaded.items()}
    for name, i in order:
        ids[name][i] = engine.process(loaded[name].raw[i]).pattern_id
    seconds = time.perf_counter() - start
    rows = []
    for name, s in loaded.items():
        final = {pid: (engine.resolve(pid), engine.template(pid)) for pid in set(ids[name])}
        groups = [final[i][0] for i in ids[name]]
        templates = [final[i][1] for i in ids[name]]
        rows.append(Row(name, "LogSum", "interleaved", score(s.truth, groups, templates), seconds))
    return rows


def interleaved_table(alone: Sequence[Row], mixed: Sequence[Row]) -> str:
    """Per system: GA and PA parsed alone, interleaved, and the difference."""
    by_name = {r.system: r.scores for r in alone}
    out = [
        "| system | GA alone | GA interleaved | PA alone | PA interleaved |",
        "|---|---|---|---|---|",
    ]
    ga = pa = ga0 = pa0 = 0.0
    for r in mixed:
        a = by_name[r.system]
        out.append(
            f"| {r.system} | {_f(a.ga)} | {_f(r.scores.ga)} | {_f(a.pa)} | {_f(r.scores.pa)} |"
        )
        ga0, pa0 = ga0 + a.ga, pa0 + a.pa
        ga, pa = ga + r.scores.ga, pa + r.scores.pa
    n = max(len(mixed), 1)
    out.append(
        f"| **average** | **{_f(ga0 / n)}** | **{_f(ga / n)}** | **{_f(pa0 / n)}** "
        f"| **{_f(pa / n)}** |"
    )
    return "\n".join(out)


_CLIP = 240
"""Characters of a template or example line shown by ``--show-errors``."""


def _clip(text: str) -> str:
    return text if len(text) <= _CLIP else f"{text[:_CLIP]}... (+{len(text) - _CLIP} chars)"


def _f(x: float) -> str:
    return f"{x:.3f}"


def table(rows: Sequence[Row], mode: str) -> str:
    """A Markdown table of one mode: per system, each parser's GA / PA / FGA / FTA, patterns
    found against ground-truth templates; then the averages over the systems."""
    parsers = list(dict.fromkeys(r.parser for r in rows if r.mode == mode))
    by_key = {(r.system, r.parser): r for r in rows if r.mode == mode}
    systems = list(dict.fromkeys(r.system for r in rows if r.mode == mode))
    head = ["system", "GT templates"]
    for p in parsers:
        head += [f"{p} GA", "PA", "FGA", "FTA", "patterns"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in systems:
        cells = [s, str(by_key[s, parsers[0]].scores.truth_groups)]
        for p in parsers:
            sc = by_key[s, p].scores
            cells += [_f(sc.ga), _f(sc.pa), _f(sc.fga), _f(sc.fta), str(sc.predicted_groups)]
        out.append("| " + " | ".join(cells) + " |")
    cells = ["**average**", ""]
    for p in parsers:
        avg = averages([r for r in rows if r.mode == mode and r.parser == p])
        cells += [f"**{_f(v)}**" for v in avg] + [""]
    out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def averages(rows: Sequence[Row]) -> tuple[float, float, float, float]:
    """Mean GA, PA, FGA, FTA over ``rows``."""
    n = len(rows)
    return (
        sum(r.scores.ga for r in rows) / n,
        sum(r.scores.pa for r in rows) / n,
        sum(r.scores.fga for r in rows) / n,
        sum(r.scores.fta for r in rows) / n,
    )


TARGETS = {"GA": 0.95, "PA": 0.85, "FGA": 0.90, "FTA": 0.80}
"""Issue 2's targets for LogSum's raw-mode averages."""


def target_line(rows: Sequence[Row]) -> str:
    """LogSum's raw-mode averages against the targets, one line."""
    raw = [r for r in rows if r.mode == "raw" and r.parser == "LogSum"]
    if not raw:
        return ""
    parts = []
    for (name, goal), value in zip(TARGETS.items(), averages(raw), strict=True):
        mark = "met" if value >= goal else "NOT met"
        parts.append(f"{name} {value:.3f} (target >= {goal:.2f}: {mark})")
    return "LogSum raw-mode averages: " + "; ".join(parts)


def target_table(rows: Sequence[Row]) -> str:
    """LogSum's raw-mode averages against the targets (and Drain3's for scale), Markdown."""
    raw = [r for r in rows if r.mode == "raw" and r.parser == "LogSum"]
    drain = [r for r in rows if r.mode == "raw" and r.parser == "Drain3"]
    if not raw:
        return ""
    ours = averages(raw)
    theirs = averages(drain) if drain else None
    out = [
        "| raw mode, average of the systems | target | LogSum | met | Drain3 |",
        "|---|---|---|---|---|",
    ]
    for i, (name, goal) in enumerate(TARGETS.items()):
        met = "yes" if ours[i] >= goal else "**no**"
        other = f"{theirs[i]:.3f}" if theirs else ""
        out.append(f"| {name} | >= {goal:.2f} | **{ours[i]:.3f}** | {met} | {other} |")
    return "\n".join(out)


def show_errors(name: str, mode: str, limit: int, examples: int = 2) -> str:
    """LogSum's mistakes on one system, grouped by ground-truth template, most lines first.

    For each ground-truth template with a wrong template or a wrong grouping: how many of its
    lines are wrong, our templates for its lines (with counts), whether its lines were split
    over several patterns or share a pattern with other ground-truth templates, and a few
    example lines.
    """
    system = load(name)
    lines = inputs(system, mode)
    pred = run_logsum(lines, mode)
    truth = [normalize_template(t) for t in system.truth]
    ours = [normalize_template(t) for t in pred.templates]
    truth_of_group: dict[str, set[str]] = defaultdict(set)
    groups_of_truth: dict[str, set[str]] = defaultdict(set)
    for t, g in zip(truth, pred.groups, strict=True):
        truth_of_group[g].add(t)
        groups_of_truth[t].add(g)

    entries: dict[str, _TruthErrors] = defaultdict(_TruthErrors)
    for i, (t, o, g) in enumerate(zip(truth, ours, pred.groups, strict=True)):
        e = entries[t]
        e.total += 1
        e.ours[o] += 1
        wrong_group = len(groups_of_truth[t]) > 1 or len(truth_of_group[g]) > 1
        if o != t or wrong_group:
            e.bad += 1
            if len(e.examples) < examples and (o != t or len(e.examples) == 0):
                e.examples.append(i)

    sc = score(system.truth, pred.groups, pred.templates)
    bad = sorted(((e.bad, t) for t, e in entries.items() if e.bad), reverse=True)
    wrong_lines = sum(1 for t, o in zip(truth, ours, strict=True) if t != o)
    out = [
        f"{name}, {mode} mode: GA {sc.ga:.3f}  PA {sc.pa:.3f}  FGA {sc.fga:.3f}  "
        f"FTA {sc.fta:.3f}  | {sc.predicted_groups} patterns for {sc.truth_groups} GT templates"
        f" | {wrong_lines} lines with a wrong template | {len(bad)} GT templates with errors"
        f" (showing {min(limit, len(bad))})",
        "",
    ]
    for n_bad, t in bad[:limit]:
        e = entries[t]
        notes = []
        groups = groups_of_truth[t]
        if len(groups) > 1:
            notes.append(f"SPLIT over {len(groups)} patterns")
        merged = set().union(*(truth_of_group[g] for g in groups)) - {t}
        if merged:
            notes.append(f"MERGED with {len(merged)} other GT template(s)")
        flag = f"  [{', '.join(notes)}]" if notes else ""
        out.append(f"{n_bad}/{e.total} wrong{flag}")
        out.append(f"  GT    {_clip(t)}")
        for tmpl, count in e.ours.most_common(4):
            mark = "=" if tmpl == t else "x"
            out.append(f"  ours{mark} {_clip(tmpl)}   ({count})")
        if len(e.ours) > 4:
            out.append(f"  ...   {len(e.ours) - 4} more templates")
        for other in sorted(merged)[:2]:
            out.append(f"  also  {_clip(other)}")
        for i in e.examples:
            out.append(f"  e.g. {i + 1}: {_clip(lines[i])}")
        out.append("")
    return "\n".join(out)


_METRICS = ("ga", "pa", "fga", "fta")


def snapshot(rows: Sequence[Row]) -> dict[str, dict[str, float]]:
    """LogSum's scores as plain data: ``{"raw/Mac": {"ga": ..., ...}, ...}``."""
    return {
        f"{r.mode}/{r.system}": {m: getattr(r.scores, m) for m in _METRICS}
        for r in rows
        if r.parser == "LogSum"
    }


def compare(rows: Sequence[Row], before: dict[str, dict[str, float]]) -> str:
    """LogSum's score changes against an earlier :func:`snapshot`, changed systems only."""
    now = snapshot(rows)
    out = ["LogSum against the saved scores (changes of 0.001 or more):"]
    for key, scores in now.items():
        old = before.get(key)
        if old is None:
            continue
        deltas = [(m, scores[m] - old.get(m, 0.0)) for m in _METRICS]
        if any(abs(d) >= 0.001 for _, d in deltas):
            cells = "  ".join(f"{m.upper()} {scores[m]:.3f} ({d:+.3f})" for m, d in deltas)
            out.append(f"  {key:<20} {cells}")
    if len(out) == 1:
        out.append("  no change")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print accuracy tables, or one system's errors."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--system", choices=SYSTEMS, action="append", help="only these systems")
    ap.add_argument("--mode", choices=MODES, action="append", help="only these modes")
    ap.add_argument("--no-drain3", action="store_true", help="LogSum only (faster)")
    ap.add_argument(
        "--show-errors",
        type=int,
        metavar="N",
        help="print the N worst ground-truth templates of each --system (default mode raw)",
    )
    ap.add_argument("--save", type=Path, metavar="FILE", help="save LogSum's scores as JSON")
    ap.add_argument(
        "--compare", type=Path, metavar="FILE", help="print LogSum's changes against --save'd FILE"
    )
    ap.add_argument(
        "--interleaved",
        action="store_true",
        help="LogSum on all systems' raw lines shuffled into one stream, against each alone",
    )
    args = ap.parse_args(argv)
    systems = args.system or list(SYSTEMS)
    if args.interleaved:
        alone = evaluate(systems, ["raw"], ["LogSum"])
        print("\n### Accuracy, raw lines of all systems interleaved in one stream\n")
        print(interleaved_table(alone, interleaved(systems)))
        return 0
    modes = args.mode or list(MODES)
    if args.show_errors is not None:
        if not args.system:
            ap.error("--show-errors needs --system")
        for name in systems:
            for mode in args.mode or ["raw"]:
                print(show_errors(name, mode, args.show_errors))
        return 0
    parsers = ("LogSum",) if args.no_drain3 else ("LogSum", "Drain3")
    rows = evaluate(systems, modes, parsers)
    for mode in modes:
        print(f"\n### Accuracy, {MODE_TITLES[mode]}\n")
        print(table(rows, mode))
    line = target_line(rows)
    if line and len(systems) == len(SYSTEMS):
        print("\n" + line)
    if args.compare:
        print("\n" + compare(rows, json.loads(args.compare.read_text(encoding="utf-8"))))
    if args.save:
        args.save.write_text(json.dumps(snapshot(rows), indent=1), encoding="utf-8")
        print(f"\nsaved LogSum scores to {args.save}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
