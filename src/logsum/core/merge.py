"""Merging the patterns of engines that mined parts of one input (pure; no I/O).

A large input is cut into partitions, each mined by its own :class:`~logsum.core.engine.Engine`
(possibly in other processes or machines). :func:`merge_states` turns their saved states
(:meth:`Engine.to_state`) into one set of patterns as one engine would have learned them:

- every partition's patterns are fed, partition by partition and in each partition in the
  order its patterns were created, to one :class:`~logsum.core.miner.Miner` with the engine's
  settings: first the pattern's first distinct masked forms (``Cluster.forms``, the token
  lists of the lines it learned from, first seen first), then its final template. So templates
  that one engine would have merged become one pattern (the miner's own rules: similarity,
  word slots, merging across lengths, folding), decided on the lines' forms as one engine
  decided them as the lines arrived; a form placed once goes to that pattern again (as an
  engine's cache of masked messages sends it);
- a partition pattern whose forms went to different merged patterns is split
  (:attr:`MergedPatterns.splits`): its lines go where :func:`route` says, and
  :func:`apply_moves` moves their counts once a pass over the partition counted them;
- a merged pattern keeps the id of the earliest partition pattern that created it. A pattern's
  id is the hash of the template it was created with, so the pattern created by the first line
  of a kind gets the same id as in one engine run over the whole input (partitions are in input
  order); when that id is taken, the miner's own rule (hash of the template) applies;
- a word slot (a lone ``<*>`` whose examples are all words, fewer than
  ``EngineConfig.min_word_values``) is fed once per word, so the merge decides it with every
  partition's words by the miner's rule for words, not on one partition's evidence;
- counts are summed, first/last seen are the earliest and latest, the severity of levels is the
  most severe seen, and example values are those of the partitions (in partition order) whose
  template has as many wildcards as the merged one, capped as in one engine;
- :attr:`MergedPatterns.mappings` gives, per partition, every id that partition's line results
  may carry (its live patterns and the ids folded into them) and the merged id it now answers to.

Line results of a partition name the merged pattern through that mapping. Patterns a partition
evicted (``EngineConfig.max_patterns``) before its end are not in its state, so their ids are
not in the mapping (as in one engine, whose lines keep an evicted pattern's id).

:func:`starts_record` is the rule that keeps multi-line records whole when an input is cut: a
line that may continue a record (a stack frame, an indented or blank line) is never a partition's
first line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from logsum.core.config import EngineConfig
from logsum.core.engine import Engine, _continues
from logsum.core.masking import TokenMasker
from logsum.core.miner import MAX_FORMS, Cluster, Miner, _Bucket
from logsum.core.model import WILDCARD
from logsum.core.state import FORMAT, VERSION, StateError, pattern_record


def starts_record(line: str, message_only: bool = False) -> bool:
    """True when ``line`` (without its line break) always starts a record of its own: it can
    not be a continuation line in any engine, whatever came before it. A partition boundary may
    be placed right before such a line without changing any line's record."""
    return message_only or not _continues(line.rstrip("\r\n"))


@dataclass(frozen=True)
class MergedPatterns:
    """What :func:`merge_states` returns."""

    state: dict[str, Any]
    """The merged patterns as an engine state (:mod:`logsum.core.state`): load it with
    :meth:`Engine.from_state` to read :class:`~logsum.core.model.Pattern` values or to go on."""
    mappings: list[dict[str, str]] = field(default_factory=list)
    """Per partition (in the order given): partition pattern id (live or folded) -> merged id."""
    lines: int = 0
    """Lines of all partitions (the sum of their ``line_count``)."""
    splits: list[dict[str, dict[str, str]]] = field(default_factory=list)
    """Per partition: for each of its patterns whose forms went to more than one merged
    pattern (the partition's engine merged what one engine keeps apart), its form (masked
    tokens joined by spaces) -> merged id. Its lines go where :func:`route` says; the counts
    in :attr:`state` still give all its lines to :attr:`mappings`' id until
    :func:`apply_moves` moves them."""

    def engine(self, config: EngineConfig | None = None) -> Engine:
        """An engine holding the merged patterns."""
        return Engine.from_state(self.state, config)


