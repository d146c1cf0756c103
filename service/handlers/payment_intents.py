"""Finding or creating an order's PaymentIntent so that Stripe holds at most one per order.

Shared by checkout (first call and same-key retries) and the reconciler (orders whose PI
id never reached our database). Stripe keeps an idempotency key only 24 hours: within
23 hours of checkout the fixed key replays the PI if checkout's call reached Stripe and
creates it exactly once if it did not; after that the key is no protection, so Stripe's
search by ``metadata.order_id`` is asked first. A 5xx that Stripe saved under the key is
healed by generations.create_once: search, then the key's next generation.
"""

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from ..domain.orders import PI_SUCCEEDED
from ..observability.logs import log
from .generations import create_once
from .services import Services

logger = logging.getLogger("service.payments")
KEY_WINDOW = timedelta(hours=23)


def payment_intent_key(order_id: str) -> str:
    """The fixed idempotency key of an order's PaymentIntent creation."""
    return f"order-{order_id}-payment-intent"


def find_or_create_payment_intent(
    services: Services, order: Mapping[str, Any], now: datetime, *, pace: Callable[[], None] = lambda: None
) -> dict[str, Any]:
    """Return the order's PaymentIntent, creating it only if Stripe has none.

    ``pace`` is called before each Stripe request (the reconciler's rate limit). A PI from a
    key replay is the snapshot from its creation, not its current state. Idempotent: Stripe
    holds at most one PI per order. Raises PaymentProvider{Unavailable,Error}, and
    SavedFailureReplayed within ``STRIPE_SEARCH_LAG_SECONDS`` of a saved 5xx.
    """
    gateway, order_id = services.gateway, order["_id"]

    def create(key: str) -> dict[str, Any]:
        pace()
        return gateway.create_payment_intent(
            order_id=order_id, amount=order["amount"], currency=order["currency"], idempotency_key=key
        )

    def find() -> dict[str, Any] | None:
        return find_payment_intent(services, order, pace=pace)

    lag = timedelta(seconds=services.settings.stripe_search_lag_seconds)
    if now - order["created_at"] < KEY_WINDOW:
        return create_once(services, order, payment_intent_key(order_id), create, find, now, lag)
    found = find()
    if found is not None:
        return found
    return create_once(services, order, payment_intent_key(order_id) + "-late", create, find, now, lag)


def find_payment_intent(
    services: Services, order: Mapping[str, Any], *, pace: Callable[[], None] = lambda: None
) -> dict[str, Any] | None:
    """The order's PaymentIntent found by Stripe's search on ``metadata.order_id`` (a
    succeeded one first), or None. Never creates. Raises PaymentProvider{Unavailable,Error}."""
    order_id = order["_id"]
    pace()
    found = services.gateway.search_payment_intents(order_id)
    if not found:
        return None
    if len(found) > 1:
        log(
            logger,
            logging.ERROR,
            "several PaymentIntents for one order",
            order_id=order_id,
            payment_intents=[pi["id"] for pi in found],
            alert="duplicate_payment_intents",
        )
    return next((pi for pi in found if pi["status"] == PI_SUCCEEDED), found[0])
