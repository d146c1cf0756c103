"""Outbound Stripe API calls: every POST carries a fixed idempotency key chosen by the
caller, so a retry never creates a second object; every call has a short HTTP timeout and
bounded retries (transport.py); results are plain dicts.
"""

from typing import TYPE_CHECKING, Any

import requests
import stripe

from ..config import Settings
from ..domain.journal import CallJournal
from .balance import BalanceCalls
from .signature import verify_webhook
from .transport import Transport

if TYPE_CHECKING:  # Stripe's parameter TypedDicts (generated from its OpenAPI spec) check our calls in mypy
    from stripe.params import (
        EventListParams,
        PaymentIntentCancelParams,
        PaymentIntentCreateParams,
        PaymentIntentListParams,
        PaymentIntentSearchParams,
        RefundCreateParams,
        RefundListParams,
    )

Doc = dict[str, Any]


class StripeGateway:
    """Talks to the Stripe API (or a local stand-in at ``settings.stripe_api_base``).

    Raises PaymentProviderUnavailable (503) for transient failures after the retry budget,
    PaymentProviderError (502) for permanent refusals."""

    def __init__(self, settings: Settings, journal: CallJournal | None = None) -> None:
        options: dict[str, Any] = {
            "max_network_retries": 0,
            # One session for the process: under gevent a per-thread session would be one per
            # request (greenlet), i.e. a new connection and TLS handshake to Stripe every time.
            "http_client": stripe.RequestsClient(timeout=settings.stripe_timeout_seconds, session=requests.Session()),
        }
        if settings.stripe_api_base:
            options["base_addresses"] = {"api": settings.stripe_api_base}
        self._client = stripe.StripeClient(settings.stripe_secret_key, **options)
        self._secrets = settings.webhook_secrets
        self._tolerance = settings.webhook_tolerance_seconds
        transport = Transport(settings, journal)
        self._call = transport.call
        self.budget_seconds = transport.budget_seconds
        self.balance = BalanceCalls(self._client, transport.call)

    # -- outbound --------------------------------------------------------------
    def create_payment_intent(self, *, order_id: str, amount: int, currency: str, idempotency_key: str) -> Doc:
        """Create (or, within Stripe's 24 h key window, replay) the order's PaymentIntent."""
        params: PaymentIntentCreateParams = {
            "amount": amount,
            "currency": currency,
            "metadata": {"order_id": order_id},
            "automatic_payment_methods": {"enabled": True},
        }
        return self._call(
            "POST",
            "/v1/payment_intents",
            order_id,
            idempotency_key,
            lambda opts: self._client.v1.payment_intents.create(params=params, options=opts),
            params,
        )

    def create_refund(
        self,
        payment_intent_id: str,
        amount: int | None,
        idempotency_key: str,
        order_id: str,
        refund_key: str | None = None,
    ) -> Doc:
        """Refund ``amount`` (None: all that is left) of the PaymentIntent's charge; returns the
        Refund. The caller's fixed key makes a retried refund a replay, never a second refund;
        ``refund_key`` (default: that key) is stored as ``metadata.refund_key`` so the refund can
        be found after Stripe forgets the key, whatever generation of it was sent."""
        params: RefundCreateParams = {
            "payment_intent": payment_intent_id,
            "metadata": {"order_id": order_id, "refund_key": refund_key or idempotency_key},
        }
        if amount is not None:
            params["amount"] = amount
        return self._call(
            "POST",
            "/v1/refunds",
            order_id,
            idempotency_key,
            lambda opts: self._client.v1.refunds.create(params=params, options=opts),
            params,
        )

    def list_refunds_page(
        self,
        payment_intent_id: str,
        starting_after: str | None = None,
        *,
        order_id: str | None = None,
    ) -> Doc:
        """One page (up to 100, newest first) of the PaymentIntent's refunds (a read; safe to retry)."""
        params: RefundListParams = {"payment_intent": payment_intent_id, "limit": 100}
        if starting_after:
            params["starting_after"] = starting_after
        return self._call(
            "GET",
            "/v1/refunds",
            order_id,
            None,
            lambda opts: self._client.v1.refunds.list(params=params, options=opts),
            params,
        )

    def retrieve_payment_intent(self, payment_intent_id: str, *, order_id: str | None = None) -> Doc:
        """Fetch a PaymentIntent by id (a read; safe to retry)."""
        return self._call(
            "GET",
            f"/v1/payment_intents/{payment_intent_id}",
            order_id,
            None,
            lambda opts: self._client.v1.payment_intents.retrieve(payment_intent_id, options=opts),
        )

    def cancel_payment_intent(self, payment_intent_id: str, *, order_id: str, idempotency_key: str) -> Doc:
        """Cancel a PaymentIntent (abandoned checkout). Raises PaymentProviderError when Stripe
        refuses, e.g. ``payment_intent_unexpected_state`` for one that already succeeded."""
        params: PaymentIntentCancelParams = {"cancellation_reason": "abandoned"}
        return self._call(
            "POST",
            f"/v1/payment_intents/{payment_intent_id}/cancel",
            order_id,
            idempotency_key,
            lambda opts: self._client.v1.payment_intents.cancel(payment_intent_id, params=params, options=opts),
            params,
        )

    def search_payment_intents(self, order_id: str) -> list[Doc]:
        """PaymentIntents whose ``metadata.order_id`` is ``order_id`` (Stripe search is
        eventually consistent: a PI younger than about a minute may be missing)."""
        params: PaymentIntentSearchParams = {"query": f"metadata['order_id']:'{order_id}'", "limit": 10}
        page = self._call(
            "GET",
            "/v1/payment_intents/search",
            order_id,
            None,
            lambda opts: self._client.v1.payment_intents.search(params=params, options=opts),
            params,
        )
        return list(page["data"])

    def list_payment_intents_page(self, *, created_gte: int, created_lt: int, starting_after: str | None = None) -> Doc:
        """One page (up to 100, newest first) of PaymentIntents created in [gte, lt)."""
        params: PaymentIntentListParams = {
            "created": {"gte": created_gte, "lt": created_lt},
            "limit": 100,
        }
        if starting_after:
            params["starting_after"] = starting_after
        return self._call(
            "GET",
            "/v1/payment_intents",
            None,
            None,
            lambda opts: self._client.v1.payment_intents.list(params=params, options=opts),
            params,
        )

    def list_events_page(self, *, types: list[str], created_gte: int, starting_after: str | None = None) -> Doc:
        """One page (up to 100, newest first) of events of ``types`` created at or after ``created_gte``."""
        params: EventListParams = {
            "types": list(types),
            "created": {"gte": created_gte},
            "limit": 100,
        }
        if starting_after:
            params["starting_after"] = starting_after
        return self._call(
            "GET",
            "/v1/events",
            None,
            None,
            lambda opts: self._client.v1.events.list(params=params, options=opts),
            params,
        )

    # -- inbound ---------------------------------------------------------------
    def verify_webhook(self, payload: bytes | str, signature_header: str | None) -> Any:
        """Return the event if ``payload`` is signed by any configured secret within the
        tolerance. Raises WebhookRejected (400) for a missing/bad/stale signature or bad JSON."""
        return verify_webhook(payload, signature_header, self._secrets, self._tolerance)
