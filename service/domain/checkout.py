"""What a checkout request may say, and what the order it creates costs.

Pure: the caller passes the catalog entries and ``now``; prices come only from the catalog
(the client names SKUs and quantities, never amounts). Raises ValidationFailed (422) with
a stable ``code`` for anything the client can fix.
"""

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from ..errors import IdempotencyConflict, ValidationFailed
from .currency import charge_problem
from .identifiers import EMAIL, KEY, SKU, valid
from .orders import PENDING

MAX_ITEMS: Final = 50
MAX_QUANTITY: Final = 1000


def parse_checkout(body: object) -> tuple[dict[str, int], str | None]:
    """Return (items {sku: quantity}, email) from a checkout body. Raises ValidationFailed."""
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object", code="invalid_body")
    unknown = set(body) - {"items", "email"}
    if unknown:
        raise ValidationFailed(f"unknown field(s): {', '.join(sorted(map(str, unknown)))[:200]}", code="unknown_field")
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise ValidationFailed("items must be a non-empty list", code="empty_cart")
    if len(items) > MAX_ITEMS:
        raise ValidationFailed(f"at most {MAX_ITEMS} items per order", code="too_many_items")
    merged: dict[str, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict) or set(item) != {"sku", "quantity"}:
            raise ValidationFailed(f'items[{index}] must be {{"sku", "quantity"}}', code="invalid_item")
        sku, quantity = item["sku"], item["quantity"]
        if not valid(SKU, sku):
            raise ValidationFailed(f"items[{index}].sku is not a valid SKU", code="invalid_sku")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
            raise ValidationFailed(
                f"items[{index}].quantity must be an integer from 1 to {MAX_QUANTITY}", code="invalid_quantity"
            )
        merged[sku] = merged.get(sku, 0) + quantity
        if merged[sku] > MAX_QUANTITY:
            raise ValidationFailed(f"quantity of {sku} exceeds {MAX_QUANTITY}", code="invalid_quantity")
    email = body.get("email")
    if email is not None and not valid(EMAIL, email):
        raise ValidationFailed("email is not a valid address", code="invalid_email")
    return merged, email


def check_idempotency_key(key: str | None) -> str | None:
    """Validate an Idempotency-Key header value (None allowed). Raises ValidationFailed."""
    if key is not None and not valid(KEY, key):
        raise ValidationFailed("Idempotency-Key must be 1-255 visible ASCII characters", code="invalid_idempotency_key")
    return key


def fingerprint(items: Mapping[str, int], email: str | None) -> str:
    """A digest of what a checkout asked for: one Idempotency-Key may only repeat the same request."""
    return hashlib.sha256(json.dumps([sorted(items.items()), email]).encode()).hexdigest()


def same_request(order: Mapping[str, Any], request_fingerprint: str) -> Mapping[str, Any]:
    """Return ``order`` if it was created by the same request. Raises IdempotencyConflict."""
    if order.get("request_fingerprint") != request_fingerprint:
        raise IdempotencyConflict("this Idempotency-Key was used with a different request")
    return order


def price_order(
    products: Mapping[str, Mapping[str, Any]],
    items: Mapping[str, int],
    email: str | None,
    now: datetime,
    deadline: timedelta,
) -> dict[str, Any]:
    """A new ``pending`` order (a plain dict) priced from ``products`` (sku -> catalog entry).

    Raises ValidationFailed for an unknown or archived SKU, mixed currencies, or a total Stripe
    would refuse (``amount_below_minimum``, ``amount_too_large``, ... from ``domain/currency.py``),
    so nothing is stored and Stripe is not called.
    """
    unknown = sorted(set(items) - set(products))
    if unknown:
        raise ValidationFailed(f"unknown SKU(s): {', '.join(unknown)}", code="unknown_sku")
    archived = sorted(sku for sku in items if products[sku].get("archived"))
    if archived:
        raise ValidationFailed(f"no longer sold: {', '.join(archived)}", code="product_archived")
    currencies = {products[sku]["currency"] for sku in items}
    if len(currencies) != 1:
        raise ValidationFailed("all items must be priced in one currency", code="mixed_currency")
    lines = [
        {"sku": sku, "name": products[sku]["name"], "quantity": qty, "unit_amount": products[sku]["unit_amount"]}
        for sku, qty in sorted(items.items())
    ]
    amount = sum(line["quantity"] * line["unit_amount"] for line in lines)
    currency = next(iter(currencies))
    problem = charge_problem(amount, currency)
    if problem is not None:
        code, sentence = problem
        raise ValidationFailed(f"the order total {sentence}", code=code)
    return {
        "_id": "ord_" + uuid.uuid4().hex,
        "status": PENDING,
        "amount": amount,
        "currency": currency,
        "items": lines,
        "email": email,
        "history": [],
        "created_at": now,
        "updated_at": now,
        "expected_by": now + deadline,
    }