class _SeededMiner(Miner):
    """A miner that gives a pattern it creates a chosen id (the id the partition pattern fed
    to it has), when that id is free."""

    wanted: str | None = None
    multi_length = False

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.placed: dict[str, str] = {}
        """Masked form -> id of the pattern it went to: like an engine's cache of masked
        messages, a form placed once goes to that pattern again (or the one it was folded
        into), not to whatever its pattern's template now resembles."""

    def learn(self, tokens: list[str], source: int = -1) -> Cluster:
        # Templates are distinct by nature, so nearly every one fed here is new: the share of
        # new patterns that makes a miner stop merging across lengths on noise means nothing.
        self._churn = 0.0
        key = " ".join(tokens)
        known = self.placed.get(key)
        if known is not None:
            c = self.get(known)
            if c is not None:
                self.touch(c)
                return c
        c = super().learn(tokens, source)
        self.placed[key] = c.id
        return c

    def _create(self, bucket: _Bucket, tokens: list[str], template: str) -> Cluster:
        want = self.wanted
        if want is not None and self.get(want) is None and want not in self._aliases:
            c = self.add(want, tokens)
        else:
            c = super()._create(bucket, tokens, template)
        c.multi_length = c.multi_length or self.multi_length
        return c


MULTI_LENGTH = "multi_length"
"""The key :func:`partition_state` adds to an engine state: ids of the patterns whose template
was merged across token counts (a lone ``<*>`` there may stand for several tokens)."""


FORMS = "forms"
"""The key :func:`partition_state` adds to an engine state: per pattern id, the first distinct
masked forms (token lists) the pattern learned from, first seen first (``Cluster.forms``)."""


def partition_state(engine: Engine) -> dict[str, Any]:
    """``engine.to_state()`` for :func:`merge_states`, with the ids of the patterns merged
    across lengths and each pattern's first distinct masked forms (an engine state leaves them
    out; the merge replays the forms so that one miner takes the decisions one engine took
    as those lines arrived, and merges a multi-length template with the other partitions'
    templates of other lengths as one engine would)."""
    state = engine.to_state()
    # (what the engine learned about reading lines plays no part in the merge; the forms
    # travel once, under FORMS)
    state.pop("learned", None)
    for record in state["patterns"]:
        record.pop("forms", None)
    clusters = list(engine._miner.clusters())
    state[MULTI_LENGTH] = [c.id for c in clusters if c.multi_length]
    state[FORMS] = {c.id: [list(f) for f in c.forms] for c in clusters if c.forms}
    return state


def _forms_of(state: dict[str, Any]) -> dict[str, list[list[str]]]:
    raw = state.get(FORMS, {})
    if not isinstance(raw, dict):
        raise StateError(f"{FORMS} must map pattern ids to lists of token lists")
    out: dict[str, list[list[str]]] = {}
    for pid, forms in raw.items():
        if not isinstance(forms, list) or not all(
            isinstance(f, list) and all(isinstance(t, str) for t in f) for f in forms
        ):
            raise StateError(f"{FORMS} of {pid!r} must be a list of token lists")
        out[str(pid)] = [list(f) for f in forms[:MAX_FORMS]]
    return out


def _merge_into(keep: Cluster, part: Cluster) -> None:
    """Counts, times and the severity of levels of ``part`` added to ``keep``."""
    keep.count += part.count
    if part.first_seen is not None and (
        keep.first_seen is None or part.first_seen < keep.first_seen
    ):
        keep.first_seen = part.first_seen
    if part.last_seen is not None and (keep.last_seen is None or part.last_seen > keep.last_seen):
        keep.last_seen = part.last_seen
    sev = part.level_severity
    if sev is not None and (keep.level_severity is None or sev.rank < keep.level_severity.rank):
        keep.level_severity = sev


