"""Inbound webhook verification: the raw body, signed by any configured endpoint secret
within the tolerance, parsed as JSON only after the signature holds."""

import json
from collections.abc import Sequence
from typing import Any

import stripe

from ..errors import WebhookRejected


def verify_webhook(
    payload: bytes | str,
    signature_header: str | None,
    secrets: Sequence[str],
    tolerance: int,
) -> Any:
    """Return the parsed event if ``payload`` is signed by any of ``secrets`` within
    ``tolerance`` seconds. Raises WebhookRejected (400) for a missing/bad/stale signature,
    a body that is not UTF-8, or bad JSON."""
    if not signature_header:
        raise WebhookRejected("missing Stripe-Signature header", code="missing_signature")
    try:
        text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    except UnicodeDecodeError:
        raise WebhookRejected("webhook body is not UTF-8", code="malformed_event") from None
    stale = False
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(text, signature_header, secret, tolerance)
            break
        except stripe.SignatureVerificationError as exc:
            # the signature matched this secret but the timestamp is too old
            stale = stale or "tolerance" in str(exc).lower()
    else:
        code = "stale_signature" if stale else "invalid_signature"
        raise WebhookRejected("webhook signature verification failed", code=code)
    try:
        return json.loads(text)
    except (
        ValueError,
        RecursionError,
    ):  # RecursionError: nested deeper than the parser goes
        raise WebhookRejected("webhook body is not valid JSON", code="malformed_event") from None
