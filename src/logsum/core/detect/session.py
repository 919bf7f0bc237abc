"""``session`` anomalies: sessions (lines sharing a key such as a request, trace or block id)
whose event counts differ from what most sessions do.

Unsupervised, no labels: a session's *signature* is its multiset of pattern ids (pattern ->
count). A behaviour is normal when at least ``session_min_support`` of the sessions (and at
least ``session_min_support_count``) share it. A session is anomalous when its signature is rarer
than that, or when it contains a pattern that few sessions contain. Sessions with the same
anomalous signature are reported together, as one anomaly. A session still active in the last
``session_open_tail`` of the batch whose events so far are a part of a usual signature is not
judged: it may simply not be over (streams always end mid-session).

The key is ``options.session_key`` (a regex: its first group, or the whole match when it has no
group); without it, the detector probes the first lines for an obvious identifier shape (a
``word_digits`` id, a UUID, or a ``request/trace/session... id=value`` pair) present in most
lines and repeated across lines, and uses it; when none is obvious, there are no sessions.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate

from logsum.core.detect.base import (
    DEFAULT_LIMITS,
    DetectContext,
    DetectLimits,
    short,
    squash,
)
from logsum.core.detect.faults import names_a_failure
from logsum.core.detect.model import Anomaly, AnomalyType, JSONValue, TimeWindow, stable_id
from logsum.core.detect.sequence import END, START, Transition, TransitionTable, display
from logsum.core.detect.sessionkeys import (
    MAX_KEY_SCAN_CHARS,
    MAX_KEYS_PER_LINE,
    CallerKey,
)
from logsum.core.detect.sessionkeys import FoundKey as _FoundKey

# Checking a caller's key before any work is part of this module's interface (the analysis
# calls it from here); it lives with the key readers.
from logsum.core.detect.sessionkeys import compile_caller_key as compile_caller_key
from logsum.core.detect.sessionrules import (
    MAX_VALUES,
    CountRule,
    SessionProfile,
    Signature,
    count_values,
    mine_rules,
)
from logsum.core.model import LineResult, Severity

SAMPLE_LINES_PER_SESSION = 16
"""Line numbers remembered per session."""

_PREFIXED_ID = re.compile(r"(?<![\w.-])([A-Za-z]{2,12})_-?\d{6,}\b")
_UUID = r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
_KV_ID = (
    r"(?i)\b(?:request|req|trace|span|session|sess|correlation|transaction|txn|conn|connection)"
    r"[_-]?id[\"']?\s*[=:]\s*[\"']?([\w.:-]+)"
)

# Probing runs every candidate over up to ``session_probe_lines`` messages, which made it the
# costliest part of an analysis when done one regex call per message and with regexes that the
# ``re`` engine has to try at every position. It is done instead on the messages joined into one
# text (one C-level scan per candidate), with counts of a substring every match contains to drop
# a candidate that cannot reach the share before scanning for it, and with a fast literal scan
# that finds the few positions where a match can start. Each shortcut gives exactly the matches
# (and so the keys and counts) of the plain per-message scan.

_SEP = "\x00"
"""Joins probe messages. No candidate matches it, so no match crosses it, and each candidate
treats it as it treats the start or end of a string (it is neither a word character, nor
``.`` or ``-``): the joined text has exactly the matches of the messages one by one."""

_UNDERSCORE_ID = re.compile(r"_(?=-?\d{6})")
"""Where a ``_PREFIXED_ID`` match has its underscore (every match has one, then 6+ digits)."""
_UNDERSCORE_DIGIT = re.compile(r"_(?=-?\d)")
"""An underscore then digits, as every match of a ``word_digits`` candidate has."""
_LETTERS_TO_END = re.compile(r"[A-Za-z]{2,12}\Z")
"""Searched in the 12 characters before such an underscore: where a prefix could start."""
_UUID_DASH = re.compile(r"-(?=[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-)")
"""The first dash of a UUID: every ``_UUID`` match has one, 8 characters after its start."""
_ID_SPELLINGS = tuple(i + d for i in "iIıİ" for d in "dD")
"""Every text ``(?i)id`` matches (case-insensitive matching also pairs ``i`` with the dotless
``ı`` and the dotted ``İ``): each ``_KV_ID`` match contains one of them."""


def _count_ids(text: str) -> int:
    """Occurrences of the ``_ID_SPELLINGS`` in ``text`` (on ASCII text, of ``id`` in the text
    lower-cased: one count instead of four, the others cannot occur)."""
    if text.isascii():
        return text.lower().count("id")
    return sum(text.count(s) for s in _ID_SPELLINGS)


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A session-key regex worth trying, and what makes probing for it cheap."""

    pattern: str
    """The regex (reported as the session key when chosen)."""
    most: Callable[[str], int]
    """An upper bound of the regex's matches in a text, from counting a substring that every
    match contains: a bound on the lines with a match, found before scanning for them."""
    locator: re.Pattern[str] | None = None
    """Every match starts ``offset`` characters before a hit of this regex; ``None``: scan for
    matches everywhere."""
    offset: int = 0


