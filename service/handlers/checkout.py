"""Checkout: validate, price from the catalog, save the order, create its PaymentIntent.

Checkout never decides that an order is paid; webhooks do.
"""

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from ..clock import utcnow
from ..domain.checkout import check_idempotency_key, fingerprint, parse_checkout, price_order, same_request
from ..domain.identifiers import ORDER_ID, valid
from ..domain.orders import PENDING
from ..errors import NotFound, ValidationFailed
from ..observability.logs import log
from .payment_intents import find_or_create_payment_intent
from .services import Services

logger = logging.getLogger("service.checkout")
Doc = dict[str, Any]


def start_checkout(services: Services, body: object, idempotency_key: str | None = None) -> tuple[Doc, str, bool]:
    """Create (or, for a repeated Idempotency-Key, return) an order and its PaymentIntent.

    Returns (order, client_secret, replayed). The order is saved as ``pending`` before
    Stripe is called, and the PaymentIntent is created from the stored order with a fixed
    idempotency key, so a retry never creates a second one. Raises ValidationFailed,
    IdempotencyConflict, DatabaseUnavailable, PaymentProvider{Unavailable,Error}; after a
    Stripe failure the order stays pending without a PI and a retry finishes it.
    """
    items, email = parse_checkout(body)
    check_idempotency_key(idempotency_key)
    request_fingerprint = fingerprint(items, email)
    orders = services.store.orders
    if idempotency_key:
        existing = orders.find_by_idempotency_key(idempotency_key)
        if existing is not None:
            return _finish(services, same_request(existing, request_fingerprint), replayed=True)
    deadline = timedelta(seconds=services.settings.payment_deadline_seconds)
    order = price_order(services.store.catalog.get_many(items.keys()), items, email, utcnow(), deadline)
    order.update(idempotency_key=idempotency_key, request_fingerprint=request_fingerprint)
    stored, created = orders.insert(order)
    if not created:
        return _finish(services, same_request(stored, request_fingerprint), replayed=True)
    log(
        logger,
        logging.INFO,
        "order created",
        order_id=order["_id"],
        amount=order["amount"],
        currency=order["currency"],
        idempotency_key=idempotency_key,
    )
    # Re-read: the PaymentIntent is built from what the database holds, not from memory.
    return _finish(services, orders.get(order["_id"]), replayed=False)


def _finish(services: Services, order: Mapping[str, Any] | None, replayed: bool) -> tuple[Doc, str, bool]:
    if order is None:  # deleted between our write and our read: nothing sane to answer
        raise NotFound("no such order", code="order_not_found")
    if order.get("payment_intent_id"):
        pi = services.gateway.retrieve_payment_intent(order["payment_intent_id"], order_id=order["_id"])
    elif order["status"] != PENDING:
        raise ValidationFailed("this order can no longer be paid", code="order_closed")
    else:
        pi = find_or_create_payment_intent(services, order, utcnow())
        order = services.store.orders.attach_payment_intent(order["_id"], pi["id"], order) or order
    return dict(order), pi["client_secret"], replayed


def get_order(services: Services, order_id: str | None) -> Doc:
    """The order for a well-formed id. Raises NotFound, DatabaseUnavailable."""
    order = valid(ORDER_ID, order_id) and services.store.orders.get(order_id or "")
    if not order:
        raise NotFound("no such order", code="order_not_found")
    return order
