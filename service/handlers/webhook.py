"""Webhook intake and the one apply path shared by webhooks, replays and the reconciler.

Reply contract (docs/ARCHITECTURE.md): bad signature/body -> WebhookRejected (400), nothing stored;
new or duplicate event -> stored once, applied at most once per order; database down ->
DatabaseUnavailable (503) with the row left ``received`` for redelivery; a permanent
error -> recorded on the row and EventProcessingFailed (500) until the row is parked as
``failed`` after ``webhook_max_attempts``, then a 200 so Stripe stops.
"""

import json
import logging
from collections.abc import Mapping
from typing import Any

from ..clock import utcnow
from ..domain.annotations import event_refs, note_from_event
from ..domain.events import check_event_shape, without_secrets
from ..domain.inbox import APPLIED, FAILED, IGNORED, RECEIVED
from ..domain.ledger_events import LEDGER_EVENTS
from ..domain.ledger_events import PENDING as LEDGER_PENDING
from ..domain.orders import (
    FINAL,
    NEEDS_REVIEW,
    OrderView,
    PaymentFact,
    decide,
    fact_from_event,
    refreshes_failure,
    refreshes_wait,
)
from ..errors import DatabaseUnavailable, EventProcessingFailed, ServiceError
from ..observability import metrics
from ..observability.logs import log
from .annotate import apply_note
from .results import Applied, Outcome
from .services import Services
from .waiting import new_expected_by

__all__ = ["Applied", "Outcome", "apply_event", "apply_fact", "ingest_event", "process_event", "receive_webhook"]
logger = logging.getLogger("service.webhook")
_RACE_ROUNDS = 5


def receive_webhook(services: Services, payload: bytes, signature_header: str | None) -> Outcome:
    """Verify, store and apply one delivery. Returns an Outcome (answer 200).

    Idempotent: a duplicate of a finished event has no second effect; a duplicate of a
    stored-but-unapplied event is applied now. Every database call of the delivery shares one
    deadline (``webhook_deadline_seconds``), so a slow database answers 503 well inside
    Stripe's 10 s. Raises WebhookRejected, DatabaseUnavailable, EventProcessingFailed.
    """
    deadline = services.store.deadline(services.settings.webhook_deadline_seconds)
    with metrics.observe_delivery(services.signature_alarm) as delivery, deadline:
        event = services.gateway.verify_webhook(payload, signature_header)
        check_event_shape(event)
        delivery.event_type = event["type"]
        try:
            outcome = ingest_event(services, event)
        except ServiceError as exc:  # so the 5xx log line names the event
            exc.context["event_id"] = event["id"]
            raise
        delivery.outcome = "duplicate" if outcome.duplicate else outcome.state
        return outcome


def ingest_event(services: Services, event: Mapping[str, Any]) -> Outcome:
    """Store ``event`` in the inbox unless it is there, then apply it unless it is finished.

    The one intake path for webhooks and for events recovered from Stripe's Events API. The
    stored payload is the event without its secrets (``client_secret``): nothing stored can
    confirm a payment.
    """
    payment_intent_id, order_id = event_refs(event)
    row = {
        "_id": event["id"],
        "type": event["type"],
        "state": RECEIVED,
        "attempts": 0,
        "payload": json.dumps(without_secrets(event), separators=(",", ":")),
        "created": event["created"],
        "payment_intent_id": payment_intent_id,
        "order_id": order_id,
        "received_at": utcnow(),
    }
    if event["type"] in LEDGER_EVENTS and bool(event.get("livemode")) == services.settings.livemode:
        row["ledger"] = LEDGER_PENDING  # the worker posts its money; this request never calls Stripe
    existing = services.store.inbox.insert_or_get(row)
    if existing is not None and existing["state"] != RECEIVED:
        return Outcome(event["id"], existing["state"], "duplicate delivery", existing.get("order_id"), True)
    return process_event(services, event)


