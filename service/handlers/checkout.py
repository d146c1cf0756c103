"""Checkout: validate, price from the catalog, save the order, create its PaymentIntent.

Checkout never decides that an order is paid; webhooks do.
"""
import hashlib
import json
import logging
import re
import uuid
from datetime import timedelta

from ..errors import IdempotencyConflict, NotFound, ValidationFailed
from ..logs import log
from ..models import Order, OrderItem
from ..orders import PENDING
from ..store import utcnow
from .payment_intents import find_or_create_payment_intent

logger = logging.getLogger("service.checkout")

MAX_ITEMS = 50
MAX_QUANTITY = 1000
MAX_AMOUNT = 99_999_999  # Stripe's limit: eight digits of minor units
_SKU = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# No control characters, and no lone surrogates (JSON "\ud800"), which cannot be stored as UTF-8.
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\ud800-\udfff]{1,64}@[^@\s\x00-\x1f\ud800-\udfff]{1,189}"
                    r"\.[^@\s\x00-\x1f\ud800-\udfff]{1,63}$")
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_ORDER_ID = re.compile(r"^ord_[0-9a-f]{32}$")


def parse_checkout(body):
    """Return (items {sku: quantity}, email) from a checkout body. Raises ValidationFailed."""
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object", code="invalid_body")
    unknown = set(body) - {"items", "email"}
    if unknown:
        raise ValidationFailed(f"unknown field(s): {', '.join(sorted(map(str, unknown)))[:200]}",
                               code="unknown_field")
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise ValidationFailed("items must be a non-empty list", code="empty_cart")
    if len(items) > MAX_ITEMS:
        raise ValidationFailed(f"at most {MAX_ITEMS} items per order", code="too_many_items")
    merged = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict) or set(item) != {"sku", "quantity"}:
            raise ValidationFailed(f"items[{index}] must be {{\"sku\", \"quantity\"}}", code="invalid_item")
        sku, quantity = item["sku"], item["quantity"]
        if not isinstance(sku, str) or not _SKU.match(sku):
            raise ValidationFailed(f"items[{index}].sku is not a valid SKU", code="invalid_sku")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
            raise ValidationFailed(f"items[{index}].quantity must be an integer from 1 to {MAX_QUANTITY}",
                                   code="invalid_quantity")
        merged[sku] = merged.get(sku, 0) + quantity
        if merged[sku] > MAX_QUANTITY:
            raise ValidationFailed(f"quantity of {sku} exceeds {MAX_QUANTITY}", code="invalid_quantity")
    email = body.get("email")
    if email is not None and (not isinstance(email, str) or not _EMAIL.match(email)):
        raise ValidationFailed("email is not a valid address", code="invalid_email")
    return merged, email


def check_idempotency_key(key):
    """Validate an Idempotency-Key header value (None allowed). Raises ValidationFailed."""
    if key is not None and not _KEY.match(key):
        raise ValidationFailed("Idempotency-Key must be 1-255 visible ASCII characters",
                               code="invalid_idempotency_key")
    return key


def start_checkout(services, body, idempotency_key=None):
    """Create (or, for a repeated Idempotency-Key, return) an order and its PaymentIntent.

    Returns (order dict, client_secret, replayed). The order is saved as ``pending`` before
    Stripe is called, and the PaymentIntent is created from the stored order with a fixed
    idempotency key, so a retry never creates a second one. Raises ValidationFailed,
    IdempotencyConflict, DatabaseUnavailable, PaymentProvider{Unavailable,Error}; after a
    Stripe failure the order stays pending without a PI and a retry finishes it.
    """
    items, email = parse_checkout(body)
    check_idempotency_key(idempotency_key)
    fingerprint = hashlib.sha256(json.dumps([sorted(items.items()), email]).encode()).hexdigest()
    store = services.store
    if idempotency_key:
        existing = store.find_order_by_idempotency_key(idempotency_key)
        if existing is not None:
            return _finish(services, _same_request(existing, fingerprint), replayed=True)
    order = _price(store.get_products(items.keys()), items, email,
                   timedelta(seconds=services.settings.payment_deadline_seconds))
    order.idempotency_key, order.request_fingerprint = idempotency_key, fingerprint
    order.validate()
    stored, created = store.insert_order(order)
    if not created:
        return _finish(services, _same_request(stored, fingerprint), replayed=True)
    log(logger, logging.INFO, "order created", order_id=order.order_id, amount=order.amount,
        currency=order.currency, idempotency_key=idempotency_key)
    # Re-read: the PaymentIntent is built from what the database holds, not from memory.
    return _finish(services, store.get_order(order.order_id), replayed=False)


def _same_request(order, fingerprint):
    if order.get("request_fingerprint") != fingerprint:
        raise IdempotencyConflict("this Idempotency-Key was used with a different request")
    return order


def _price(products, items, email, deadline):
    unknown = sorted(set(items) - set(products))
    if unknown:
        raise ValidationFailed(f"unknown SKU(s): {', '.join(unknown)}", code="unknown_sku")
    currencies = {products[sku]["currency"] for sku in items}
    if len(currencies) != 1:
        raise ValidationFailed("all items must be priced in one currency", code="mixed_currency")
    lines = [OrderItem(sku=sku, name=products[sku]["name"], quantity=qty,
                       unit_amount=products[sku]["unit_amount"]) for sku, qty in sorted(items.items())]
    amount = sum(line.quantity * line.unit_amount for line in lines)
    if amount > MAX_AMOUNT:
        raise ValidationFailed(f"order total exceeds {MAX_AMOUNT} minor units", code="amount_too_large")
    now = utcnow()
    return Order(order_id="ord_" + uuid.uuid4().hex, status=PENDING, amount=amount,
                 currency=currencies.pop(), items=lines, email=email, history=[],
                 created_at=now, updated_at=now, expected_by=now + deadline)


def _finish(services, order, replayed):
    if order.get("payment_intent_id"):
        pi = services.gateway.retrieve_payment_intent(order["payment_intent_id"], order_id=order["_id"])
    elif order["status"] != PENDING:
        raise ValidationFailed("this order can no longer be paid", code="order_closed")
    else:
        pi = find_or_create_payment_intent(services, order, utcnow())
        order = services.store.attach_payment_intent(order["_id"], pi["id"])
    return order, pi["client_secret"], replayed


def get_order(services, order_id):
    """The order dict for a well-formed id. Raises NotFound."""
    order = _ORDER_ID.match(order_id or "") and services.store.get_order(order_id)
    if not order:
        raise NotFound("no such order", code="order_not_found")
    return order
