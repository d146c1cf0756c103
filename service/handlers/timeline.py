"""An order's timeline for the operator: status changes, inbox events, Stripe calls and ledger
entries, oldest first, with the order's net position from the ledger.

Read-only; one index-served query per source. Nothing secret: payloads and client secrets
are never read here.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..domain.identifiers import ORDER_ID, valid
from ..domain.ledger import order_position
from ..errors import NotFound
from .order_event_views import order_events_of
from .services import Services
from .views import iso, order_json


def order_timeline(services: Services, order_id: str) -> dict[str, Any]:
    """{order, position, timeline}. Raises NotFound, DatabaseUnavailable."""
    store = services.store
    if not valid(ORDER_ID, order_id):  # not an order id: never stored, and not echoed
        raise NotFound("no such order", code="order_not_found")
    order = store.orders.get(order_id)
    if order is None:
        raise NotFound(f"no order {order_id}", code="order_not_found")
    entries = store.ledger.for_order(order_id)
    timeline = [_created(order)]
    timeline += [_status(step) for step in order.get("history") or []]
    timeline += [_event(row) for row in store.inbox.for_order(order_id, order.get("payment_intent_id"))]
    timeline += [_call(call) for call in store.journal.for_order(order_id)]
    timeline += [_entry(entry) for entry in entries]
    # Stripe's times are whole seconds: within one second, show what happened here first.
    timeline.sort(key=lambda item: (item["at"][:19], _RANK[item["what"]], item["at"]))
    return {
        "order": order_json(order),
        "position": order_position(entries),
        "timeline": timeline,
        "order_events": order_events_of(services, order),
    }


_RANK = {"order": 0, "stripe_call": 1, "stripe_event": 2, "status": 3, "ledger": 4}


def _created(order: Mapping[str, Any]) -> dict[str, Any]:
    return {"at": iso(order["created_at"]), "what": "order", "detail": f"created {order['amount']} {order['currency']}"}


def _status(step: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "at": iso(step["at"]),
        "what": "status",
        "detail": f"{step['from']} -> {step['to']}",
        "reason": step.get("reason"),
        "source": step.get("source"),
    }


def _event(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "at": iso(row["received_at"]),
        "what": "stripe_event",
        "detail": f"{row['type']}: {row['state']}",
        "event_id": row["_id"],
        "outcome": row.get("outcome") or row.get("last_error"),
        "ledger": row.get("ledger"),
    }


def _call(call: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "at": iso(call["started_at"]),
        "what": "stripe_call",
        "detail": f"{call['method']} {call['path']}: {call['state']}",
        "call_id": call["_id"],
        "idempotency_key": call.get("idempotency_key"),
        "http_status": call.get("http_status"),
        "request_id": call.get("request_id"),
        "response": call.get("response") or None,
        "error": call.get("error") or None,
        "resolution": call.get("resolution") or None,
    }


def _entry(entry: Any) -> dict[str, Any]:
    return {
        "at": datetime.fromtimestamp(entry.created, UTC).isoformat(),
        "what": "ledger",
        "detail": f"{entry.kind} {entry.amount} {entry.currency} (fee {entry.fee}, net {entry.net})",
        "entry_id": entry.entry_id,
        "lines": [{"account": line.account, "amount": line.amount} for line in entry.lines],
    }