def _count_dashes(text: str) -> int:
    return text.count("-") // 4  # a UUID has four


_UUID_CANDIDATE = _Candidate(_UUID, _count_dashes, locator=_UUID_DASH, offset=8)
_KV_CANDIDATE = _Candidate(_KV_ID, _count_ids)


def _prefix_candidate(prefix: str) -> _Candidate:
    """The candidate for ids like ``prefix_123``: each match starts with ``prefix_``."""
    literal = prefix + "_"
    return _Candidate(
        rf"(?<![\w.-]){re.escape(prefix)}_-?\d+\b",
        lambda text: text.count(literal),
        locator=re.compile(re.escape(literal)),
    )


class _Joined:
    """Messages joined with ``_SEP``, and the message each position of the text belongs to."""

    __slots__ = ("_messages", "_starts", "text")

    def __init__(self, messages: Sequence[str]) -> None:
        self.text = _SEP.join(messages)
        self._messages = messages
        self._starts: list[int] | None = None  # found when first asked (most probes never do)

    def line(self, pos: int) -> int:
        """The 0-based index of the message holding position ``pos``."""
        if self._starts is None:
            ends = accumulate(len(m) + 1 for m in self._messages)
            self._starts = [0, *ends][:-1]
        return bisect_right(self._starts, pos) - 1


def _prefixed_ids(text: str) -> Iterator[re.Match[str]]:
    """``_PREFIXED_ID.finditer(text)``, trying the regex only where a match can start: at the
    letter run before an underscore followed by digits (its lookbehind rules out any other
    start)."""
    end = 0
    for hit in _UNDERSCORE_ID.finditer(text):
        u = hit.start()
        run = _LETTERS_TO_END.search(text, max(u - 12, 0), u)
        if run is None or run.start() < end:
            continue
        m = _PREFIXED_ID.match(text, run.start())
        if m is not None:
            end = m.end()
            yield m


def _candidates(text: str, prefixed: bool = True) -> list[_Candidate]:
    """Generic id regexes worth trying on these messages (joined with ``_SEP``); without the
    ``word_digits`` ones when not ``prefixed``."""
    out = []
    if prefixed:
        prefixes = Counter(m.group(1) for m in _prefixed_ids(text))
        out = [_prefix_candidate(p) for p, _ in prefixes.most_common(5)]
    out.extend([_UUID_CANDIDATE, _KV_CANDIDATE])
    return out


def _matches(c: _Candidate, text: str) -> Iterator[re.Match[str]]:
    """``re.compile(c.pattern).finditer(text)``. With a locator, the regex is tried only where
    a match can start, leftmost first and never inside the previous match: the same matches
    (no candidate matches the empty string)."""
    rx = re.compile(c.pattern)
    if c.locator is None:
        yield from rx.finditer(text)
        return
    end = 0
    for hit in c.locator.finditer(text):
        start = hit.start() - c.offset
        if start < end:
            continue
        m = rx.match(text, start)
        if m is not None:
            end = m.end()
            yield m


