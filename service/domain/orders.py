"""The order state machine: the one place that decides what a payment fact does.

Pure: no Flask, mongoengine or stripe imports. ``decide`` is a total function of an
order snapshot and a payment fact; the store applies its decision as one conditional
update, so concurrent deliveries and the reconciler cannot race.

Transitions are monotonic. ``paid``, ``canceled`` and ``needs_review`` absorb late
events; ``payment_failed`` is not final (the customer may retry on the same
PaymentIntent). Non-terminal facts (``processing``, ``payment_failed``) older than the
last fact applied to the order are stale and ignored, so delivery order does not
change the outcome.
"""

from dataclasses import dataclass
from typing import Final

from .waits import CustomerWait

PENDING: Final = "pending"
# The PaymentIntent waits on the customer (a voucher to pay, transfer instructions, 3D Secure).
AWAITING_CUSTOMER: Final = "awaiting_customer"
PROCESSING: Final = "processing"
PAYMENT_FAILED: Final = "payment_failed"
PAID: Final = "paid"
CANCELED: Final = "canceled"
NEEDS_REVIEW: Final = "needs_review"
STATUSES: Final = (PENDING, AWAITING_CUSTOMER, PROCESSING, PAYMENT_FAILED, PAID, CANCELED, NEEDS_REVIEW)
FINAL: Final = (PAID, CANCELED, NEEDS_REVIEW)
# Orders still waiting for their payment: the reconciler looks at these past their deadline.
OPEN_STATUSES: Final = (PENDING, AWAITING_CUSTOMER, PROCESSING, PAYMENT_FAILED)
# Orders whose money was taken (paid, or taken but held for a human).
SETTLED_STATUSES: Final = (PAID, NEEDS_REVIEW)
SUCCEEDED: Final = "succeeded"  # the trigger of a succeeded payment (not an order status)
REQUIRES_ACTION: Final = "requires_action"  # the trigger of a wait on the customer
# PaymentIntent.status values the service acts on by name (Stripe's spelling).
PI_SUCCEEDED: Final = "succeeded"
PI_REQUIRES_PAYMENT_METHOD: Final = "requires_payment_method"
# A PaymentIntent still waiting for the customer: an abandoned checkout's may be canceled.
PI_CANCELABLE: Final = (PI_REQUIRES_PAYMENT_METHOD, "requires_confirmation", "requires_action")

# Stripe event type -> the payment fact it carries.
EVENT_TRIGGERS: Final[dict[str, str]] = {
    "payment_intent.requires_action": REQUIRES_ACTION,
    # A bank transfer (customer_balance) that covers part of the amount: still waiting, no money
    # taken (the funds sit in the customer's cash balance until the whole amount arrives).
    "payment_intent.partially_funded": REQUIRES_ACTION,
    "payment_intent.processing": PROCESSING,
    "payment_intent.payment_failed": PAYMENT_FAILED,
    "payment_intent.succeeded": SUCCEEDED,
    "payment_intent.canceled": CANCELED,
}
# PaymentIntent status (as retrieved) -> the payment fact it carries.
PI_STATUS_TRIGGERS: Final[dict[str, str]] = {
    "requires_action": REQUIRES_ACTION,
    "processing": PROCESSING,
    "succeeded": SUCCEEDED,
    "canceled": CANCELED,
}

# trigger -> {from status: to status}; missing entries are no-ops.
_TABLE: Final[dict[str, dict[str, str]]] = {
    REQUIRES_ACTION: {PENDING: AWAITING_CUSTOMER, PAYMENT_FAILED: AWAITING_CUSTOMER},
    PROCESSING: {PENDING: PROCESSING, AWAITING_CUSTOMER: PROCESSING, PAYMENT_FAILED: PROCESSING},
    PAYMENT_FAILED: {PENDING: PAYMENT_FAILED, AWAITING_CUSTOMER: PAYMENT_FAILED, PROCESSING: PAYMENT_FAILED},
    SUCCEEDED: {
        PENDING: PAID,
        AWAITING_CUSTOMER: PAID,
        PROCESSING: PAID,
        PAYMENT_FAILED: PAID,
        CANCELED: NEEDS_REVIEW,
    },
    CANCELED: {PENDING: CANCELED, AWAITING_CUSTOMER: CANCELED, PROCESSING: CANCELED, PAYMENT_FAILED: CANCELED},
}
_STALE_CHECKED = (REQUIRES_ACTION, PROCESSING, PAYMENT_FAILED)


