"""API key material: generation, hashing and checking. Pure functions, no database.

A plaintext key is ``"lsk_"`` followed by 43 characters of URL-safe base64 (32 random bytes,
256 bits). The store keeps only the SHA-256 of the whole key: a fast hash is enough because the
key itself has 256 bits of entropy, so there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = [
    "KEY_BYTES",
    "KEY_LENGTH",
    "KEY_PREFIX",
    "PREFIX_CHARS",
    "generate_key",
    "hash_key",
    "hashes_match",
    "key_display_prefix",
    "looks_like_key",
    "new_key_id",
]

KEY_PREFIX = "lsk_"
"""Every LogSum key starts with this, so secret scanners and people recognise one."""
KEY_BYTES = 32
"""Random bytes in a key (256 bits)."""
KEY_LENGTH = len(KEY_PREFIX) + 43
"""Characters in a plaintext key: the prefix and 43 base64 characters of 32 bytes."""
PREFIX_CHARS = 12
"""Characters of the plaintext kept for display (``lsk_`` and 8 random characters)."""
_KEY_ID_BYTES = 8


def generate_key() -> str:
    """A new random plaintext key."""
    return KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)


def new_key_id() -> str:
    """A new key identifier (``key_`` and 16 hex characters); not secret."""
    return "key_" + secrets.token_hex(_KEY_ID_BYTES)


def hash_key(plaintext: str) -> str:
    """The lowercase hex SHA-256 of a plaintext key: what the store keeps."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def hashes_match(stored_hash: str, plaintext: str) -> bool:
    """Constant-time check that ``plaintext`` hashes to ``stored_hash``."""
    return hmac.compare_digest(stored_hash.encode("ascii"), hash_key(plaintext).encode("ascii"))


def key_display_prefix(plaintext: str) -> str:
    """The part of a key shown in listings (never enough to use it)."""
    return plaintext[:PREFIX_CHARS]


def looks_like_key(candidate: str) -> bool:
    """True when ``candidate`` has the shape of a LogSum key (prefix and length).

    Lets the store turn away garbage (and very long strings) without hashing or a query.
    """
    return len(candidate) == KEY_LENGTH and candidate.startswith(KEY_PREFIX)
