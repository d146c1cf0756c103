"""Apply Radar's signals (reviews, early fraud warnings) to their order: an annotation and an
alert line, never a change of the payment status (see domain/radar.py)."""

import logging

from ..domain.inbox import APPLIED, IGNORED
from ..domain.radar import REVIEW_CLOSED, REVIEW_OPENED, RadarFact, decide_radar
from ..errors import EventProcessingFailed
from ..observability.alerts import EARLY_FRAUD_WARNING, RADAR_REVIEW_CLOSED, RADAR_REVIEW_OPENED
from ..observability.logs import log
from .results import Applied
from .services import Services

logger = logging.getLogger("service.webhook")
_RACE_ROUNDS = 5
# The alert line each Radar event raises (observability/alerts.py).
_ALERTS = {REVIEW_OPENED: RADAR_REVIEW_OPENED, REVIEW_CLOSED: RADAR_REVIEW_CLOSED}


def apply_radar(services: Services, fact: RadarFact) -> Applied:
    """Record ``fact`` on the order holding its PaymentIntent and log its alert line. Idempotent
    and order-independent; returns an Applied; raises DatabaseUnavailable, EventProcessingFailed."""
    orders = services.store.orders
    order = orders.find_for_payment(None, fact.payment_intent_id) if fact.payment_intent_id else None
    if order is None:
        return Applied(IGNORED, "no order for this PaymentIntent")
    order_id = order["_id"]
    for _ in range(_RACE_ROUNDS):
        note = decide_radar(order.get(fact.kind), fact)
        if note is None:
            return Applied(APPLIED, f"no-op: {fact.kind} already recorded", order_id)
        if orders.annotate_radar(order, fact.kind, note):
            # Fulfilment should wait, and the shop may refund before a dispute: a human decides.
            log(
                logger,
                logging.ERROR,
                f"radar: {fact.event_type}",
                order_id=order_id,
                source=fact.source_id,
                payment_intent_id=fact.payment_intent_id,
                radar_id=fact.object_id,
                reason=fact.reason,
                open=fact.is_open,
                order_status=order["status"],
                alert=_ALERTS.get(fact.event_type, EARLY_FRAUD_WARNING),
            )
            state = "open" if fact.is_open else "closed"
            return Applied(APPLIED, f"{fact.kind} {fact.object_id}: {state} ({fact.reason})", order_id, changed=True)
        order = orders.get(order_id)
        if order is None:
            break
    raise EventProcessingFailed(f"order {order_id} kept changing while applying {fact.source_id}")