@dataclass(frozen=True)
class OrderView:
    """What the state machine needs to know about an order."""

    order_id: str
    status: str
    amount: int
    currency: str
    payment_intent_id: str | None = None
    last_event_at: int = 0
    applied_sources: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PaymentFact:
    """One fact about a PaymentIntent, from a webhook event or a retrieved PI."""

    source_id: str  # event id, or a synthetic id for reconciler facts
    trigger: str  # requires_action | processing | payment_failed | succeeded | canceled
    payment_intent_id: str | None
    amount_received: int
    currency: str
    metadata_order_id: str | None
    occurred_at: int  # unix seconds (event.created)
    failure_message: str | None = None
    wait: CustomerWait | None = None  # what the customer must do (requires_action only)
    processing_type: str | None = None  # the PI's ``processing.type`` ("card"), if any


@dataclass(frozen=True)
class Decision:
    """``to_status`` None means no change; ``reason`` says why, for the log and the inbox."""

    to_status: str | None
    reason: str

    @property
    def changes(self) -> bool:
        return self.to_status is not None


def decide(order: OrderView, fact: PaymentFact) -> Decision:
    """Return the Decision for applying ``fact`` to ``order``. Pure and total; never raises."""
    if fact.source_id in order.applied_sources:
        return Decision(None, "already applied")
    if fact.payment_intent_id and order.payment_intent_id not in (None, fact.payment_intent_id):
        if fact.trigger == SUCCEEDED:
            return Decision(NEEDS_REVIEW, "money taken on a second PaymentIntent for this order")
        return Decision(None, "event for another PaymentIntent of this order")
    if fact.trigger in _STALE_CHECKED and fact.occurred_at < order.last_event_at:
        return Decision(None, "stale: a newer fact was already applied")
    target = _TABLE.get(fact.trigger, {}).get(order.status)
    if target is None:
        return Decision(None, f"{fact.trigger} does not change a {order.status} order")
    if target == PAID:
        mismatch = payment_mismatch(order, fact)
        if mismatch:
            return Decision(NEEDS_REVIEW, mismatch)
    if target == NEEDS_REVIEW and order.status == CANCELED:
        return Decision(NEEDS_REVIEW, "money taken on a canceled order")
    return Decision(target, f"{fact.trigger}: {order.status} -> {target}")


def refreshes_failure(order: OrderView, fact: PaymentFact) -> bool:
    """True when ``fact`` is a newer failed attempt on a ``payment_failed`` order's own
    PaymentIntent: the status stays, but the order's decline message should become this one
    (a second decline must not show the first one's message)."""
    return (
        fact.trigger == PAYMENT_FAILED
        and order.status == PAYMENT_FAILED
        and bool(fact.failure_message)
        and fact.source_id not in order.applied_sources
        and fact.payment_intent_id in (None, order.payment_intent_id)
        and fact.occurred_at >= order.last_event_at
    )


def refreshes_wait(order: OrderView, fact: PaymentFact) -> bool:
    """True when ``fact`` is a newer wait on an ``awaiting_customer`` order's own PaymentIntent:
    the status stays, but the customer's next step should become this one (a bank transfer's
    ``amount_remaining`` shrinks as it is partly funded; a new voucher replaces an old one)."""
    return (
        fact.trigger == REQUIRES_ACTION
        and order.status == AWAITING_CUSTOMER
        and fact.wait is not None
        and fact.source_id not in order.applied_sources
        and fact.payment_intent_id in (None, order.payment_intent_id)
        and fact.occurred_at >= order.last_event_at
    )


def payment_mismatch(order: OrderView, fact: PaymentFact) -> str | None:
    """Describe why a succeeded payment does not match the order, or return None."""
    if fact.metadata_order_id not in (None, "", order.order_id):
        return f"metadata.order_id {fact.metadata_order_id!r} is not this order"
    if fact.currency != order.currency:
        return f"currency {fact.currency!r} differs from order currency {order.currency!r}"
    if fact.amount_received != order.amount:
        return f"amount_received {fact.amount_received} differs from order amount {order.amount}"
    return None
