"""Standard Webhooks signing and verification."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from logsum.watch.signing import SignatureError, generate_secret, sign, verify


def test_signature_matches_the_specification_by_hand() -> None:
    key = b"0123456789abcdef0123456789abcdef"
    secret = "whsec_" + base64.b64encode(key).decode()
    body = b'{"hello":"world"}'
    headers = sign(secret, "msg_1", 1_700_000_000, body)
    expected = base64.b64encode(
        hmac.new(key, b"msg_1.1700000000." + body, hashlib.sha256).digest()
    ).decode()
    assert headers.as_dict() == {
        "webhook-id": "msg_1",
        "webhook-timestamp": "1700000000",
        "webhook-signature": f"v1,{expected}",
    }


def test_verify_accepts_a_valid_delivery_and_returns_its_id() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 32
    h = sign(secret, "msg_x", 1000, b"body").as_dict()
    upper = {k.upper(): v for k, v in h.items()}
    assert verify(secret, upper, b"body", now=1010) == "msg_x"
    # another signature first (key rotation): any matching one is enough
    h["webhook-signature"] = "v1,AAAA " + h["webhook-signature"]
    assert verify(secret, h, b"body", now=1010) == "msg_x"


@pytest.mark.parametrize(
    "change",
    ["body", "secret", "timestamp", "stale", "missing", "version"],
)
def test_verify_refuses_tampering(change: str) -> None:
    secret = generate_secret()
    h = sign(secret, "msg_x", 1000, b"body").as_dict()
    body, now = b"body", 1000.0
    if change == "body":
        body = b"bodY"
    elif change == "secret":
        secret = generate_secret()
    elif change == "timestamp":
        h["webhook-timestamp"] = "1001"
    elif change == "stale":
        now = 1000 + 301
    elif change == "missing":
        del h["webhook-signature"]
    elif change == "version":
        h["webhook-signature"] = h["webhook-signature"].replace("v1,", "v2,")
    with pytest.raises(SignatureError):
        verify(secret, h, body, now=now)


def test_bad_secret_is_a_clear_error() -> None:
    with pytest.raises(SignatureError):
        sign("whsec_not base64!", "m", 1, b"")
