"""Finding or creating an order's PaymentIntent so that Stripe holds at most one per order.

Shared by checkout (first call and same-key retries) and the reconciler (orders whose PI
id never reached our database). Stripe keeps an idempotency key only 24 hours: within
23 hours of checkout the fixed key replays the PI if checkout's call reached Stripe and
creates it exactly once if it did not; after that the key is no protection, so Stripe's
search by ``metadata.order_id`` is asked first.
"""
import logging
from datetime import timedelta

from ..logs import log

logger = logging.getLogger("service.payments")
KEY_WINDOW = timedelta(hours=23)


def payment_intent_key(order_id):
    """The fixed idempotency key of an order's PaymentIntent creation."""
    return f"order-{order_id}-payment-intent"


def find_or_create_payment_intent(services, order, now, *, create=True, pace=lambda: None):
    """Return the order's PaymentIntent (a dict), creating it only if Stripe has none.

    ``create=False`` only looks (returns None when there is none). ``pace`` is called before
    each Stripe request (the reconciler's rate limit). A PI from a key replay is the
    snapshot from its creation, not its current state. Raises PaymentProvider{Unavailable,Error}.
    """
    gateway, order_id = services.gateway, order["_id"]
    if create and now - order["created_at"] < KEY_WINDOW:
        pace()
        return gateway.create_payment_intent(order_id=order_id, amount=order["amount"], currency=order["currency"],
                                             idempotency_key=payment_intent_key(order_id))
    pace()
    found = gateway.search_payment_intents(order_id)
    if found:
        if len(found) > 1:
            log(logger, logging.ERROR, "several PaymentIntents for one order", order_id=order_id,
                payment_intents=[pi["id"] for pi in found], alert="duplicate_payment_intents")
        return next((pi for pi in found if pi["status"] == "succeeded"), found[0])
    if not create:
        return None
    pace()
    return gateway.create_payment_intent(order_id=order_id, amount=order["amount"], currency=order["currency"],
                                         idempotency_key=payment_intent_key(order_id) + "-late")
