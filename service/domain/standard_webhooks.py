"""Standard Webhooks signing (https://www.standardwebhooks.com/): the headers a receiver
verifies. Pure: the caller passes the id, the time and the secrets.

The signed content is ``{id}.{timestamp}.{body}``; the signature is HMAC-SHA256 with the
secret's key (the base64 after ``whsec_``), sent as ``v1,<base64>``. While a secret is
rotated, an endpoint has several secrets and every one signs: the header carries one
``v1,`` signature per secret, space-separated, so a receiver holding either verifies.
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable
from typing import Final

SECRET_PREFIX: Final = "whsec_"
MIN_KEY_BYTES: Final = 24  # the spec recommends 24-64 random bytes


class InvalidSecret(ValueError):
    """A secret that is not ``whsec_`` followed by base64 of at least MIN_KEY_BYTES bytes."""


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret. Raises InvalidSecret (without echoing the secret)."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecret("a secret must start with whsec_")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSecret("a secret must be whsec_ followed by base64") from None
    if len(key) < MIN_KEY_BYTES:
        raise InvalidSecret(f"a secret's key must be at least {MIN_KEY_BYTES} bytes")
    return key


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of id.timestamp.body>``."""
    content = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def headers(message_id: str, timestamp: int, body: bytes, secrets: Iterable[str]) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``, one signature per secret.
    Raises InvalidSecret for a malformed secret (config validation refuses those first)."""
    signatures = " ".join(signature(secret_key(s), message_id, timestamp, body) for s in secrets)
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": signatures}
