"""The one user of ``re``'s private parser (:mod:`logsum.core.detect.reparse`), pinned to the
Python versions it was checked on and to the sizes of known patterns."""

from __future__ import annotations

import re
import sys

import pytest

from logsum.core.detect.reparse import VERIFIED_PYTHONS, parse, unrolled_size


def test_python_is_a_verified_one() -> None:
    """On a new Python this fails first: check ``re._parser``'s tree (see the module), then
    add the version."""
    assert sys.version_info[:2] in VERIFIED_PYTHONS, (
        f"Python {sys.version_info[0]}.{sys.version_info[1]}: logsum.core.detect.reparse reads "
        f"re._parser, checked on {VERIFIED_PYTHONS} only"
    )


@pytest.mark.parametrize(
    ("pattern", "size"),
    [
        ("abc", 3),
        ("a{3}", 4),  # the repeat, and its item three times
        ("a+", 2),  # unbounded: its minimum
        ("a{2,}", 3),
        ("x{0}", 2),  # a repeat counts its contents at least once
        ("a*+", 2),  # possessive
        ("(?>a){5}", 11),  # atomic group
        ("(?:ab)*?", 3),  # lazy
        ("(a|bc){10}", 51),  # group, branch
        ("(a)(?(1)b|c){4}", 15),  # conditional
        ("(){9999}", 10_000),
        ("((a{1000}){1000}){10}", 10_020_021),
    ],
)
def test_unrolled_sizes(pattern: str, size: int) -> None:
    assert unrolled_size(parse(pattern)) == size


def test_a_bad_pattern_raises_what_re_raises() -> None:
    with pytest.raises(re.error):
        parse("(unclosed")
