"""The only package that imports ``stripe`` (an import-linter contract enforces it).

``StripeGateway`` makes every outbound call (fixed idempotency keys, short timeouts,
bounded retries, one log line per attempt) and verifies inbound webhook signatures.
Results are plain dicts; failures are PaymentProviderUnavailable (503, transient) or
PaymentProviderError (502, Stripe refused), and WebhookRejected (400) for a bad delivery.
"""

from .client import StripeGateway

__all__ = ["StripeGateway"]