def process_event(services: Services, event: Mapping[str, Any]) -> Outcome:
    """Apply a stored event and finish its inbox row. Used by webhooks and replays.

    Raises DatabaseUnavailable (row stays ``received``) or EventProcessingFailed; returns
    an Outcome with state ``failed`` once the row is parked.
    """
    inbox = services.store.inbox
    try:
        applied = apply_event(services, event)
    except DatabaseUnavailable:
        raise
    except Exception as exc:  # a bug or a permanent error: keep it on the row, not just in the log
        error = f"{type(exc).__name__}: {exc}"
        row = inbox.fail(event["id"], error, services.settings.webhook_max_attempts)
        parked = row is not None and row["state"] == FAILED
        log(
            logger,
            logging.ERROR,
            "event apply failed",
            event_id=event["id"],
            event_type=event["type"],
            error=error,
            attempts=row and row["attempts"],
            parked=parked,
            exc_info=True,
            alert="failed_inbox_events" if parked else None,
        )
        if parked:
            return Outcome(event["id"], FAILED, error)
        raise EventProcessingFailed("the event could not be applied; it will be retried") from exc
    inbox.finish(event["id"], applied.state, applied.detail, applied.order_id)
    return Outcome(event["id"], applied.state, applied.detail, applied.order_id)


def apply_event(services: Services, event: Mapping[str, Any]) -> Applied:
    """Apply one event's payment fact, or its refund/dispute annotation. Returns an Applied."""
    fact = fact_from_event(event)
    note = None if fact else note_from_event(event)
    if fact is None and note is None:
        if event["type"] in LEDGER_EVENTS:
            return Applied(IGNORED, "no order change; the ledger worker posts its money")
        return Applied(IGNORED, f"event type {event['type']} is not handled")
    if bool(event.get("livemode")) != services.settings.livemode:
        return Applied(IGNORED, "event is from the other Stripe mode")
    if fact is not None:
        return apply_fact(services, fact)
    assert note is not None
    return apply_note(services, note)


def apply_fact(services: Services, fact: PaymentFact) -> Applied:
    """The one apply path: decide with the state machine, persist with one conditional update.

    Safe under concurrency: a lost race re-reads the order and decides again. Returns
    an Applied; raises DatabaseUnavailable, EventProcessingFailed.
    """
    orders = services.store.orders
    order = orders.find_for_payment(fact.metadata_order_id, fact.payment_intent_id)
    if order is None:
        return Applied(IGNORED, "no order for this PaymentIntent")
    view = order_view(order)
    for _ in range(_RACE_ROUNDS):
        view = order_view(order)
        decision = decide(view, fact)
        if not decision.changes:
            if refreshes_failure(view, fact) and fact.failure_message:
                orders.note_failure(view.order_id, fact.occurred_at, fact.failure_message)
            elif refreshes_wait(view, fact) and fact.wait is not None:
                orders.note_wait(view.order_id, fact.occurred_at, fact.wait.as_dict())
            elif fact.occurred_at > view.last_event_at and view.status not in FINAL:
                orders.advance_clock(view.order_id, fact.occurred_at)
            return Applied(APPLIED, "no-op: " + decision.reason, view.order_id)
        if orders.apply_transition(order, decision, fact, new_expected_by(services.settings, decision.to_status, fact)):
            log(
                logger,
                logging.INFO,
                "order transition",
                order_id=view.order_id,
                source=fact.source_id,
                from_status=view.status,
                to_status=decision.to_status,
                reason=decision.reason,
                alert="payment_needs_review" if decision.to_status == NEEDS_REVIEW else None,
            )
            return Applied(APPLIED, decision.reason, view.order_id, changed=True)
        order = orders.get(view.order_id)
        if order is None:
            break
    raise EventProcessingFailed(f"order {view.order_id} kept changing while applying {fact.source_id}")


def order_view(order: Mapping[str, Any]) -> OrderView:
    """What the state machine needs of a stored order."""
    return OrderView(
        order_id=order["_id"],
        status=order["status"],
        amount=order["amount"],
        currency=order["currency"],
        payment_intent_id=order.get("payment_intent_id"),
        last_event_at=order.get("last_event_at") or 0,
        applied_sources=frozenset(step["source"] for step in order.get("history") or ()),
    )
