"""The only module that imports ``stripe``: outbound API calls and webhook verification.

Guarantees: every POST carries a fixed idempotency key chosen by the caller, so a retry
never creates a second object; every call has a short HTTP timeout and bounded retries
(tenacity; stripe-python's own retries are off, so they never stack); every call logs
one JSON line (method, path, status, duration, Stripe request id, idempotency key,
order id) and never the response body, so no ``client_secret`` reaches the log.
Results are plain dicts. Raises PaymentProviderUnavailable (503) for transient
failures after the budget, PaymentProviderError (502) for permanent refusals.
"""
import json
import logging
import time

import stripe
from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay
from tenacity import wait_exponential, wait_none

from . import metrics
from .errors import PaymentProviderError, PaymentProviderUnavailable, WebhookRejected
from .logs import log

logger = logging.getLogger("service.stripe")


def _is_transient(exc):
    if not isinstance(exc, stripe.StripeError):
        return False
    advice = (exc.headers or {}).get("stripe-should-retry")
    if advice in ("true", "false"):
        return advice == "true"
    if isinstance(exc, stripe.APIConnectionError):
        return bool(getattr(exc, "should_retry", True))
    return isinstance(exc, stripe.RateLimitError) or (exc.http_status or 0) >= 500 or exc.http_status == 409


def _outcome(exc):
    if isinstance(exc, stripe.APIConnectionError) or exc.http_status is None:
        return "connection_error"
    if isinstance(exc, stripe.RateLimitError) or exc.http_status == 429:
        return "rate_limited"
    return "server_error" if exc.http_status >= 500 else "client_error"


