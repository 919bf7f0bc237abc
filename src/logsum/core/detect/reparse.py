"""Regular expressions read with Python's own parser of ``re`` syntax: how big one gets once its
counted repeats are unrolled (:func:`unrolled_size`, for caller session keys), and its parse
tree for :mod:`logsum.core.detect.caseless` (:func:`tree`, :data:`opcodes`).

That parser is private (``re._parser``; the public ``sre_parse`` is a deprecated alias of it),
and no public API gives a pattern's parse tree. Reading the syntax another way would mean a
second parser of ``re`` syntax to keep in step with the one that decides what the pattern
means, so the private one is used, here alone: this module is the only importer of ``re``'s
internals, and ``tests/core/detect/test_reparse.py`` pins it to the Python versions it was
checked on (:data:`VERIFIED_PYTHONS`) and to the sizes of known patterns.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from re import _constants as re_constants  # type: ignore[attr-defined]
from re import _parser as re_parser  # type: ignore[attr-defined]
from typing import Any

VERIFIED_PYTHONS = ((3, 11),)
"""``(major, minor)`` versions whose ``re._parser`` this module was checked against: its
``parse`` returns a ``SubPattern`` whose ``data`` is a list of ``(opcode, argument)`` items,
repeats as ``(min, max, SubPattern)`` with ``MAXREPEAT`` for no maximum."""

opcodes = re_constants
"""The opcodes of :func:`tree` items (``LITERAL``, ``SUBPATTERN``, ``BRANCH``...)."""

_REPEAT_OPS = frozenset(
    {re_constants.MAX_REPEAT, re_constants.MIN_REPEAT, re_constants.POSSESSIVE_REPEAT}
)


@dataclass(frozen=True, slots=True)
class ParsedPattern:
    """A pattern as ``re`` parses it (opaque outside this module)."""

    _items: Any


def parse(pattern: str) -> ParsedPattern:
    """``pattern`` parsed as ``re`` reads it. Raises what ``re`` raises for a bad pattern
    (``re.error``; also ``RecursionError`` or ``OverflowError`` for extreme ones)."""
    return ParsedPattern(re_parser.parse(pattern).data)


def tree(pattern: str) -> list[tuple[Any, Any]]:
    """``pattern``'s parse tree: its items, ``(opcode, argument)`` pairs, sub-patterns inside
    the arguments. Raises as :func:`parse` does."""
    return list(re_parser.parse(pattern).data)


def unrolled_size(parsed: ParsedPattern) -> int:
    """The parsed items of a pattern once counted repeats are unrolled: each item counts 1, a
    repeat its contents times its count (an unbounded repeat its minimum). Every node holding
    sub-patterns is looked into, whatever its kind (groups, branches, conditionals...)."""
    return _unrolled_size(parsed._items)


def _unrolled_size(items: Any) -> int:
    size = 0
    for op, av in items:
        if op in _REPEAT_OPS:
            low, high, sub = av
            count = max(low, 1) if high == re_constants.MAXREPEAT else max(high, 1)
            size += 1 + count * max(_unrolled_size(sub), 1)
        else:
            size += 1 + sum(_unrolled_size(sub) for sub in _subpatterns(av))
    return size


def _subpatterns(av: Any) -> Iterator[Any]:
    """The parsed sub-patterns inside a node's argument, at any depth of tuples and lists."""
    if isinstance(av, re_parser.SubPattern):
        yield av.data
    elif isinstance(av, tuple | list):
        for x in av:
            yield from _subpatterns(x)
