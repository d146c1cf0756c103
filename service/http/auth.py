"""Bearer-token checks for the operator endpoints (/admin/, /metrics).

Tokens are compared with ``hmac.compare_digest`` over their SHA-256 digests: the time taken
depends neither on how many leading characters match (so a token cannot be guessed byte by
byte from response times) nor on the token's length. The presented token is never logged
(observability/logs.redact masks any ``authorization``/``token`` field as well).
"""

import hashlib
import hmac

from ..errors import Unauthorized


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def token_matches(given: str | None, expected: str) -> bool:
    """True iff ``given`` equals ``expected``, compared in constant time. An empty
    ``expected`` matches nothing."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(_digest(given), _digest(expected))


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def require_bearer(header: str | None, expected: str, realm: str) -> None:
    """Raise Unauthorized unless ``header`` carries the ``expected`` bearer token."""
    if not token_matches(bearer_token(header), expected):
        raise Unauthorized(f"a valid bearer token is required for the {realm}")
