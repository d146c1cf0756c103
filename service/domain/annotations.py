"""Money that moves after the payment: refunds and disputes annotate an order.

Pure: no Flask, mongoengine or stripe imports. Annotations live beside the payment status
(``order.refund``, ``order.dispute``) and never change it, so a refund or dispute can
never undo the payment record.

Order independence comes from monotone values, not from delivery order:
- refunds come only from ``charge.refunded`` (its Charge carries the *cumulative*
  ``amount_refunded``); the order keeps the largest amount seen, so duplicates and
  reordered deliveries end at the same total. ``refund.*`` events are not subscribed:
  the same refund would arrive twice, once per family.
- a dispute's state has a rank (open < closed, an appeal after its close; the table is
  ``stripe_statuses.DISPUTE``) and the event's time breaks ties; the order keeps the highest
  (rank, time) seen, so ``charge.dispute.closed`` before ``charge.dispute.created`` still ends
  closed, and ``prevented`` closes it like ``won`` and ``lost``.
- neither depends on the payment status: a refund delivered before
  ``payment_intent.succeeded`` is recorded at once, and the order reads ``paid`` with its
  refund as soon as the success lands (or the reconciler heals it).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from .reading import read_currency, read_int, read_metadata_order_id, read_optional_str, read_ref, read_status, read_str
from .stripe_statuses import CLOSED, DISPUTE, dispute_rank

REFUNDED: Final = "refunded"
PARTIALLY_REFUNDED: Final = "partially_refunded"
DISPUTED: Final = "disputed"
REFUND_EVENT: Final = "charge.refunded"
DISPUTE_CREATED: Final = "charge.dispute.created"
DISPUTE_CLOSED: Final = "charge.dispute.closed"
NOTE_EVENTS: Final = (REFUND_EVENT, DISPUTE_CREATED, DISPUTE_CLOSED)
# Dispute.status values that end a dispute (won, lost, prevented, warning_closed).
CLOSED_DISPUTE_STATUSES: Final = tuple(status for status, phase in DISPUTE.items() if phase == CLOSED)
OPEN_RANK: Final = 1  # what an unknown status ranks as (readers refuse one before it gets here)


def on_other_payment_intent(order_payment_intent_id: str | None, fact: "RefundFact | DisputeFact") -> bool:
    """True when ``fact`` concerns a PaymentIntent other than the order's own: a refund or
    dispute of a duplicate charge must not be recorded as the order's."""
    return bool(
        fact.payment_intent_id and order_payment_intent_id and fact.payment_intent_id != order_payment_intent_id
    )


@dataclass(frozen=True)
class RefundFact:
    """What a ``charge.refunded`` event says: the charge's cumulative refunded amount."""

    source_id: str
    payment_intent_id: str | None
    metadata_order_id: str | None
    charge_id: str | None
    amount_refunded: int
    amount_captured: int
    currency: str
    occurred_at: int


@dataclass(frozen=True)
class DisputeFact:
    """What a ``charge.dispute.*`` event says about one dispute."""

    source_id: str
    payment_intent_id: str | None
    metadata_order_id: str | None
    dispute_id: str | None
    charge_id: str | None
    status: str
    amount: int
    currency: str
    reason: str | None
    occurred_at: int

    @property
    def rank(self) -> int:
        """Open 1, closed or appealed 2 (``stripe_statuses.DISPUTE``); an unknown status ranks open."""
        return dispute_rank(self.status) if self.status in DISPUTE else OPEN_RANK

    @property
    def closed(self) -> bool:
        return self.status in CLOSED_DISPUTE_STATUSES


def note_from_event(event: Mapping[str, Any]) -> RefundFact | DisputeFact | None:
    """The RefundFact or DisputeFact an event carries, or None for any other type. Reads
    strictly (``domain/reading.py``): raises EventUnreadable naming a missing field."""
    obj, kind = event["data"]["object"], event.get("type")
    if kind not in (REFUND_EVENT, DISPUTE_CREATED, DISPUTE_CLOSED):
        return None
    created = read_int(event, "created", event)
    if kind == REFUND_EVENT:
        return RefundFact(
            source_id=event["id"],
            payment_intent_id=read_ref(obj, "payment_intent", event),
            metadata_order_id=read_metadata_order_id(obj, event),
            charge_id=read_str(obj, "id", event),
            amount_refunded=read_int(obj, "amount_refunded", event),
            amount_captured=read_int(obj, "amount_captured", event),
            currency=read_currency(obj, "currency", event),
            occurred_at=created,
        )
    return DisputeFact(
        source_id=event["id"],
        payment_intent_id=read_ref(obj, "payment_intent", event),
        metadata_order_id=read_metadata_order_id(obj, event),
        dispute_id=read_str(obj, "id", event),
        charge_id=read_ref(obj, "charge", event),
        status=read_status(obj, "status", DISPUTE, event),
        amount=read_int(obj, "amount", event),
        currency=read_currency(obj, "currency", event),
        reason=read_optional_str(obj, "reason", event),
        occurred_at=created,
    )


def event_refs(event: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(payment_intent_id, metadata order id) an event names, for its inbox row; Nones if none."""
    obj, kind = event["data"]["object"], event["type"]
    if kind.startswith("payment_intent."):
        return obj.get("id"), (obj.get("metadata") or {}).get("order_id")
    if kind.startswith("charge."):
        return _id(obj.get("payment_intent")), (obj.get("metadata") or {}).get("order_id")
    return None, None


def decide_refund(order_amount: int, recorded: Mapping[str, Any] | None, fact: RefundFact) -> dict[str, Any] | None:
    """The refund sub-document to store for ``fact``, or None when it adds nothing.

    ``recorded`` is the order's current refund sub-document (or None). Fully refunded
    means everything captured on the charge (the order amount if the charge does not say).
    """
    if recorded is not None and fact.amount_refunded <= int(recorded.get("amount_refunded", 0)):
        return None
    if fact.amount_refunded <= 0:
        return None
    captured = fact.amount_captured or order_amount
    status = REFUNDED if fact.amount_refunded >= captured else PARTIALLY_REFUNDED
    return {
        "status": status,
        "amount_refunded": fact.amount_refunded,
        "currency": fact.currency,
        "charge_id": fact.charge_id,
        "source": fact.source_id,
    }


def decide_dispute(recorded: Mapping[str, Any] | None, fact: DisputeFact) -> dict[str, Any] | None:
    """The dispute sub-document to store for ``fact``, or None when it adds nothing.

    A dispute only moves forward in (rank, event time): open -> closed -> appealed -> closed
    again; a second dispute id on the same order is not recorded over the first (the caller
    logs it for a human).
    """
    if not fact.dispute_id:
        return None
    if recorded is not None and (
        recorded.get("id") != fact.dispute_id
        or (int(recorded.get("rank", 0)), int(recorded.get("occurred_at", 0))) >= (fact.rank, fact.occurred_at)
    ):
        return None
    closed = fact.closed
    return {
        "id": fact.dispute_id,
        "status": DISPUTED,
        "stripe_status": fact.status,
        "rank": fact.rank,
        "occurred_at": fact.occurred_at,
        "outcome": fact.status if closed else None,
        "amount": fact.amount,
        "currency": fact.currency,
        "reason": fact.reason,
        "charge_id": fact.charge_id,
        "source": fact.source_id,
    }


def _id(value: Any) -> str | None:
    # An expanded object in place of an id carries its id inside.
    return value.get("id") if isinstance(value, dict) else value
