"""Every limit and tunable of the engine, in one place, each with the reason for its default."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from logsum.core.timestamps import DEFAULT_ZONE, zone_named


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Settings of one :class:`~logsum.core.engine.Engine`. The defaults suit logs in general;
    nothing here is tuned to one system."""

    max_patterns: int = 50_000
    """Patterns kept before the least recently seen one is evicted. Bounds memory on streams
    whose masking misses a variable and would otherwise create a pattern per line."""

    max_pattern_bytes: int = 256 * 1024 * 1024
    """Estimated bytes the patterns may hold (their tokens, templates and index entries)
    besides their number: the least recently seen are evicted past it too. Ordinary patterns
    cost one or two kilobytes, so ``max_patterns`` binds first; patterns of long random lines
    (hundreds of tokens each) would otherwise reach gigabytes before it."""

    max_line_chars: int = 64 * 1024
    """Longer lines are cut to this many characters before parsing (the cut is recorded as a
    trailing ``<*>``). A 10 MB line costs no more than a 64 KiB one."""

    max_tokens: int = 256
    """Messages with more tokens keep the first ``max_tokens - 1`` and fold the rest into one
    trailing variable: very long token lists are payloads (dumps, JSON), not templates."""

    similarity: float = 0.5
    """Share of constant tokens a line must share with a pattern of the same shape to join it.
    Below it, the line starts a new pattern."""

    min_word_values: int = 4
    """Different words seen at one place of a template before that place becomes a variable.
    With fewer, lines stay separate patterns: ``Failed password`` and ``Accepted password``
    are two events, and so are the states of a small state machine (``LOOKING``,
    ``FOLLOWING``, ``LEADING``); a user name that takes four or more values is a variable.
    Places whose values are variables by shape (numbers, addresses...) generalise at once."""

    min_slot_values: int = 2
    """The same, for a place where values sit: behind ``=`` (``user=root``, ``user=bob``) or
    right after a word already seen in front of word values (``user`` once ``user=<*>`` or
    ``for user <*>`` exists). Such a place is a variable as soon as two values differ."""

    max_param_examples: int = 5
    """Distinct example values kept per wildcard position of a pattern."""

    max_example_chars: int = 256
    """Characters of an example value kept (a longer one is cut and ends with ``…``): a value
    is shown to a person, and a pattern's examples would otherwise hold whole payloads (the
    folded tail of a very long line), kilobytes per pattern."""

    max_record_lines: int = 1_000
    """Continuation lines folded into one multi-line record before a new record is started."""

    match_cache_size: int = 50_000
    """Entries in each fast-path cache: line shapes (a line equal to a known one up to its
    digits), and masked message to pattern. An entry costs about a kilobyte; a full cache is
    emptied and refilled. Nothing is cached while nearly every line is a new pattern."""

    match_cache_bytes: int = 32 * 1024 * 1024
    """Estimated bytes each fast-path cache may hold besides its entry count: a line's shape
    costs about its length twice plus its numbers' positions, a masked message its length.
    Long lines full of numbers (hex dumps) cost megabytes each: without this bound a stream of
    them kept every one (gigabytes after a few thousand 64 KiB lines)."""

    shape_cache: bool = True
    """Replay the parts of a line from a known line of the same shape (equal up to its digits)
    instead of parsing it. Changes no result, only speed: off, every line takes the full path
    (for checking that the two agree, or for profiling the full path)."""

    today: date | None = None
    """The caller's date. With it, a year-less timestamp that would fall more than a day in the
    future gets the year before (syslog lines of December read in January)."""

    default_year: int = 1970
    """Year given to timestamps that carry none (syslog ``Jun 14 15:16:01``). The core reads
    no clock: adapters pass the current year."""

    timezone: str = DEFAULT_ZONE
    """IANA name of the zone (``Europe/Berlin``) in which timestamps that name no offset are
    read; their values are returned in UTC. A timestamp with an offset (``Z``, ``+01:00``,
    ``CET``) keeps it. Default UTC. A local time that a daylight saving change skips or
    repeats is read with the offset in force before the change."""

    def __post_init__(self) -> None:
        if self.max_patterns < 1:
            raise ValueError("max_patterns must be at least 1")
        if self.max_pattern_bytes < 1024:
            raise ValueError("max_pattern_bytes must be at least 1024")
        if self.max_line_chars < 16:
            raise ValueError("max_line_chars must be at least 16")
        if self.max_tokens < 2:
            raise ValueError("max_tokens must be at least 2")
        if not 0.0 < self.similarity <= 1.0:
            raise ValueError("similarity must be in (0, 1]")
        if self.min_word_values < 2:
            raise ValueError("min_word_values must be at least 2")
        if not 2 <= self.min_slot_values <= self.min_word_values:
            raise ValueError("min_slot_values must be in [2, min_word_values]")
        if self.max_param_examples < 0:
            raise ValueError("max_param_examples must be >= 0")
        if self.max_example_chars < 16:
            raise ValueError("max_example_chars must be at least 16")
        if self.max_record_lines < 1:
            raise ValueError("max_record_lines must be at least 1")
        if self.match_cache_size < 0:
            raise ValueError("match_cache_size must be >= 0")
        if self.match_cache_bytes < 0:
            raise ValueError("match_cache_bytes must be >= 0")
        zone_named(self.timezone)  # InvalidOption (a ValueError) for an unknown name
