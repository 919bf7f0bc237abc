"""Text helpers the engine's parts share (pure functions)."""

from __future__ import annotations

_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")


def zero_digits(text: str) -> str:
    """``text`` with every ASCII digit written as ``0``: what ``str.translate`` with the table
    ``"123456789" -> "000000000"`` gives, in a fraction of its time on anything longer than a
    short word (a bytes translation runs as one table lookup per byte in C; ``str.translate``
    looks each character up in a dict). The bytes of an ASCII digit are never part of another
    character in UTF-8, and ``surrogatepass`` carries any lone surrogate there and back."""
    return (
        text.encode("utf-8", "surrogatepass")
        .translate(_DIGITS_TO_ZERO)
        .decode("utf-8", "surrogatepass")
    )
