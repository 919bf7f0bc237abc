"""``logsum.core.text``: the digit-blind keys the engine's caches use."""

from __future__ import annotations

import random

from logsum.core.text import zero_digits

_TABLE = str.maketrans("123456789", "000000000")


def test_zero_digits_is_str_translate_on_any_text() -> None:
    # ASCII digits only (Arabic-Indic and full-width digits stay), any other character kept,
    # lone surrogates and a surrogate pair written as two code points included.
    rng = random.Random(3)
    alphabet = [chr(c) for c in range(128)] + list(
        "é٠١१１\ud800\udc00\udbff\udfff😀\U0010ffff\ufffd"
    )
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 16)))
        assert zero_digits(text) == text.translate(_TABLE), repr(text)
    assert zero_digits("req 42 at 10:07:59.123 (٤٢)") == "req 00 at 00:00:00.000 (٤٢)"
    assert zero_digits("\ud83d\ude00 9") == "\ud83d\ude00 0"
