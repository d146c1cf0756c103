"""Inbound webhook verification: the raw body, signed by any configured endpoint secret
within the tolerance, parsed as JSON only after the signature holds.

Any ``Stripe-Signature`` header that is not one Stripe could have sent (not visible ASCII,
longer than ``MAX_HEADER_LENGTH``, or anything stripe-python's parser or compare chokes on)
is an ``invalid_signature``: a 400 counted as a signature failure, never a 500."""

import re
from collections.abc import Sequence
from typing import Any

import stripe

from .. import serial
from ..errors import WebhookRejected

# Stripe sends "t=<unix>,v1=<64 hex>[,v1=...][,v0=...]": a few hundred visible ASCII characters.
MAX_HEADER_LENGTH = 2048
_HEADER = re.compile(rf"[\x21-\x7e]{{1,{MAX_HEADER_LENGTH}}}")


def verify_webhook(
    payload: bytes | str,
    signature_header: str | None,
    secrets: Sequence[str],
    tolerance: int,
) -> Any:
    """Return the parsed event if ``payload`` is signed by any of ``secrets`` within
    ``tolerance`` seconds. Raises WebhookRejected (400) for a missing, malformed, wrong or
    stale signature, a body that is not UTF-8, or bad JSON; never anything else."""
    if not signature_header:
        raise WebhookRejected("missing Stripe-Signature header", code="missing_signature")
    if not _HEADER.fullmatch(signature_header):
        raise WebhookRejected("webhook signature verification failed", code="invalid_signature")
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
        except (TypeError, ValueError, OverflowError):  # a header the library's parser or compare cannot take
            continue
    else:
        code = "stale_signature" if stale else "invalid_signature"
        raise WebhookRejected("webhook signature verification failed", code=code)
    try:
        return serial.loads(payload)  # orjson: parses the UTF-8 bytes checked above, no copy
    except (ValueError, RecursionError):  # too deep, NaN, >64-bit integers, lone surrogates: not Stripe's
        raise WebhookRejected("webhook body is not valid JSON", code="malformed_event") from None
