"""Operator actions on the webhook inbox: list rows, replay one through the normal path, or
preview what a replay would do."""

import json
from typing import Any

from ..domain.annotations import note_from_event
from ..domain.event_types import ORDER_TYPES
from ..domain.identifiers import EVENT_ID, valid
from ..domain.inbox import STATES
from ..domain.ledger_events import LEDGER_EVENTS
from ..domain.orders import decide
from ..domain.payment_facts import fact_from_event
from ..domain.radar import radar_from_event
from ..errors import EventUnreadable, NotFound, ValidationFailed
from .results import Outcome
from .services import Services
from .webhook import order_view, process_event


def list_events(services: Services, state: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Inbox rows, newest first (payloads omitted). Raises ValidationFailed for an unknown state."""
    if state is not None and state not in STATES:
        raise ValidationFailed(f"state must be one of {', '.join(STATES)}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise ValidationFailed("limit must be an integer from 1 to 1000", code="invalid_limit")
    return services.store.inbox.list_rows(state, limit)


def replay_event(services: Services, event_id: str) -> Outcome:
    """Re-apply a stored event through the webhook's apply path, whatever its state.

    Idempotent: an event already applied to its order is a no-op. Returns the Outcome;
    raises NotFound, DatabaseUnavailable, EventProcessingFailed.
    """
    return process_event(services, _stored_event(services, event_id)[1])


def preview_replay(services: Services, event_id: str) -> dict[str, Any]:
    """What ``replay_event`` would do now, decided by the same state machine, with nothing
    written: {dry_run, event_id, type, state (the row's), order_id, would (a sentence)}.
    Raises NotFound, DatabaseUnavailable."""
    row, event = _stored_event(services, event_id)
    plan = {"dry_run": True, "event_id": event_id, "type": event["type"], "state": row["state"]}
    if event["type"] not in ORDER_TYPES:
        why = "the ledger worker posts its money" if event["type"] in LEDGER_EVENTS else "the type is not handled"
        return {**plan, "order_id": row.get("order_id"), "would": f"be ignored for the order: {why}"}
    if bool(event.get("livemode")) != services.settings.livemode:
        return {**plan, "order_id": row.get("order_id"), "would": "be ignored: the event is from the other Stripe mode"}
    try:
        fact = fact_from_event(event)
        if fact is None:
            note_from_event(event) or radar_from_event(event)  # read strictly, as the replay will
    except EventUnreadable as exc:
        return {**plan, "order_id": row.get("order_id"), "would": f"be parked again: {exc.message}"}
    if fact is None:
        return {
            **plan,
            "order_id": row.get("order_id"),
            "would": "apply its refund, dispute or Radar note to the order (only ever forward: one recorded stays)",
        }
    order = services.store.orders.find_for_payment(fact.metadata_order_id, fact.payment_intent_id)
    if order is None:
        return {**plan, "order_id": None, "would": "be ignored: no order for this PaymentIntent"}
    view = order_view(order)
    decision = decide(view, fact)
    would = (
        f"move the order from {view.status} to {decision.to_status} ({decision.reason})"
        if decision.changes
        else f"change nothing ({decision.reason})"
    )
    return {**plan, "order_id": view.order_id, "would": would}


def _stored_event(services: Services, event_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if not valid(EVENT_ID, event_id):  # not an event id: never stored, and not echoed
        raise NotFound("no such stored event", code="event_not_found")
    row = services.store.inbox.get(event_id)
    if row is None:
        raise NotFound(f"no stored event {event_id}", code="event_not_found")
    return row, json.loads(row["payload"])
