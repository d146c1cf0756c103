"""What the inbox stores for one verified event, and which events need no apply at all.

An event that changes no order (a type the service does not handle, a ledger-only event,
an event of the other Stripe mode) is decided from the event alone, so its row is stored in
its final ``ignored`` state in the same single insert: one database command, and nothing
for a crash to leave half done.
"""

from collections.abc import Mapping
from typing import Any

from .. import serial
from ..clock import utcnow
from ..config import STRIPE_API_VERSION
from ..domain.annotations import event_refs
from ..domain.event_types import ORDER_TYPES
from ..domain.events import SECRET_KEYS, without_secrets
from ..domain.inbox import IGNORED, RECEIVED
from ..domain.ledger_events import LEDGER_EVENTS
from ..domain.ledger_events import PENDING as LEDGER_PENDING
from ..observability.api_versions import check_api_version
from .results import Applied
from .services import Services


def needs_no_apply(services: Services, event: Mapping[str, Any]) -> Applied | None:
    """The ``ignored`` result of an event that changes no order, decided without the
    database; None when the event carries a payment fact or an annotation (refund, dispute,
    Radar) for this mode.
    Decided by type and mode only (a malformed object is the apply's to record). Pure."""
    if event["type"] not in ORDER_TYPES:
        if event["type"] in LEDGER_EVENTS:
            return Applied(IGNORED, "no order change; the ledger worker posts its money")
        return Applied(IGNORED, f"event type {event['type']} is not handled")
    if bool(event.get("livemode")) != services.settings.livemode:
        return Applied(IGNORED, "event is from the other Stripe mode")
    return None


# How a secret key looks in orjson's output (keys are written as-is: no spaces, no escapes).
_SECRET_MARKS = tuple(f'"{key}":'.encode() for key in SECRET_KEYS)


def stored_payload(event: Mapping[str, Any]) -> str:
    """``event`` less every ``SECRET_KEYS`` key, as compact JSON. Walking a whole event
    costs more than the rest of the request's Python, so the known place (the object's own
    ``client_secret``) is dropped directly and the walk runs only when the serialised
    event still shows a secret key anywhere. Pure."""
    obj = event["data"]["object"]
    if "client_secret" in obj:  # a PaymentIntent's or SetupIntent's, where Stripe puts it
        data = {**event["data"], "object": {key: value for key, value in obj.items() if key != "client_secret"}}
        event = {**event, "data": data}
    text = serial.dumps(event)
    if any(mark in text for mark in _SECRET_MARKS):
        text = serial.dumps(without_secrets(event))
    return text.decode("utf-8")


def inbox_row(services: Services, event: Mapping[str, Any], final: Applied | None) -> dict[str, Any]:
    """The inbox row of ``event`` in stored form: ``received``, or already in ``final``'s
    state when the event needs no apply or this request has just applied it. The payload is
    the event less its secrets (nothing stored can confirm a payment); a ledger event of this
    mode is marked for the ledger worker (this request never calls Stripe)."""
    payment_intent_id, order_id = event_refs(event)
    now = utcnow()
    row: dict[str, Any] = {
        "_id": event["id"],
        "type": event["type"],
        "state": RECEIVED,
        "attempts": 0,
        "payload": stored_payload(event),
        "created": event["created"],
        "received_at": now,
        # The version the endpoint rendered the event in; another than the pinned one is counted.
        "api_version": event.get("api_version") if isinstance(event.get("api_version"), str) else None,
    }
    for key, value in (("payment_intent_id", payment_intent_id), ("order_id", order_id)):
        if value is not None:  # absent, as the schema stores an unset field
            row[key] = value
    if event["type"] in LEDGER_EVENTS and bool(event.get("livemode")) == services.settings.livemode:
        row["ledger"] = LEDGER_PENDING
    if final is not None:
        row.update(state=final.state, outcome=final.detail, applied_at=now, attempts=1)
        if final.order_id:
            row["order_id"] = final.order_id
    return row


def store_row(services: Services, event: Mapping[str, Any], final: Applied | None) -> dict[str, Any] | None:
    """Insert ``event``'s inbox row (``inbox_row``); None when this call stored it, else the
    row stored earlier (nothing written). An event stored now in another API version than the
    pinned one is counted once (metric and alert line). Raises DatabaseUnavailable."""
    existing = services.store.inbox.insert_or_get(inbox_row(services, event, final))
    if existing is None:
        check_api_version(event.get("api_version"), STRIPE_API_VERSION, event["id"])
    return existing