def auto_session_key(
    messages: list[str],
    min_share: float,
    min_keys: int = DEFAULT_LIMITS.session_auto_min_keys,
    min_lines_per_key: float = DEFAULT_LIMITS.session_auto_min_lines_per_key,
) -> str | None:
    """The obvious session-key regex for these messages, or ``None``.

    A candidate must occur in at least ``min_share`` of the messages, and its values must repeat
    (on average at least ``min_lines_per_key`` lines per key) while taking at least
    ``min_keys`` distinct values.
    """
    if not messages:
        return None
    n = len(messages)
    joined = _Joined(messages)
    # Keys are looked for in the first MAX_KEY_SCAN_CHARS of a message (see _keys).
    if max(map(len, messages)) > MAX_KEY_SCAN_CHARS:
        scanned = _Joined([m[:MAX_KEY_SCAN_CHARS] for m in messages])
    else:
        scanned = joined
    # Every match of a word_digits candidate has an underscore then digits: when too few lines
    # could hold one, none of them can pass, and reading the prefixes is skipped.
    prefixed = min(n, len(_UNDERSCORE_DIGIT.findall(scanned.text))) / n >= min_share
    best: tuple[float, str] | None = None
    for c in _candidates(joined.text, prefixed):
        most = min(n, c.most(scanned.text)) / n
        if most < min_share or (best is not None and most <= best[0]):
            continue  # it cannot reach the share, or beat the best one: not worth a scan
        hit_lines, keys = _tally(c, scanned)
        share = hit_lines / n
        if share < min_share or len(keys) < min_keys or hit_lines / len(keys) < min_lines_per_key:
            continue
        if best is None or share > best[0]:
            best = (share, c.pattern)
    return best[1] if best else None


def _tally(c: _Candidate, joined: _Joined) -> tuple[int, Counter[str]]:
    """Lines with a key of ``c``, and how many lines hold each key: the keys of each line as
    :func:`_keys` takes them (distinct, the first ``MAX_KEYS_PER_LINE``)."""
    keys: Counter[str] = Counter()
    lines = 0
    line = -1
    found: list[str] = []
    group = 1 if re.compile(c.pattern).groups else 0
    for m in _matches(c, joined.text):
        i = joined.line(m.start())
        if i != line:
            if found:
                lines += 1
                keys.update(found)
            line, found = i, []
        k = m.group(group)
        if k and len(found) < MAX_KEYS_PER_LINE and k not in found:
            found.append(k)
    if found:
        lines += 1
        keys.update(found)
    return lines, keys


@dataclass(frozen=True, slots=True)
class _Group:
    """The parts of a session anomaly that describe its group of sessions."""

    subject: str
    window: TimeWindow | None
    lines: tuple[int, ...]
    line_count: int
    head: dict[str, JSONValue]
    """Evidence fields that come first."""
    tail: dict[str, JSONValue]
    """Evidence fields that come last."""


@dataclass(slots=True)
class _Session:
    counts: Counter[str] = field(default_factory=Counter)
    sequence: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    n: int = 0
    first_t: datetime | None = None
    last_t: datetime | None = None
    last_line: int = 0


