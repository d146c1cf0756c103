"""The public view of an order: ``GET /orders/<id>`` and every order event's data. Pure.

Never includes ``client_secret``, the request fingerprint, history or raw payloads. An order
event pushed by a presumed update (domain/presumption.py: the order was not read) carries
the view's changing part only; the relay completes it with the parts fixed at checkout
(``IMMUTABLE``), read from the order itself.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

# Set at checkout and never changed: what a presumed update's event leaves to the relay.
IMMUTABLE: Final = ("amount", "currency", "items", "created_at")
# The annotations a presumed update requires to be absent (its filter), so its view is known.
ANNOTATIONS: Final = ("refund", "dispute", "radar_review", "fraud_warning")
_ITEM_KEYS: Final = ("sku", "name", "quantity", "unit_amount")
# The view's keys in the order GET /orders/<id> shows them.
_KEY_ORDER: Final = (
    "order_id",
    "status",
    "amount",
    "currency",
    "payment_intent_id",
    "items",
    "last_payment_error",
    "customer_action",
    "refund",
    "dispute",
    "radar_review",
    "fraud_warning",
    "created_at",
    "updated_at",
)


def public_order(order: Mapping[str, Any]) -> dict[str, Any]:
    """The public view of a stored order (the whole document as read)."""
    return {
        "order_id": order["_id"],
        "status": order["status"],
        "amount": order["amount"],
        "currency": order["currency"],
        "payment_intent_id": order.get("payment_intent_id"),
        "items": _items(order),
        "last_payment_error": order.get("last_payment_error"),
        "customer_action": customer_action_json(order.get("customer_action")),
        "refund": _note(order.get("refund"), ("status", "amount_refunded", "currency")),
        "dispute": _note(order.get("dispute"), ("status", "stripe_status", "outcome", "amount", "currency", "reason")),
        "radar_review": _note(order.get("radar_review"), ("id", "open", "reason")),
        "fraud_warning": _note(order.get("fraud_warning"), ("id", "open", "reason")),
        "created_at": iso(order["created_at"]),
        "updated_at": iso(order["updated_at"]),
    }


def presumed_view(order: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The view of an order a presumed update changes without reading it: ``order`` is what its
    filter holds (``_id``, status, PaymentIntent; no annotation), ``changes`` its ``$set``.
    Lacks ``IMMUTABLE``, which ``completed_view`` adds."""
    known = {**order, **changes, **dict.fromkeys(ANNOTATIONS)}
    view = public_order({**known, "amount": None, "currency": None, "items": [], "created_at": None})
    return {key: value for key, value in view.items() if key not in IMMUTABLE}


def completed_view(order: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` (an event's view, whole or presumed) with the ``IMMUTABLE`` parts taken from
    ``order`` where it lacks them, in the public view's key order."""
    fixed = {
        "amount": order.get("amount"),
        "currency": order.get("currency"),
        "items": _items(order),
        "created_at": iso(order.get("created_at")),
    }
    merged = {**fixed, **data}
    return {key: merged[key] for key in _KEY_ORDER if key in merged}


def customer_action_json(action: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What the customer must still do (``awaiting_customer`` orders), the expiry as ISO 8601."""
    if not action:
        return None
    expires_at = action.get("expires_at")
    return {
        "kind": action.get("kind"),
        "method": action.get("method"),
        "url": action.get("url"),
        "expires_at": datetime.fromtimestamp(expires_at, UTC).isoformat() if expires_at is not None else None,
        "amount_remaining": action.get("amount_remaining"),
    }


def iso(value: Any) -> Any:
    """``value`` as ISO 8601 when it is a datetime, else unchanged."""
    return value.isoformat() if isinstance(value, datetime) else value


def _note(annotation: Mapping[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any] | None:
    return {key: annotation.get(key) for key in keys} if annotation else None


def _items(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{k: item[k] for k in _ITEM_KEYS} for item in order.get("items") or []]
