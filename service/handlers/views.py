"""The JSON views of orders and inbox events that the HTTP API, the admin API and the CLI
share, so every surface shows the same fields. None of them ever includes a
``client_secret``, a request fingerprint or a raw event payload."""

from collections.abc import Mapping
from typing import Any

from ..domain.order_view import iso, public_order

PUBLIC_CHECKOUT_FIELDS = ("order_id", "status", "amount", "currency", "payment_intent_id")
_EVENT_FIELDS = (
    "type",
    "state",
    "attempts",
    "order_id",
    "payment_intent_id",
    "outcome",
    "last_error",
    "created",
    "received_at",
    "applied_at",
    "api_version",
)


def order_json(order: Mapping[str, Any]) -> dict[str, Any]:
    """The public view of an order (``GET /orders/<id>``), the same as every order event's data."""
    return public_order(order)


def stuck_order_json(order: Mapping[str, Any]) -> dict[str, Any]:
    """The operator's view of a stuck order."""
    return {
        "order_id": order["_id"],
        "status": order["status"],
        "amount": order["amount"],
        "currency": order["currency"],
        "payment_intent_id": order.get("payment_intent_id"),
        "created_at": order["created_at"].isoformat(),
        "expected_by": order["expected_by"].isoformat(),
    }


def event_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """The operator's view of an inbox row (never its payload)."""
    return {"event_id": row["_id"], **{key: iso(row.get(key)) for key in _EVENT_FIELDS}}


def consolidation_json(run: Mapping[str, Any]) -> dict[str, Any]:
    """A consolidation run as JSON (datetimes as ISO 8601; the mirror's cursor omitted)."""
    fields = (
        "period",
        "period_type",
        "start",
        "end",
        "state",
        "ok",
        "provisional",
        "unmatched",
        "started_at",
        "finished_at",
    )
    body = {"run_id": run["_id"], **{name: iso(run.get(name)) for name in fields}}
    for name in ("counts", "totals", "balance", "items", "error"):
        if name in run:
            body[name] = run[name]
    return body