class SessionDetector:
    """Groups lines into sessions by key and reports sessions that behave unlike most."""

    def __init__(
        self,
        limits: DetectLimits,
        session_key: str | None = None,
        baseline: SessionProfile | None = None,
    ) -> None:
        self._limits = limits
        self._baseline = baseline
        if session_key is None and baseline is not None:
            session_key = baseline.session_key
        self._key: CallerKey | _FoundKey | None = (
            CallerKey(session_key, limits) if session_key else None
        )
        self._probing = session_key is None
        self._probe: list[LineResult] = []
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._first_line: int | None = None
        self._last_line = 0
        self.evicted = 0
        self.open_sessions = 0
        """Sessions left unjudged by the last :meth:`finish` because they may not be over."""

    @property
    def key_pattern(self) -> str | None:
        """The session-key regex in use (given or auto-detected), if any."""
        return self._key.pattern if self._key else None

    def feed(self, result: LineResult) -> None:
        """Add one line to its session(s)."""
        if self._first_line is None:
            self._first_line = result.line
        if self._probing:
            self._probe.append(result)
            if len(self._probe) >= self._limits.session_probe_lines:
                self._end_probe()
            return
        if self._key is not None:
            self._add(result)

    def feed_many(self, results: Sequence[LineResult]) -> None:
        """Add many lines."""
        i, n = 0, len(results)
        if n and self._first_line is None:
            self._first_line = results[0].line
        if self._probing and n:
            # As feed() line by line: the probe takes lines until it is full (at least one).
            i = max(1, self._limits.session_probe_lines - len(self._probe))
            self._probe.extend(results[:i])
            if len(self._probe) >= self._limits.session_probe_lines:
                self._end_probe()
        if self._key is None:
            return
        rest = results[i:] if i else results
        keys = self._key.keys_many([r.message for r in rest])
        for r, ks in zip(rest, keys, strict=True):
            self._add_keys(r, ks)

    def _end_probe(self) -> None:
        self._probing = False
        lim = self._limits
        key = auto_session_key(
            [r.message for r in self._probe],
            lim.session_auto_min_share,
            lim.session_auto_min_keys,
            lim.session_auto_min_lines_per_key,
        )
        self._key = _FoundKey(key) if key else None
        probe, self._probe = self._probe, []
        if self._key is not None:
            for r, ks in zip(probe, self._key.keys_many([r.message for r in probe]), strict=True):
                self._add_keys(r, ks)

    def _add(self, r: LineResult) -> None:
        if self._key is None:
            return
        self._add_keys(r, self._key.keys(r.message))

    def _add_keys(self, r: LineResult, keys: list[str]) -> None:
        lim = self._limits
        for key in keys:
            s = self._sessions.get(key)
            if s is None:
                s = self._sessions[key] = _Session()
                if len(self._sessions) > lim.max_sessions:
                    self._sessions.popitem(last=False)
                    self.evicted += 1
            else:
                self._sessions.move_to_end(key)
            if s.n >= lim.max_session_events:
                continue
            s.n += 1
            s.counts[r.pattern_id] += 1
            if len(s.sequence) < lim.max_session_sequence:
                s.sequence.append(r.pattern_id)
            if len(s.lines) < SAMPLE_LINES_PER_SESSION:
                s.lines.append(r.line)
            s.last_line = r.line
            self._last_line = r.line
            if r.timestamp is not None:
                if s.first_t is None:
                    s.first_t = r.timestamp
                s.last_t = r.timestamp

    def _usable_baseline(self) -> SessionProfile | None:
        """The baseline's profile when it holds enough sessions (``min_sessions``) to say what
        a usual session is; otherwise sessions are judged against the batch's own."""
        base = self._baseline
        return base if base is not None and base.sessions >= self._limits.min_sessions else None

    def _signatures(self, ctx: DetectContext) -> dict[str, Signature]:
        """Each session's counts (pattern ids made canonical), sorted."""
        out: dict[str, Signature] = {}
        for key, s in self._sessions.items():
            counts: Counter[str] = Counter()
            for pid, c in s.counts.items():
                counts[ctx.canonical(pid)] += c
            out[key] = tuple(sorted(counts.items()))
        return out

    def _view(
        self, s: _Session, ctx: DetectContext, canon: dict[str, str]
    ) -> tuple[list[str], bool, bool]:
        """A session's kept sequence (canonical ids), whether its end and its start are known:
        the end only for a whole, finished session (not one still active at the end of the
        batch, nor one longer than the sequence kept); the start only for one that did not begin
        right at the start of the data (it may be older)."""
        lim = self._limits
        edge = lim.session_open_tail
        first = self._first_line or 0
        tail_from = self._last_line - edge * (self._last_line - first)
        head_until = first + edge * (self._last_line - first)
        seq = [canon.get(p) or canon.setdefault(p, ctx.canonical(p)) for p in s.sequence]
        complete = s.n == len(s.sequence) and (s.last_line < tail_from or edge <= 0)
        begun = edge <= 0 or (bool(s.lines) and s.lines[0] > head_until)
        return seq, complete, begun

    def profile(
        self,
        context: DetectContext,
        tolerance: float | None = None,
        min_sessions: int | None = None,
    ) -> SessionProfile | None:
        """What the sessions fed so far say a usual session is (for use as a baseline), or
        ``None`` when there is no session key or fewer than ``min_sessions`` sessions (default
        ``DetectLimits.min_sessions``). Count rules are learned with ``tolerance`` (default
        ``baseline_rule_tolerance``: the lines are taken as known-good)."""
        if self._probing:
            self._end_probe()
        lim = self._limits
        least = lim.min_sessions if min_sessions is None else max(1, min_sessions)
        if self._key is None or len(self._sessions) < least:
            return None
        sigs = self._signatures(context)
        sig_count = Counter(sigs.values())
        df: Counter[str] = Counter()
        for sig, n in sig_count.items():
            for p, _ in sig:
                df[p] += n
        table = TransitionTable(order=1)
        canon: dict[str, str] = {}
        for s in self._sessions.values():
            seq, complete, begun = self._view(s, context, canon)
            table.add(seq, complete=complete, begun=begun)
        have, ctxs = (
            dict(Counter(c).most_common(lim.baseline_max_transitions)) for c in table.counts()
        )
        rules = mine_rules(
            sig_count,
            tolerance=lim.baseline_rule_tolerance if tolerance is None else tolerance,
            min_sessions=lim.session_min_support_count,
            max_patterns=lim.session_rule_patterns,
        )
        return SessionProfile(
            sessions=len(sigs),
            df=dict(df),
            signatures=dict(sig_count.most_common(lim.baseline_max_signatures)),
            rules=tuple(rules[: lim.baseline_max_rules]),
            transitions=have,
            contexts=ctxs,
            session_key=self.key_pattern,
            values=count_values(sig_count),
        )

    def finish(self, context: DetectContext) -> list[Anomaly]:
        """Session anomalies: sessions with a pattern few (or no baseline) sessions have,
        grouped by those patterns; sessions breaking count rules, grouped by the patterns whose
        counts differ; sessions with usual counts in an unusual order, grouped by transition."""
        if self._probing:
            self._end_probe()
        lim = self._limits
        n = len(self._sessions)
        base = self._usable_baseline()
        if n == 0 or (base is None and n < lim.min_sessions):
            return []
        sigs = self._signatures(context)
        sig_count = Counter(sigs.values())
        if base is not None:
            ref_n = base.sessions
            df: Mapping[str, int] = base.df
            support = max(1.0, min(lim.session_min_support_count, lim.session_min_support * ref_n))
            fault_support = rare_support = support
            rules: Sequence[CountRule] = base.rules
            ref_sigs = base.signatures
            values: Mapping[str, Mapping[int, int]] = base.values
            tolerance = lim.baseline_rule_tolerance
        else:
            ref_n = n
            counted: Counter[str] = Counter()
            for sig, c in sig_count.items():
                for p, _ in sig:
                    counted[p] += c
            df = counted
            count = lim.session_min_support_count
            support = fault_support = max(count, lim.session_min_support * n)
            rare_support = max(count, lim.session_rare_share * n)
            tolerance = lim.session_rule_tolerance
            rules = mine_rules(
                sig_count,
                tolerance=tolerance,
                min_sessions=count,
                max_patterns=lim.session_rule_patterns,
            )
            ref_sigs = sig_count
            # Unusual counts of a known pattern are judged against a baseline only: within a
            # batch they flag ordinary variants as often as anomalies (measured on HDFS).
            values = {}

        def few(p: str) -> bool:
            faulty = context.severity(p).at_least(Severity.WARNING) or names_a_failure(
                context.template(p)
            )
            return df.get(p, 0) < (fault_support if faulty else rare_support)

        def unseen(p: str, c: int) -> bool:
            # A count of a known pattern that (nearly) no baseline session has, where the
            # baseline's sessions keep to a few counts of it (a pattern whose count varies
            # widely has no usual count to depart from).
            vs = values.get(p)
            if vs is None or len(vs) >= MAX_VALUES or vs.get(c, 0) >= rare_support:
                return False
            usual = [n for n in vs.values() if n >= rare_support]
            total = sum(vs.values())
            return len(usual) <= lim.session_usual_counts and sum(usual) >= (1 - tolerance) * total

        frequent = [dict(sg) for sg, c in ref_sigs.items() if c >= support]
        first = self._first_line or 0
        tail_from = self._last_line - lim.session_open_tail * (self._last_line - first)
        verdicts: dict[Signature, tuple[tuple[str, ...], tuple[CountRule, ...]]] = {}
        groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
        broken_of: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[CountRule, ...]] = {}
        self.open_sessions = 0
        usual: list[str] = []
        for key, sig in sigs.items():
            verdict = verdicts.get(sig)
            if verdict is None:
                counts = dict(sig)
                new = tuple(p for p, _ in sig if few(p))
                broken = () if new else tuple(r for r in rules if r.broken(counts))
                if not new and not broken:
                    broken = tuple(_value_rule(p, c, values) for p, c in sig if unseen(p, c))
                verdict = verdicts[sig] = (new, broken)
            new, broken = verdict
            if not new and not broken:
                usual.append(key)
                continue
            if (
                not new
                and self._sessions[key].last_line >= tail_from
                and any(all(f.get(p, 0) >= c for p, c in sig) for f in frequent)
            ):
                # Active at the end and so far a part of a usual session: not over yet.
                self.open_sessions += 1
                continue
            involved = tuple(sorted({p for r in broken for p in r.pattern_ids}))
            gk = (new, () if new else involved)
            groups.setdefault(gk, []).append(key)
            broken_of.setdefault(gk, broken)
        out: list[Anomaly] = []
        for (new, involved), keys in groups.items():
            out.append(
                self._count_anomaly(
                    keys, new, broken_of[(new, involved)], sigs, df, ref_n, base, context
                )
            )
        out.extend(self._order_anomalies(usual, support, context))
        out.sort(key=lambda a: (-a.score, a.id))
        return out[: lim.max_session_anomalies]

    def _order_anomalies(
        self, usual: list[str], support: float, ctx: DetectContext
    ) -> list[Anomaly]:
        """Sessions with usual counts but an unusual order (see
        :class:`~logsum.core.detect.sequence.TransitionTable`), one anomaly per transition.
        With a baseline, the order is the baseline's."""
        lim = self._limits
        base = self._usable_baseline()
        share = lim.session_order_rare_share if base is None else lim.baseline_order_rare_share
        if share <= 0 or not usual:
            return []
        canon: dict[str, str] = {}
        if base is not None:
            table = TransitionTable.of_counts(dict(base.transitions), dict(base.contexts))
        else:
            table = TransitionTable(order=1)
            for s in self._sessions.values():
                seq, complete, begun = self._view(s, ctx, canon)
                table.add(seq, complete=complete, begun=begun)
        found: dict[Transition, tuple[list[str], int, int]] = {}
        for key in usual:  # recomputed rather than kept: no copy of every sequence at once
            seq, complete, begun = self._view(self._sessions[key], ctx, canon)
            hit = table.unusual(seq, support, share, complete=complete, begun=begun)
            if hit is not None:
                tr, have, n = hit
                found.setdefault(tr, ([], have, n))[0].append(key)
        return [
            self._order_anomaly(tr, keys, have, n, support, ctx)
            for tr, (keys, have, n) in found.items()
        ]

    def _order_anomaly(
        self,
        transition: Transition,
        keys: list[str],
        have: int,
        context_sessions: int,
        support: float,
        ctx: DetectContext,
    ) -> Anomaly:
        (before,), event = transition
        one = len(keys) == 1

        def name(token: str) -> str:
            return "'" + short(ctx.template(token), 80) + "'"

        if before == START:
            what = f"begin{'s' if one else ''} with {name(event)}"
            holders = "sessions"
        elif event == END:
            what = f"stop{'s' if one else ''} right after {name(before)}"
            holders = "sessions with that event"
        else:
            what = f"{'has' if one else 'have'} {name(event)} right after {name(before)}"
            holders = f"sessions with {name(before)}"
        pids = tuple(p for p in (before, event) if p not in (START, END))
        sev = min((ctx.severity(p) for p in pids), key=lambda s: s.rank, default=Severity.INFO)
        group = self._group(keys, support)
        return Anomaly(
            id=stable_id("an", AnomalyType.SESSION.value, "order", before, event),
            type=AnomalyType.SESSION,
            severity=sev if sev.at_least(Severity.WARNING) else Severity.WARNING,
            score=squash(math.log(support / max(have, 1))),
            message=f"{group.subject} {what}, which only {have} of the {context_sessions} "
            f"{holders} do (the others almost always keep one order there).",
            pattern_ids=pids,
            window=group.window,
            evidence={
                **group.head,
                "unusual_order": {
                    "after": display(before),
                    "next": display(event),
                    "sessions_with_it": have,
                    "sessions_with_context": context_sessions,
                },
                **group.tail,
            },
            lines=group.lines,
            line_count=group.line_count,
        )

    def _count_anomaly(
        self,
        keys: list[str],
        new: tuple[str, ...],
        broken: tuple[CountRule, ...],
        sigs: Mapping[str, Signature],
        df: Mapping[str, int],
        ref_n: int,
        base: SessionProfile | None,
        ctx: DetectContext,
    ) -> Anomaly:
        """One anomaly for sessions sharing what is unusual about their counts."""
        lim = self._limits
        one = len(keys) == 1
        sig = sigs[keys[0]]
        mine = dict(sig)
        floor = max(lim.session_min_support_count, lim.session_min_support * ref_n)
        if base is not None:
            normal_sig = base.usual_signature(mine, floor)
        else:
            normal_sig = _closest(Counter(sigs.values()), mine, floor)
        normal = dict(normal_sig)
        differs = sorted(set(normal) | set(mine), key=lambda p: (p not in mine, p))
        diff = {
            p: {"observed": mine.get(p, 0), "usual": normal.get(p, 0)}
            for p in differs
            if mine.get(p, 0) != normal.get(p, 0)
        }
        where = "the baseline's" if base is not None else "the"

        def name(p: str) -> str:
            return "'" + short(ctx.template(p), 60) + "'"

        if new:
            rarest = min(df.get(p, 0) for p in new)
            seen = f"{rarest} of {where} {ref_n} sessions"
            what = f"contain{'s' if one else ''} {name(new[0])}" + (
                f" (and {len(new) - 1} more pattern{'s' if len(new) > 2 else ''})"
                if len(new) > 1
                else ""
            )
            message = f"{what}, a pattern only {seen} have"
            strength = math.log((ref_n + 1) / (rarest + 1)) - math.log(100)
            pids = tuple(dict.fromkeys([*new, *diff]))
        else:
            top = broken[0]
            held = top.held
            message = (
                f"break{'s' if one else ''} the count rule {top.text(name)}, which "
                f"{held:.1%} of {where} {top.sessions} sessions having these patterns keep"
            )
            if len(broken) > 1:
                message += f" ({len(broken) - 1} more rule{'s' if len(broken) > 2 else ''} broken)"
            strength = math.log(top.sessions * held + 1) - math.log(top.sessions * (1 - held) + 1)
            strength -= math.log(20)
            pids = tuple(dict.fromkeys(p for r in broken for p in r.pattern_ids))
        sev = min(
            (ctx.severity(p) for p in (new or tuple(mine))),
            key=lambda s: s.rank,
            default=Severity.INFO,
        )
        group = self._group(keys, lim.session_min_support_count)
        counts_of = {p: mine.get(p, 0) for r in broken[:5] for p in r.pattern_ids}
        return Anomaly(
            id=stable_id("an", AnomalyType.SESSION.value, "counts", new, pids),
            type=AnomalyType.SESSION,
            severity=sev if sev.at_least(Severity.WARNING) else Severity.WARNING,
            score=squash(strength),
            message=f"{group.subject} {message}.",
            pattern_ids=pids or tuple(mine),
            window=group.window,
            evidence={
                **group.head,
                "new_patterns": [
                    {"pattern_id": p, "template": ctx.template(p), "sessions_with_it": df.get(p, 0)}
                    for p in new
                ],
                "broken_rules": [
                    {
                        "rule": r.text(lambda p: p),
                        "pattern_ids": list(r.pattern_ids),
                        "held_by": round(r.held, 4),
                        "sessions": r.sessions,
                        "observed": {p: counts_of.get(p, mine.get(p, 0)) for p in r.pattern_ids},
                    }
                    for r in broken[:5]
                ],
                "broken_rule_count": len(broken),
                "signature": dict(sig),
                "usual_signature": dict(normal_sig),
                "differences": diff,
                "baseline": base is not None,
                **group.tail,
            },
            lines=group.lines,
            line_count=group.line_count,
        )

    def _group(self, keys: list[str], support: float) -> _Group:
        """What every session anomaly says of the sessions it groups: every key (the contract
        lists them all), the window they span, sample lines."""
        lim = self._limits
        sessions = [self._sessions[k] for k in keys]
        firsts = [s.first_t for s in sessions if s.first_t is not None]
        lasts = [s.last_t for s in sessions if s.last_t is not None]
        return _Group(
            subject=f"Session {keys[0]}" if len(keys) == 1 else f"{len(keys)} sessions",
            window=TimeWindow(min(firsts), max(lasts)) if firsts and lasts else None,
            lines=tuple(
                sorted(ln for s in sessions for ln in s.lines)[: lim.max_lines_per_anomaly]
            ),
            line_count=sum(s.n for s in sessions),
            head={
                "session_key": self.key_pattern,
                "sessions": sorted(keys),
                "session_count": len(keys),
            },
            tail={
                "sequence": sessions[0].sequence[:32],
                "support_needed": round(support, 2),
            },
        )


def _value_rule(p: str, c: int, values: Mapping[str, Mapping[int, int]]) -> CountRule:
    """``count(p) = c`` seen as a broken rule: the counts of ``p`` the reference sessions
    have (``held`` is the share of those with the pattern that have another count)."""
    vs = values.get(p, {})
    total = sum(vs.values())
    return CountRule(((p, 1),), 1.0 - vs.get(c, 0) / max(total, 1), total, values=tuple(sorted(vs)))


def _closest(
    sig_count: Mapping[Signature, int], counts: Mapping[str, int], floor: float
) -> Signature:
    """The common signature of a batch (held by ``floor`` sessions or more) nearest to
    ``counts``."""
    common = dict(Counter(sig_count).most_common(64))
    return SessionProfile(0, {}, common, ()).usual_signature(counts, floor)
