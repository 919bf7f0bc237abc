"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

A delivery carries three headers:

- ``webhook-id``: the message id, the same on every retry of one delivery (receivers drop
  duplicates by it);
- ``webhook-timestamp``: integer seconds since the epoch at the time of this attempt;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, the key being
  the base64-decoded part of the secret after ``whsec_``. Several space-separated signatures are
  allowed (key rotation); :func:`verify` accepts any one that matches.

The signature itself is computed by the Standard Webhooks reference library
(``standardwebhooks``), so any receiver using it (or another implementation of the
specification) verifies our deliveries. :func:`verify` is for our own tests and for receivers
in Python that want to pass their clock and tolerance (the library's verifier reads the system
clock and allows five minutes).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
"""Random bytes in a generated secret (256 bits, the HMAC-SHA256 block-safe key size)."""
DEFAULT_TOLERANCE_S = 300
"""How far a timestamp may be from the receiver's clock, in seconds (replay window)."""


class SignatureError(ValueError):
    """A webhook failed verification (bad secret, bad header, wrong signature, stale time)."""


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    """The three Standard Webhooks headers of one delivery attempt."""

    webhook_id: str
    timestamp: int
    signature: str

    def as_dict(self) -> dict[str, str]:
        """The headers as sent on the wire."""
        return {
            "webhook-id": self.webhook_id,
            "webhook-timestamp": str(self.timestamp),
            "webhook-signature": self.signature,
        }


def generate_secret() -> str:
    """A new random signing secret, ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _key(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("the secret is not whsec_<base64>") from exc
    if not key:
        raise SignatureError("the secret is empty")
    return key


def _signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of one attempt, by the reference library. ``body`` is
    UTF-8 (every delivery body is JSON); the library signs its UTF-8 bytes, so ``body`` as is."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SignatureError("the body to sign is not UTF-8") from exc
    when = datetime.fromtimestamp(timestamp, UTC)
    return str(Webhook(_key(secret)).sign(webhook_id, when, text))


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> SignedHeaders:
    """Sign ``body`` for one attempt at ``timestamp`` (epoch seconds)."""
    return SignedHeaders(webhook_id, timestamp, _signature(secret, webhook_id, timestamp, body))


def verify(
    secret: str,
    headers: dict[str, str],
    body: bytes,
    *,
    now: float,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> str:
    """Check a received webhook; return its ``webhook-id`` or raise :class:`SignatureError`.

    ``headers`` keys are matched case-insensitively. ``now`` is the receiver's clock (epoch
    seconds), passed in so that callers and tests control it.
    """
    low = {k.lower(): v for k, v in headers.items()}
    try:
        webhook_id = low["webhook-id"]
        ts_text = low["webhook-timestamp"]
        sig_header = low["webhook-signature"]
    except KeyError as exc:
        raise SignatureError(f"missing header {exc.args[0]}") from exc
    try:
        timestamp = int(ts_text)
    except ValueError as exc:
        raise SignatureError("webhook-timestamp is not an integer") from exc
    if abs(now - timestamp) > tolerance_s:
        raise SignatureError("webhook-timestamp is outside the tolerance window")
    expected = _signature(secret, webhook_id, timestamp, body)
    for candidate in sig_header.split():
        if hmac.compare_digest(candidate.encode(), expected.encode()):
            return webhook_id
    raise SignatureError("no matching v1 signature")
