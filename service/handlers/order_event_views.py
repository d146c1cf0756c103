"""The operator's and the consumer's views of order events: the feed (``GET
/admin/order-events``), the events of one order with their delivery attempts (``orders
show``, ``GET /admin/orders/<id>``) and the outbox numbers for /metrics.

Read-only. The feed's cursor is the event's position, taken in relay order under the
relay's lease, so a cursor stays valid and nothing is skipped when events are added after
it. Never a response body, a secret or a URL's query string.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..domain.order_events import payload
from ..errors import ValidationFailed
from .services import Services
from .views import iso

MAX_FEED_LIMIT = 500


def parse_cursor(text: str | None) -> int:
    """The position a cursor names (0 for none). Raises ValidationFailed for anything else."""
    if text is None or text == "":
        return 0
    if not text.isdigit() or len(text) > 18:
        raise ValidationFailed(
            "after must be a cursor this feed returned", code="invalid_query", details={"field": "after"}
        )
    return int(text)


def feed(services: Services, after: int, limit: int) -> dict[str, Any]:
    """{events: [{cursor, id, type, timestamp, data}], next_cursor}: events after ``after`` in
    the order they were relayed; pass ``next_cursor`` back as ``after`` for the next page."""
    rows = services.store.outbox.after(after, min(limit, MAX_FEED_LIMIT))
    events = [{"cursor": str(row["position"]), "id": row["_id"], **payload({**row, "id": row["_id"]})} for row in rows]
    return {"events": events, "next_cursor": events[-1]["cursor"] if events else str(after)}


def order_events_of(services: Services, order: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The order's events (recorded on it, relayed or not) with every endpoint's delivery."""
    events = order.get("events") or []
    rows = services.store.deliveries.for_events([e["id"] for e in events])
    names = {e.endpoint_id: e.display for e in services.settings.shop_endpoints}
    by_event: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_event.setdefault(row["event_id"], []).append(_delivery(row, names))
    return [
        {
            "event_id": e["id"],
            "seq": e["seq"],
            "type": e["type"],
            "at": iso(e["at"]),
            "deliveries": by_event.get(e["id"], []),
        }
        for e in events
    ]


def _delivery(row: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "endpoint": row["endpoint"],
        "url": names.get(row["endpoint"]),
        "state": row["state"],
        "attempts": row.get("attempts", 0),
        "next_attempt_at": iso(row.get("next_attempt_at")) if row["state"] == "pending" else None,
        "log": [{**attempt, "at": iso(attempt.get("at"))} for attempt in row.get("log") or []],
    }


def outbox_stats(services: Services, now: datetime) -> dict[str, dict[str, Any]]:
    """Per configured endpoint: pending, dead, oldest pending age (s), failures, failing for (s),
    and whether it has been failing longer than OUTBOX_ALERT_AFTER_SECONDS."""
    stats = services.store.deliveries.stats()
    out: dict[str, dict[str, Any]] = {}
    for endpoint in services.settings.shop_endpoints:
        entry = stats.get(endpoint.endpoint_id, {})
        oldest, since = entry.get("oldest_pending_at"), entry.get("failing_since")
        failing_for = (now - since).total_seconds() if since else 0.0
        out[endpoint.endpoint_id] = {
            "pending": entry.get("pending", 0),
            "dead": entry.get("dead", 0),
            "oldest_pending_age_seconds": (now - oldest).total_seconds() if oldest else 0.0,
            "failures": entry.get("failures", 0),
            "failing_for_seconds": failing_for,
            "alert": failing_for > services.settings.outbox_alert_after_seconds,
        }
    return out
