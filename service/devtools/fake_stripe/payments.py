"""PaymentIntent lifecycle: the state changes Stripe allows, each emitting Stripe's events.

Every function takes the Store, holds its lock for the whole change (so a concurrent
request never sees half an update) and raises FakeStripeError where Stripe would refuse.
"""

from __future__ import annotations

import copy

from . import disputes, ledger, objects, refunds
from .errors import invalid, unexpected_state
from .state import Origin, Store

OPEN = ("requires_payment_method", "requires_confirmation", "requires_action", "processing", "requires_capture")
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
# Stripe's documented test PaymentMethods and what confirming with each one does.
Decline = tuple[str, str | None, str]  # (code, decline_code, message)
TEST_CARDS: dict[str, Decline | str | None] = {
    "pm_card_visa": None,
    "pm_card_mastercard": None,
    "pm_card_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", None, "Your card has expired."),
    "pm_card_authenticationRequired": "requires_action",
    "pm_card_createDispute": "dispute",  # succeeds, then the cardholder disputes it
}


def _require(pi: dict, allowed: tuple, verb: str) -> None:
    if pi["status"] not in allowed:
        raise unexpected_state(
            f"You cannot {verb} this PaymentIntent because it has a status of {pi['status']}. "
            f"Only a PaymentIntent with one of the following statuses may be {verb}ed: "
            f"{', '.join(allowed)}."
        )


def create(store: Store, pi_fields: dict, origin: Origin | None = None) -> dict:
    """Store a new PaymentIntent built from validated fields, emit payment_intent.created,
    return a copy of it."""
    with store.lock:
        pi = objects.payment_intent(created=store.now(), **pi_fields)
        store.add_payment_intent(pi)
        store.emit("payment_intent.created", pi, origin)
        return copy.deepcopy(pi)


def succeed(
    store: Store,
    pi_id: str,
    amount_received: int | None = None,
    payment_method: str = "pm_card_visa",
    origin: Origin | None = None,
) -> dict:
    """Capture a successful payment: status succeeded, amount_received (default: amount),
    a new latest_charge with its balance transaction (ledger.on_charge_succeeded); emits
    charge.succeeded then payment_intent.succeeded (returned)."""
    with store.lock:
        pi = store.payment_intent(pi_id)
        _require(pi, OPEN, "succeed")
        amount = pi["amount"] if amount_received is None else amount_received
        ch = objects.charge(pi, amount=amount, created=store.now(), payment_method=payment_method)
        store.charges[ch["id"]] = ch
        ledger.on_charge_succeeded(store, ch)
        pi.update(
            status="succeeded",
            amount_received=amount,
            latest_charge=ch["id"],
            last_payment_error=None,
            next_action=None,
            payment_method=payment_method,
        )
        store.emit("charge.succeeded", ch, origin)
        return store.emit("payment_intent.succeeded", pi, origin)


def fail(
    store: Store,
    pi_id: str,
    code: str = "card_declined",
    decline_code: str | None = "generic_decline",
    message: str = "Your card was declined.",
    payment_method: str = "pm_card_chargeDeclined",
    origin: Origin | None = None,
    method_type: str = "card",
) -> dict:
    """Decline an attempt: the PI returns to requires_payment_method with last_payment_error
    set (not final: it may still succeed); emits charge.failed then
    payment_intent.payment_failed (returned). ``method_type``: the payment method's type."""
    with store.lock:
        pi = store.payment_intent(pi_id)
        _require(pi, OPEN[:4], "fail")
        failure = {"code": code, "decline_code": decline_code, "message": message}
        ch = objects.charge(pi, amount=0, created=store.now(), payment_method=payment_method, failure=failure)
        store.charges[ch["id"]] = ch
        error = objects.payment_error(
            charge_id=ch["id"],
            payment_method=payment_method,
            code=code,
            decline_code=decline_code,
            message=message,
            method_type=method_type,
        )
        pi.update(
            status="requires_payment_method",
            last_payment_error=error,
            latest_charge=ch["id"],
            payment_method=None,
            next_action=None,
        )
        store.emit("charge.failed", ch, origin)
        return store.emit("payment_intent.payment_failed", pi, origin)