class StripeGateway:
    """Talks to the Stripe API (or a local stand-in at ``settings.stripe_api_base``)."""

    def __init__(self, settings):
        options = {"max_network_retries": 0,
                   "http_client": stripe.RequestsClient(timeout=settings.stripe_timeout_seconds)}
        if settings.stripe_api_base:
            options["base_addresses"] = {"api": settings.stripe_api_base}
        self._client = stripe.StripeClient(settings.stripe_secret_key, **options)
        self._secrets = settings.webhook_secrets
        self._tolerance = settings.webhook_tolerance_seconds
        wait = (wait_exponential(multiplier=settings.retry_backoff_seconds, max=4)
                if settings.retry_backoff_seconds else wait_none())
        self._retrying = Retrying(
            stop=stop_after_attempt(settings.stripe_retry_attempts)
            | stop_after_delay(settings.stripe_retry_max_seconds),
            wait=wait, retry=retry_if_exception(_is_transient), reraise=True)

    # -- outbound --------------------------------------------------------------
    def create_payment_intent(self, *, order_id, amount, currency, idempotency_key):
        """Create (or, within Stripe's 24 h key window, replay) the order's PaymentIntent."""
        params = {"amount": amount, "currency": currency, "metadata": {"order_id": order_id},
                  "automatic_payment_methods": {"enabled": True}}
        return self._call("POST", "/v1/payment_intents", order_id, idempotency_key,
                          lambda opts: self._client.v1.payment_intents.create(params=params, options=opts))

    def create_refund(self, payment_intent_id, amount, idempotency_key, order_id):
        """Refund ``amount`` (None: all that is left) of the PaymentIntent's charge; returns the
        Refund. The caller's fixed key makes a retried refund a replay, never a second refund;
        it is also stored as ``metadata.refund_key`` so it can be found after Stripe forgets it."""
        params = {"payment_intent": payment_intent_id,
                  "metadata": {"order_id": order_id, "refund_key": idempotency_key}}
        if amount is not None:
            params["amount"] = amount
        return self._call("POST", "/v1/refunds", order_id, idempotency_key,
                          lambda opts: self._client.v1.refunds.create(params=params, options=opts))

    def list_refunds_page(self, payment_intent_id, starting_after=None, *, order_id=None):
        """One page (up to 100, newest first) of the PaymentIntent's refunds (a read; safe to retry)."""
        params = {"payment_intent": payment_intent_id, "limit": 100}
        if starting_after:
            params["starting_after"] = starting_after
        return self._call("GET", "/v1/refunds", order_id, None,
                          lambda opts: self._client.v1.refunds.list(params=params, options=opts))

    def retrieve_payment_intent(self, payment_intent_id, *, order_id=None):
        """Fetch a PaymentIntent by id (a read; safe to retry)."""
        return self._call("GET", f"/v1/payment_intents/{payment_intent_id}", order_id, None,
                          lambda opts: self._client.v1.payment_intents.retrieve(payment_intent_id, options=opts))

    def cancel_payment_intent(self, payment_intent_id, *, order_id, idempotency_key):
        """Cancel a PaymentIntent (abandoned checkout). Raises PaymentProviderError when Stripe
        refuses, e.g. ``payment_intent_unexpected_state`` for one that already succeeded."""
        params = {"cancellation_reason": "abandoned"}
        return self._call("POST", f"/v1/payment_intents/{payment_intent_id}/cancel", order_id, idempotency_key,
                          lambda opts: self._client.v1.payment_intents.cancel(
                              payment_intent_id, params=params, options=opts))

    def search_payment_intents(self, order_id):
        """PaymentIntents whose ``metadata.order_id`` is ``order_id`` (Stripe search is
        eventually consistent: a PI younger than about a minute may be missing)."""
        query = f"metadata['order_id']:'{order_id}'"
        page = self._call("GET", "/v1/payment_intents/search", order_id, None,
                          lambda opts: self._client.v1.payment_intents.search(
                              params={"query": query, "limit": 10}, options=opts))
        return page["data"]

    def list_payment_intents_page(self, *, created_gte, created_lt, starting_after=None):
        """One page (up to 100, newest first) of PaymentIntents created in [gte, lt)."""
        params = {"created": {"gte": created_gte, "lt": created_lt}, "limit": 100}
        if starting_after:
            params["starting_after"] = starting_after
        return self._call("GET", "/v1/payment_intents", None, None,
                          lambda opts: self._client.v1.payment_intents.list(params=params, options=opts))

    def list_events_page(self, *, types, created_gte, starting_after=None):
        """One page (up to 100, newest first) of events of ``types`` created at or after ``created_gte``."""
        params = {"types": list(types), "created": {"gte": created_gte}, "limit": 100}
        if starting_after:
            params["starting_after"] = starting_after
        return self._call("GET", "/v1/events", None, None,
                          lambda opts: self._client.v1.events.list(params=params, options=opts))

    def _call(self, method, path, order_id, idempotency_key, request):
        opts = {"idempotency_key": idempotency_key} if idempotency_key else {}
        attempt = 0

        def once():
            nonlocal attempt
            attempt += 1
            started = time.monotonic()
            fields = {"method": method, "path": path, "order_id": order_id,
                      "idempotency_key": idempotency_key, "attempt": attempt}
            try:
                result = request(opts)
            except stripe.StripeError as exc:
                metrics.record_stripe_call(method, path, _outcome(exc), time.monotonic() - started)
                log(logger, logging.WARNING, "stripe call failed", **fields, status=exc.http_status,
                    error=type(exc).__name__, stripe_code=exc.code, request_id=exc.request_id,
                    duration_ms=round((time.monotonic() - started) * 1000, 1))
                raise
            metrics.record_stripe_call(method, path, "ok", time.monotonic() - started)
            response = result.last_response
            log(logger, logging.INFO, "stripe call", **fields, status=response.code,
                request_id=response.request_id,
                replayed=response.headers.get("idempotent-replayed") == "true" or None,
                duration_ms=round((time.monotonic() - started) * 1000, 1))
            return result.to_dict()

        try:
            return self._retrying(once)
        except stripe.StripeError as exc:
            if _is_transient(exc):
                raise PaymentProviderUnavailable("payment provider unavailable, try again") from exc
            raise PaymentProviderError(f"payment provider refused the request: {exc.user_message}",
                                       details={"stripe_code": exc.code}) from exc

    # -- inbound ---------------------------------------------------------------
    def verify_webhook(self, payload, signature_header):
        """Return the event dict if ``payload`` is signed by any configured secret within the
        tolerance. Raises WebhookRejected (400) for a missing/bad/stale signature or bad JSON."""
        if not signature_header:
            raise WebhookRejected("missing Stripe-Signature header", code="missing_signature")
        try:
            text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
        except UnicodeDecodeError:
            raise WebhookRejected("webhook body is not UTF-8", code="malformed_event") from None
        stale = False
        for secret in self._secrets:
            try:
                stripe.WebhookSignature.verify_header(text, signature_header, secret, self._tolerance)
                break
            except stripe.SignatureVerificationError as exc:
                # the signature matched this secret but the timestamp is too old
                stale = stale or "tolerance" in str(exc).lower()
        else:
            code = "stale_signature" if stale else "invalid_signature"
            raise WebhookRejected("webhook signature verification failed", code=code)
        try:
            return json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            raise WebhookRejected("webhook body is not valid JSON", code="malformed_event") from None
