"""Refunds we initiate (``flask --app wsgi orders refund ORDER_ID [--amount N] [--key K]``).

The Stripe idempotency key is ``order-<id>-refund-<n>-<amount|rest>``, ``n`` being one more
than the number of refunds we initiated and recorded on the order:
- a retried command (Stripe timed out, the database failed, the process died) finds the
  same ``n`` and sends the same key, so Stripe replays the first refund instead of making
  a second one (Stripe keeps keys at least 24 h);
- refunding 500 twice on purpose works: once the first refund is recorded, ``n`` moves on;
- ``--key`` replaces the derived key (same key, same refund; a new key, a new refund).
The order's ``refund`` annotation itself is set by the ``charge.refunded`` webhook.
"""
import logging
import re

from ..errors import NotFound, ValidationFailed
from ..logs import log
from ..orders import NEEDS_REVIEW, PAID

logger = logging.getLogger("service.refund")
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def refund_key(order_id, nth, amount):
    """The idempotency key of the ``nth`` refund we initiate on an order."""
    return f"order-{order_id}-refund-{nth}-{'rest' if amount is None else amount}"


def refund_order(services, order_id, amount=None, key=None):
    """Refund ``amount`` minor units (None: all that is left) of a paid order, once per key.

    Returns {order_id, refund_id, amount, currency, status, idempotency_key}. Raises NotFound,
    ValidationFailed, PaymentProviderError (Stripe refused, e.g. nothing left to refund),
    PaymentProviderUnavailable, DatabaseUnavailable; after any of the last two a rerun of
    the same command is safe.
    """
    order = services.store.get_order(order_id)
    if order is None:
        raise NotFound(f"no order {order_id}", code="order_not_found")
    if order["status"] not in (PAID, NEEDS_REVIEW) or not order.get("payment_intent_id"):
        raise ValidationFailed(f"order {order_id} is {order['status']}: only money taken can be refunded",
                               code="order_not_paid")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)
                               or not 0 < amount <= order["amount"]):
        raise ValidationFailed(f"amount must be an integer from 1 to {order['amount']}", code="invalid_amount")
    if key is not None and not _KEY.match(key):
        raise ValidationFailed("key must be 1-255 printable ASCII characters", code="invalid_key")
    key = key or refund_key(order_id, len(order.get("refunds") or []) + 1, amount)
    refund = services.gateway.create_refund(order["payment_intent_id"], amount, key, order_id)
    services.store.record_refund(order_id, {"id": refund["id"], "amount": refund["amount"],
                                            "status": refund.get("status"), "key": key})
    log(logger, logging.INFO, "refund requested", order_id=order_id, refund_id=refund["id"],
        amount=refund["amount"], refund_status=refund.get("status"), idempotency_key=key)
    return {"order_id": order_id, "refund_id": refund["id"], "amount": refund["amount"],
            "currency": refund.get("currency"), "status": refund.get("status"), "idempotency_key": key}