_WORD = re.compile(r"[^\W\d_]+")
_MAX_VARIANTS = 16
"""Templates one partition pattern may be fed as (see :func:`_word_variants`)."""


def _word_variants(c: Cluster, min_words: int, masker: TokenMasker) -> list[list[str]]:
    """The templates fed to the merge for ``c``. A partition's engine makes a lone ``<*>`` of
    fewer than ``min_words`` different words (its examples: letters that masking keeps) on the
    evidence of its own lines alone (a key word before it, or siblings it happened to see
    first); the merge re-decides such a slot with every partition's words, by the miner's
    rule for words: one template per word seen there, the first one taking the pattern's
    lines. Otherwise (or past ``_MAX_VARIANTS``) ``c``'s template alone."""
    out = [list(c.tokens)]
    hole = 0
    for j, tok in enumerate(c.tokens):
        if tok == WILDCARD:
            values = c.examples.get(hole, [])
            if (
                values
                and len(values) < min_words
                and len(out) * len(values) <= _MAX_VARIANTS
                and all(
                    _WORD.fullmatch(v) is not None and masker.mask_tokens([v]) == [v]
                    for v in values
                )
            ):
                out = [[*t[:j], v, *t[j + 1 :]] for t in out for v in values]
        hole += tok.count(WILDCARD)
    return out


def merge_states(
    states: Sequence[dict[str, Any]], config: EngineConfig | None = None
) -> MergedPatterns:
    """Merge the saved states of engines that mined consecutive partitions of one input, in
    input order (see the module docstring). Every state must come from engines of the same kind
    (``message_only`` and ``log_format``); raises :class:`~logsum.core.state.StateError`
    otherwise, or for a state that does not load. Pure: the states are not changed."""
    cfg = config or EngineConfig()
    miner = _SeededMiner(
        cfg.similarity,
        cfg.max_patterns,
        cfg.min_word_values,
        cfg.min_slot_values,
        cfg.max_pattern_bytes,
    )
    masker = TokenMasker()
    kinds = {(bool(s.get("message_only", False)), s.get("log_format")) for s in states}
    if len(kinds) > 1:
        raise StateError("partitions were mined with different engine options")
    message_only, log_format = next(iter(kinds), (False, None))
    # per partition: (its pattern, merged id then, form -> merged id then)
    fed: list[list[tuple[Cluster, str, dict[str, str]]]] = []
    aliases_of: list[dict[str, str]] = []
    lines = 0
    for state in states:
        part = Engine.from_state(state, cfg)  # validates the document field by field
        lines += part.line_count
        multi = state.get(MULTI_LENGTH, [])
        if not isinstance(multi, list):
            raise StateError(f"{MULTI_LENGTH} must be a list of pattern ids")
        multi_ids = {m for m in multi if isinstance(m, str)}
        forms_of = _forms_of(state)
        clusters = sorted(part._miner.clusters(), key=lambda c: c.order)
        done: list[tuple[Cluster, str, dict[str, str]]] = []
        for c in clusters:
            c.multi_length = c.id in multi_ids
            miner.wanted, miner.multi_length = c.id, c.multi_length
            # The lines' own forms first, in the order the partition met them: one miner then
            # takes the decisions one engine took as those lines arrived (a final template may
            # no longer align with another partition's where the lines did).
            landed: dict[str, str] = {}
            for form in forms_of.get(c.id, ()):
                landed[" ".join(form)] = miner.learn(form).id
                miner.wanted = None
            variants = _word_variants(c, cfg.min_word_values, masker)
            target = miner.learn(variants[0])
            miner.wanted, miner.multi_length = None, False
            for variant in variants[1:]:
                miner.learn(variant)
            target = miner.get(target.id) or target
            target.multi_length = target.multi_length or c.multi_length
            _merge_into(target, c)  # later folds carry these over (Miner._absorb)
            done.append((c, target.id, landed))
        fed.append(done)
        aliases_of.append(part._miner.aliases())

    def final(pid: str) -> str:
        c = miner.get(pid)
        return pid if c is None else c.id

    mappings: list[dict[str, str]] = []
    splits: list[dict[str, dict[str, str]]] = []
    members: dict[str, list[Cluster]] = {}
    for done, folded in zip(fed, aliases_of, strict=True):
        ids: dict[str, str] = {}
        split: dict[str, dict[str, str]] = {}
        for c, merged_id, landed in done:
            into = final(merged_id)
            ids[c.id] = into
            members.setdefault(into, []).append(c)
            where = {form: final(pid) for form, pid in landed.items()}
            if any(pid != into for pid in where.values()):
                split[c.id] = where
        splits.append(split)
        for old, new in folded.items():
            if new in ids:
                ids[old] = ids[new]
        mappings.append(ids)

    k = cfg.max_param_examples
    patterns = []
    for c in sorted(miner.clusters(), key=lambda c: c.order):
        holes = c.template.count(WILDCARD)
        examples: list[list[str]] = [[] for _ in range(holes)]
        for m in members.get(c.id, ()):
            if m.template.count(WILDCARD) != holes:
                continue  # its wildcards are other places: its values say nothing here
            for i, values in m.examples.items():
                if i < holes:
                    slot = examples[i]
                    for value in values:
                        if len(slot) < k and value not in slot:
                            slot.append(value)
        while examples and not examples[-1]:
            examples.pop()
        patterns.append(pattern_record(c, examples))
    aliases = miner.aliases()
    for ids in mappings:
        for old, new in ids.items():
            if old != new and miner.get(old) is None:
                aliases.setdefault(old, new)
    state = {
        "format": FORMAT,
        "version": VERSION,
        "line_count": lines,
        "message_only": message_only,
        "log_format": log_format,
        "patterns": patterns,
        "aliases": aliases,
    }
    return MergedPatterns(state, mappings, lines, splits)


