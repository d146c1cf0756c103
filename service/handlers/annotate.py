"""Apply refund and dispute facts to their order: the annotation half of ``apply_event``.

``annotations`` decides, the store writes one conditional update that only moves a value
forward; a lost race re-reads the order and decides again. The payment status is never
touched, whatever it is (see annotations.py for why that makes delivery order irrelevant).
"""
import logging

from ..annotations import RefundFact, decide_dispute, decide_refund, on_other_payment_intent
from ..errors import EventProcessingFailed
from ..logs import log
from .results import Applied

logger = logging.getLogger("service.webhook")
_RACE_ROUNDS = 5


def apply_note(services, fact):
    """Record a RefundFact or DisputeFact on its order. Returns an Applied; raises
    DatabaseUnavailable, EventProcessingFailed. Idempotent and order-independent."""
    store = services.store
    order = store.find_order_for_payment(fact.metadata_order_id, fact.payment_intent_id)
    if order is None:
        log(logger, logging.WARNING, "money movement for an unknown order", source=fact.source_id,
            payment_intent_id=fact.payment_intent_id)
        return Applied("ignored", "no order for this charge")
    if on_other_payment_intent(order.get("payment_intent_id"), fact):
        log(logger, logging.ERROR, "refund or dispute on another PaymentIntent of this order",
            order_id=order["_id"], source=fact.source_id, payment_intent_id=fact.payment_intent_id,
            order_payment_intent_id=order.get("payment_intent_id"), alert="money_movement_on_other_payment_intent")
        return Applied("applied", "no-op: concerns another PaymentIntent of this order", order["_id"])
    is_refund = isinstance(fact, RefundFact)
    for _ in range(_RACE_ROUNDS):
        if is_refund:
            note = decide_refund(order["amount"], order.get("refund"), fact)
            written = note is not None and store.annotate_refund(order["_id"], note)
        else:
            note = decide_dispute(order.get("dispute"), fact)
            written = note is not None and store.annotate_dispute(order["_id"], note)
        if note is None:
            _warn_if_second_dispute(order, fact, is_refund)
            return Applied("applied", "no-op: already recorded", order["_id"])
        if written:
            detail = (f"refund: {note['status']} {note['amount_refunded']} {note['currency']}" if is_refund
                      else f"dispute {note['id']}: {note['stripe_status']}")
            log(logger, logging.INFO, "order annotated", order_id=order["_id"], source=fact.source_id,
                detail=detail, order_status=order["status"])
            return Applied("applied", detail, order["_id"], changed=True)
        order = store.get_order(order["_id"])
    raise EventProcessingFailed(f"order {order['_id']} kept changing while applying {fact.source_id}")


def _warn_if_second_dispute(order, fact, is_refund):
    recorded = None if is_refund else order.get("dispute")
    if recorded and fact.dispute_id and recorded.get("id") != fact.dispute_id:
        log(logger, logging.ERROR, "a second dispute on one order is not recorded", order_id=order["_id"],
            recorded=recorded.get("id"), dispute_id=fact.dispute_id, alert="second_dispute")