def process(store: Store, pi_id: str) -> dict:
    """Move the PI to processing (async payment methods); emits payment_intent.processing."""
    with store.lock:
        pi = store.payment_intent(pi_id)
        _require(pi, CONFIRMABLE, "process")
        pi.update(status="processing", next_action=None)
        return store.emit("payment_intent.processing", pi)


def cancel(store: Store, pi_id: str, reason: str | None, origin: Origin | None = None) -> dict:
    """Cancel a non-terminal PI (400 payment_intent_unexpected_state from succeeded or
    canceled); emits payment_intent.canceled (returned)."""
    if reason is not None and reason not in objects.CANCELLATION_REASONS:
        raise invalid(
            f"Invalid cancellation_reason: must be one of {', '.join(objects.CANCELLATION_REASONS)}",
            param="cancellation_reason",
        )
    with store.lock:
        pi = store.payment_intent(pi_id)
        _require(pi, objects.CANCELABLE, "cancel")
        pi.update(status="canceled", cancellation_reason=reason, canceled_at=store.now(), next_action=None)
        return store.emit("payment_intent.canceled", pi, origin)


def confirm(store: Store, pi_id: str, payment_method: str, origin: Origin | None = None) -> dict:
    """Confirm with one of Stripe's test PaymentMethods and return the PI: pm_card_visa
    succeeds, pm_card_chargeDeclined* fail, pm_card_authenticationRequired leaves it in
    requires_action (emitting payment_intent.requires_action, no terminal event),
    pm_card_createDispute succeeds and then opens a dispute (disputes.open_dispute)."""
    if payment_method not in TEST_CARDS:
        raise invalid(f"No such PaymentMethod: '{payment_method}'", param="payment_method", code="resource_missing")
    outcome = TEST_CARDS[payment_method]
    with store.lock:
        pi = store.payment_intent(pi_id)
        _require(pi, CONFIRMABLE, "confirm")
        if outcome in (None, "dispute"):
            succeed(store, pi_id, payment_method=payment_method, origin=origin)
            if outcome == "dispute":
                disputes.open_dispute(store, pi["latest_charge"])  # later, not the request's doing
        elif outcome == "requires_action":
            pi.update(
                status="requires_action",
                payment_method=payment_method,
                next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {}},
            )
            store.emit("payment_intent.requires_action", pi, origin)
        elif isinstance(outcome, tuple):
            code, decline_code, message = outcome
            fail(store, pi_id, code, decline_code, message, payment_method, origin)
        return copy.deepcopy(pi)


def refund(
    store: Store,
    pi_id: str,
    amount: int | None = None,
    reason: str | None = None,
    metadata: dict | None = None,
    origin: Origin | None = None,
) -> tuple[dict, dict]:
    """Refund (part of) a succeeded PI's charge, booking its balance transaction; emits
    charge.refunded. Returns (refund, event). Refuses more than the unrefunded amount."""
    with store.lock:
        pi = store.payment_intent(pi_id, param="payment_intent")
        if pi["status"] != "succeeded":
            raise invalid("This PaymentIntent does not have a successful charge to refund.", param="payment_intent")
        ch = store.charges[pi["latest_charge"]]
        remaining = ch["amount_captured"] - ch["amount_refunded"]
        if remaining <= 0:
            raise invalid(f"Charge {ch['id']} has already been refunded.", code="charge_already_refunded", store=True)
        amount = remaining if amount is None else amount
        if amount <= 0:
            raise invalid("Invalid positive integer", param="amount")
        if amount > remaining:
            raise invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                param="amount",
                code="amount_too_large",
                store=True,
            )
        rf = objects.refund(ch, amount=amount, created=store.now(), reason=reason, metadata=metadata or {})
        store.refunds[rf["id"]] = rf
        refunds.book_refund(store, rf)
        ch["amount_refunded"] += amount
        ch["refunded"] = ch["amount_refunded"] >= ch["amount_captured"]
        return copy.deepcopy(rf), store.emit("charge.refunded", ch, origin)