def route(where: dict[str, str], default: str, tokens: list[str], merged: Engine) -> str:
    """The merged pattern of a line of a split partition pattern (see
    :attr:`MergedPatterns.splits`): the one its masked form went to, else the one of those the
    merged patterns match it to, else ``default`` (the pattern's merged id). A function of
    the line alone, so every pass over a partition routes its lines alike."""
    pid = where.get(" ".join(tokens))
    if pid is not None:
        return pid
    c = merged._miner.match(tokens)
    if c is not None and c.id in where.values():
        return c.id
    return default


Move = tuple[str, str, int, str | None, str | None]
"""Lines moved by :func:`route`: (from merged id, to merged id, lines, first seen, last seen
as ISO 8601 or None)."""


def apply_moves(merged: MergedPatterns, moves: Sequence[Move]) -> MergedPatterns:
    """``merged`` with the counts of routed lines moved from their pattern's merged id to
    the one :func:`route` chose; first/last seen of the receiving pattern widen to the moved
    lines' (the giving pattern's stay: they cover its lines still). Pure."""
    if not moves:
        return merged
    patterns = [dict(p) for p in merged.state["patterns"]]
    by_id = {p["id"]: p for p in patterns}
    for src, dst, n, first, last in moves:
        a, b = by_id.get(src), by_id.get(dst)
        if a is None or b is None or a is b or n <= 0:
            continue
        a["count"] -= n
        b["count"] += n
        if first is not None and (b["first_seen"] is None or _iso(first) < _iso(b["first_seen"])):
            b["first_seen"] = first
        if last is not None and (b["last_seen"] is None or _iso(last) > _iso(b["last_seen"])):
            b["last_seen"] = last
    state = {**merged.state, "patterns": patterns}
    return MergedPatterns(state, merged.mappings, merged.lines, merged.splits)


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(text)
