"""Apply refund and dispute facts to their order: the annotation half of ``apply_event``.

``annotations`` decides, the store writes one conditional update that only moves a value
forward; a lost race re-reads the order and decides again. The payment status is never
touched, whatever it is (see domain/annotations.py for why that makes delivery order irrelevant).
"""

import logging
from collections.abc import Mapping
from typing import Any

from ..domain.annotations import DisputeFact, RefundFact, decide_dispute, decide_refund, on_other_payment_intent
from ..domain.inbox import APPLIED, IGNORED
from ..errors import EventProcessingFailed
from ..observability.logs import log
from .results import Applied
from .services import Services

logger = logging.getLogger("service.webhook")
_RACE_ROUNDS = 5


def apply_note(services: Services, fact: RefundFact | DisputeFact) -> Applied:
    """Record a RefundFact or DisputeFact on its order. Returns an Applied; raises
    DatabaseUnavailable, EventProcessingFailed. Idempotent and order-independent."""
    orders = services.store.orders
    order = orders.find_for_payment(fact.metadata_order_id, fact.payment_intent_id)
    if order is None:
        log(
            logger,
            logging.WARNING,
            "money movement for an unknown order",
            source=fact.source_id,
            payment_intent_id=fact.payment_intent_id,
        )
        return Applied(IGNORED, "no order for this charge")
    if on_other_payment_intent(order.get("payment_intent_id"), fact):
        log(
            logger,
            logging.ERROR,
            "refund or dispute on another PaymentIntent of this order",
            order_id=order["_id"],
            source=fact.source_id,
            payment_intent_id=fact.payment_intent_id,
            order_payment_intent_id=order.get("payment_intent_id"),
            alert="money_movement_on_other_payment_intent",
        )
        return Applied(APPLIED, "no-op: concerns another PaymentIntent of this order", order["_id"])
    order_id = order["_id"]
    for _ in range(_RACE_ROUNDS):
        if isinstance(fact, RefundFact):
            note = decide_refund(order["amount"], order.get("refund"), fact)
            written = note is not None and orders.annotate_refund(order, note)
        else:
            note = decide_dispute(order.get("dispute"), fact)
            written = note is not None and orders.annotate_dispute(order, note)
        if note is None:
            _warn_if_second_dispute(order, fact)
            return Applied(APPLIED, "no-op: already recorded", order_id)
        if written:
            detail = (
                f"refund: {note['status']} {note['amount_refunded']} {note['currency']}"
                if isinstance(fact, RefundFact)
                else f"dispute {note['id']}: {note['stripe_status']}"
            )
            log(
                logger,
                logging.INFO,
                "order annotated",
                order_id=order_id,
                source=fact.source_id,
                detail=detail,
                order_status=order["status"],
            )
            return Applied(APPLIED, detail, order_id, changed=True)
        order = orders.get(order_id)
        if order is None:
            break
    raise EventProcessingFailed(f"order {order_id} kept changing while applying {fact.source_id}")


def _warn_if_second_dispute(order: Mapping[str, Any], fact: RefundFact | DisputeFact) -> None:
    if not isinstance(fact, DisputeFact):
        return
    recorded = order.get("dispute")
    if recorded and fact.dispute_id and recorded.get("id") != fact.dispute_id:
        log(
            logger,
            logging.ERROR,
            "a second dispute on one order is not recorded",
            order_id=order["_id"],
            recorded=recorded.get("id"),
            dispute_id=fact.dispute_id,
            alert="second_dispute",
        )
