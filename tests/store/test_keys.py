"""API keys: shown once, stored only as a hash, revocable; looked up in constant time."""

from __future__ import annotations

import hashlib
from datetime import UTC

import pytest
from sqlalchemy import create_engine, text

from logsum.store import ApiKeyRecord, Store, Tier
from logsum.store.keys import KEY_LENGTH, KEY_PREFIX, hashes_match


def test_created_key_has_prefix_and_256_random_bits(store: Store) -> None:
    record, plaintext = store.create_key("ci pipeline", Tier.PRO)
    assert plaintext.startswith(KEY_PREFIX)
    assert len(plaintext) == KEY_LENGTH == 47  # "lsk_" + 43 urlsafe base64 chars = 32 bytes
    assert set(plaintext[4:]) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    assert record.id.startswith("key_")
    assert record.name == "ci pipeline"
    assert record.tier is Tier.PRO
    assert record.prefix == plaintext[:12]
    assert record.created_at.tzinfo is UTC
    assert record.revoked_at is None and record.active
    other, other_plain = store.create_key("ci pipeline", "pro")
    assert other.id != record.id and other_plain != plaintext


def test_authenticate_returns_the_record_and_rejects_others(store: Store) -> None:
    record, plaintext = store.create_key("alice", "enterprise")
    assert store.authenticate(plaintext) == record
    assert store.authenticate(plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")) is None
    assert store.authenticate("") is None
    assert store.authenticate("lsk_short") is None
    assert store.authenticate(plaintext + "x") is None
    assert store.authenticate("x" * 1_000_000) is None
    assert store.authenticate(plaintext.upper()) is None


def test_only_the_hash_is_stored(store: Store) -> None:
    record, plaintext = store.create_key("bob", "free")
    engine = create_engine(store.url)  # the test server needs no password: nothing is masked
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT * FROM api_keys")).all()
    finally:
        engine.dispose()
    assert len(rows) == 1
    dumped = " ".join(str(v) for v in rows[0])
    assert plaintext not in dumped
    assert plaintext[12:] not in dumped  # nothing beyond the display prefix
    assert hashlib.sha256(plaintext.encode()).hexdigest() in dumped
    assert record.prefix in dumped


def test_revoke_stops_authentication_and_is_idempotent(store: Store) -> None:
    record, plaintext = store.create_key("carol", "free")
    keep, keep_plain = store.create_key("dave", "free")
    assert store.revoke_key(record.id) is True
    assert store.authenticate(plaintext) is None
    assert store.authenticate(keep_plain) == keep
    first = {k.id: k for k in store.list_keys()}[record.id].revoked_at
    assert first is not None and first.tzinfo is UTC
    assert store.revoke_key(record.id) is True  # again: still revoked, same time
    assert {k.id: k for k in store.list_keys()}[record.id].revoked_at == first
    assert store.revoke_key("key_does_not_exist") is False


def test_list_keys_oldest_first_including_revoked(store: Store) -> None:
    assert store.list_keys() == []
    assert store.has_keys() is False
    made = [store.create_key(f"k{i}", "free")[0] for i in range(3)]
    store.revoke_key(made[1].id)
    listed = store.list_keys()
    assert [k.id for k in listed] == [k.id for k in made]
    assert [k.active for k in listed] == [True, False, True]
    assert all(isinstance(k, ApiKeyRecord) for k in listed)
    assert store.has_keys() is True


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "bad\nname"])
def test_bad_key_names_are_refused(store: Store, name: str) -> None:
    with pytest.raises(ValueError, match="key name"):
        store.create_key(name, "free")
    assert store.list_keys() == []


def test_unknown_tier_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="free, pro, enterprise"):
        store.create_key("x", "gold")


def test_hash_comparison_helper() -> None:
    digest = hashlib.sha256(b"lsk_abc").hexdigest()
    assert hashes_match(digest, "lsk_abc")
    assert not hashes_match(digest, "lsk_abd")
