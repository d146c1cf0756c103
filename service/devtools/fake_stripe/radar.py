"""Radar: a review opened on a payment (a rule or a manual flag), its closing, and an issuer's
early fraud warning. None of them changes the PaymentIntent; each emits the event Stripe
sends (``review.opened``, ``review.closed``, ``radar.early_fraud_warning.created``)."""

from __future__ import annotations

import copy

from .errors import FakeStripeError
from .objects import new_id
from .state import Store

# Review.closed_reason values a test may close with (stripe-python's Literal).
CLOSED_REASONS = ("approved", "refunded", "refunded_as_fraud", "disputed", "redacted", "canceled", "acknowledged")


def _charge_of(store: Store, pi_id: str) -> dict:
    pi = store.find("payment_intents", "payment_intent", pi_id, "payment_intent")
    if not pi.get("latest_charge"):
        raise FakeStripeError(400, "invalid_request_error", f"PaymentIntent {pi_id} has no charge to review.")
    return store.charges[pi["latest_charge"]]


def open_review(store: Store, pi_id: str, reason: str = "rule") -> dict:
    """Open a Review (``reason`` rule or manual) on the PI's charge; emits review.opened."""
    with store.lock:
        charge = _charge_of(store, pi_id)
        review = {
            "id": new_id("prv"),
            "object": "review",
            "billing_zip": None,
            "charge": charge["id"],
            "closed_reason": None,
            "created": store.now(),
            "ip_address": None,
            "ip_address_location": None,
            "livemode": False,
            "open": True,
            "opened_reason": reason,
            "payment_intent": pi_id,
            "reason": reason,
            "session": None,
        }
        store.reviews[review["id"]] = review
        return store.emit("review.opened", review)


def close_review(store: Store, review_id: str, closed_reason: str = "approved") -> dict:
    """Close an open Review with ``closed_reason``; emits review.closed."""
    if closed_reason not in CLOSED_REASONS:
        raise FakeStripeError(400, "invalid_request_error", f"Invalid closed_reason: {closed_reason}")
    with store.lock:
        review = store.find("reviews", "review", review_id)
        if not review["open"]:
            raise FakeStripeError(400, "invalid_request_error", f"Review {review_id} is already closed.")
        review.update(open=False, closed_reason=closed_reason, reason=closed_reason)
        return store.emit("review.closed", review)


def early_fraud_warning(store: Store, pi_id: str, fraud_type: str = "made_with_stolen_card") -> dict:
    """An issuer's early fraud warning on the PI's charge (actionable while the charge is not
    refunded or disputed); emits radar.early_fraud_warning.created."""
    with store.lock:
        charge = _charge_of(store, pi_id)
        warning = {
            "id": new_id("issfr"),
            "object": "radar.early_fraud_warning",
            "actionable": not (charge.get("refunded") or charge.get("disputed")),
            "charge": charge["id"],
            "created": store.now(),
            "fraud_type": fraud_type,
            "livemode": False,
            "payment_intent": pi_id,
        }
        store.early_fraud_warnings[warning["id"]] = warning
        return store.emit("radar.early_fraud_warning.created", copy.deepcopy(warning))


class RadarDriver:
    """FakeStripe's helpers for Radar, driven from a test (mixed into FakeStripe)."""

    store: Store

    def open_review(self, pi_id: str, reason: str = "rule") -> dict:
        """Open a review on a paid PaymentIntent's charge; returns the review.opened event."""
        return open_review(self.store, pi_id, reason)

    def close_review(self, review_id: str, closed_reason: str = "approved") -> dict:
        """Close a review; returns the review.closed event."""
        return close_review(self.store, review_id, closed_reason)

    def early_fraud_warning(self, pi_id: str, fraud_type: str = "made_with_stolen_card") -> dict:
        """Raise an early fraud warning on a PaymentIntent's charge; returns its event."""
        return early_fraud_warning(self.store, pi_id, fraud_type)
