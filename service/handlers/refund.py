"""Refunds we initiate (``flask --app wsgi orders refund ORDER_ID [--amount N] [--key K]``).

Stripe is the authority on which refunds exist. Our key ``order-<id>-refund-<n>-<amount|rest>``
(``n`` one more than the refunds we initiated and recorded on the order) is sent as the
Stripe idempotency key and stored on the refund as ``metadata.refund_key``:
- before creating, we list the PaymentIntent's refunds at Stripe; one already carrying the
  key is the refund a failed earlier run made (Stripe timed out, the database failed, the
  process died), so it is recorded instead of creating a second one. This holds at any age,
  after Stripe has forgotten the idempotency key (24 h);
- the idempotency key still covers a retry racing the listing (two runs at once);
- refunding 500 twice on purpose works: once the first refund is recorded, ``n`` moves on;
- ``--key`` replaces the derived key (same key, same refund; a new key, a new refund);
- a 5xx that Stripe saved under the key (replayed for 24 h) is healed at once: the refund
  list (consistent, unlike search) shows whether the failed attempt refunded; if not, the
  key's next generation (``<key>-g2``) is sent, ``metadata.refund_key`` still the key.
The order's ``refund`` annotation itself is set by the ``charge.refunded`` webhook.
"""

import logging
from datetime import timedelta
from typing import Any

from ..clock import utcnow
from ..domain.identifiers import KEY, valid
from ..domain.orders import SETTLED_STATUSES
from ..errors import NotFound, ValidationFailed
from ..gateway import StripeGateway
from ..observability.logs import log
from .generations import create_once
from .services import Services

logger = logging.getLogger("service.refund")


def refund_key(order_id: str, nth: int, amount: int | None) -> str:
    """The idempotency key of the ``nth`` refund we initiate on an order."""
    return f"order-{order_id}-refund-{nth}-{'rest' if amount is None else amount}"


def find_refund(
    gateway: StripeGateway, payment_intent_id: str, key: str, order_id: str | None = None
) -> dict[str, Any] | None:
    """The PaymentIntent's refund at Stripe whose ``metadata.refund_key`` is ``key``, or None."""
    starting_after = None
    while True:
        page = gateway.list_refunds_page(payment_intent_id, starting_after, order_id=order_id)
        for refund in page["data"]:
            if (refund.get("metadata") or {}).get("refund_key") == key:
                return refund
        if not page.get("has_more") or not page["data"]:
            return None
        starting_after = page["data"][-1]["id"]


def refund_order(
    services: Services, order_id: str, amount: int | None = None, key: str | None = None, *, dry_run: bool = False
) -> dict[str, Any]:
    """Refund ``amount`` minor units (None: all that is left) of a paid order, once per key.

    Returns {order_id, refund_id, amount, currency, status, idempotency_key}. With ``dry_run``
    it checks and reads exactly as a real run (the order, Stripe's refunds of the
    PaymentIntent) but creates and records nothing, and returns {dry_run, action ("create" or
    "record_existing"), order_id, refund_id (an existing one, else None), amount (None: all
    that is left), currency, idempotency_key}. Raises NotFound,
    ValidationFailed, PaymentProviderError (Stripe refused, e.g. nothing left to refund),
    PaymentProviderUnavailable, DatabaseUnavailable; after any of the last two a rerun of
    the same command is safe at any time (the refund already made is found at Stripe).
    """
    order = services.store.orders.get(order_id)
    if order is None:
        raise NotFound(f"no order {order_id}", code="order_not_found")
    if order["status"] not in SETTLED_STATUSES or not order.get("payment_intent_id"):
        raise ValidationFailed(
            f"order {order_id} is {order['status']}: only money taken can be refunded", code="order_not_paid"
        )
    if amount is not None and (
        isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= order["amount"]
    ):
        raise ValidationFailed(f"amount must be an integer from 1 to {order['amount']}", code="invalid_amount")
    if key is not None and not valid(KEY, key):
        raise ValidationFailed("key must be 1-255 printable ASCII characters", code="invalid_key")
    key = key or refund_key(order_id, len(order.get("refunds") or []) + 1, amount)
    refund = found = find_refund(services.gateway, order["payment_intent_id"], key, order_id)
    if found is not None and amount is not None and found["amount"] != amount:
        raise ValidationFailed(
            f"key {key} was already used for refund {found['id']} of {found['amount']}, not {amount}",
            code="key_reused",
        )
    if dry_run:
        return _plan(order, found, amount, key)
    if refund is None:
        refund = _create(services, order, amount, key)
    services.store.orders.record_refund(
        order_id, {"id": refund["id"], "amount": refund["amount"], "status": refund.get("status"), "key": key}
    )
    log(
        logger,
        logging.INFO,
        "refund requested",
        order_id=order_id,
        refund_id=refund["id"],
        amount=refund["amount"],
        refund_status=refund.get("status"),
        idempotency_key=key,
        found_at_stripe=found is not None or None,
    )
    return {
        "order_id": order_id,
        "refund_id": refund["id"],
        "amount": refund["amount"],
        "currency": refund.get("currency"),
        "status": refund.get("status"),
        "idempotency_key": key,
    }


def _create(services: Services, order: dict[str, Any], amount: int | None, key: str) -> dict[str, Any]:
    gateway, pi_id, order_id = services.gateway, order["payment_intent_id"], order["_id"]
    return create_once(
        services,
        order,
        key,
        lambda generation_key: gateway.create_refund(pi_id, amount, generation_key, order_id, refund_key=key),
        lambda: find_refund(gateway, pi_id, key, order_id),
        utcnow(),
        timedelta(0),  # the refund list is consistent: no search lag to wait for
    )


def _plan(order: dict[str, Any], found: dict[str, Any] | None, amount: int | None, key: str) -> dict[str, Any]:
    return {
        "dry_run": True,
        "action": "create" if found is None else "record_existing",
        "order_id": order["_id"],
        "refund_id": found and found["id"],
        "amount": found["amount"] if found else amount,
        "currency": order["currency"],
        "idempotency_key": key,
    }
