"""Webhook intake and the one apply path shared by webhooks, replays and the reconciler.

Reply contract (docs/ARCHITECTURE.md): bad signature/body -> WebhookRejected (400), nothing stored;
new or duplicate event -> stored once, applied at most once per order; database down ->
DatabaseUnavailable (503) with the row left ``received`` for redelivery; a permanent
error -> recorded on the row and EventProcessingFailed (500) until the row is parked as
``failed`` after ``webhook_max_attempts``, then a 200 so Stripe stops.
"""

import logging
from collections.abc import Mapping
from typing import Any

from ..domain.annotations import note_from_event
from ..domain.events import check_event_shape
from ..domain.inbox import APPLIED, FAILED, IGNORED, RECEIVED
from ..domain.orders import (
    FINAL,
    OrderView,
    PaymentFact,
    decide,
    refreshes_failure,
    refreshes_wait,
)
from ..domain.payment_facts import fact_from_event
from ..domain.presumption import presume
from ..domain.radar import radar_from_event
from ..errors import DatabaseUnavailable, EventProcessingFailed, EventUnreadable, ServiceError
from ..observability import metrics
from ..observability.logs import log
from .annotate import apply_note
from .hot_path import apply_presumed_first, log_transition, make_presumed, record_applied
from .intake import needs_no_apply, store_row
from .radar import apply_radar
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

    The one intake path for webhooks and for events recovered from Stripe's Events API. An
    event that changes no order is stored in its final state by one insert (intake.py). A
    payment fact in its common case is applied first by one presumed update, then stored
    already ``applied`` by one insert: a crash between the two leaves no 200, and the
    redelivery finds the event in the order's history (never applied twice). When that update
    matches nothing the row is read first (a duplicate then costs that one read); anything
    else is one insert, then the apply and the mark; a duplicate of an event without a
    presumption is the refused insert and one read.
    """
    inbox = services.store.inbox
    final = needs_no_apply(services, event)
    presumed, tried = (None, False) if final is not None else apply_presumed_first(services, event)
    if presumed is not None:
        return record_applied(services, event, presumed)
    existing = inbox.get(event["id"]) if tried else None
    if existing is None:
        existing = store_row(services, event, final)
    if existing is None:
        if final is not None:
            return Outcome(event["id"], final.state, final.detail)
    elif existing["state"] != RECEIVED:
        return Outcome(event["id"], existing["state"], "duplicate delivery", existing.get("order_id"), True)
    return process_event(services, event, presume_first=not tried)


def process_event(services: Services, event: Mapping[str, Any], presume_first: bool = True) -> Outcome:
    """Apply a stored event and finish its inbox row. Used by webhooks and replays
    (``presume_first`` False: the caller's presumed update already missed).

    Raises DatabaseUnavailable (row stays ``received``) or EventProcessingFailed; returns
    an Outcome with state ``failed`` once the row is parked.
    """
    inbox = services.store.inbox
    try:
        applied = apply_event(services, event, presume_first)
    except DatabaseUnavailable:
        raise
    except Exception as exc:  # a bug or a permanent error: keep it on the row, not just in the log
        error = f"{type(exc).__name__}: {exc}"
        # An unreadable event reads the same way next time: parked at once, redone by a replay.
        attempts = 1 if isinstance(exc, EventUnreadable) else services.settings.webhook_max_attempts
        row = inbox.fail(event["id"], error, attempts)
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


def apply_event(services: Services, event: Mapping[str, Any], presume_first: bool = True) -> Applied:
    """Apply one event's payment fact, or its refund/dispute/Radar annotation. Returns an Applied;
    raises EventUnreadable when a field it needs is missing or mistyped."""
    ignored = needs_no_apply(services, event)
    if ignored is not None:
        return ignored
    fact = fact_from_event(event)
    if fact is not None:
        return apply_fact(services, fact, presume_first)
    note = note_from_event(event)
    if note is not None:
        return apply_note(services, note)
    radar = radar_from_event(event)
    assert radar is not None  # needs_no_apply holds when an event has none of the three
    return apply_radar(services, radar)


def apply_fact(services: Services, fact: PaymentFact, presume_first: bool = True) -> Applied:
    """The one apply path: decide with the state machine, persist with one conditional update.

    The common case is tried first without a read (domain/presumption.py; skipped when
    ``presume_first`` is False). Safe under concurrency: a lost race re-reads the order and
    decides again. Returns an Applied; raises DatabaseUnavailable, EventProcessingFailed.
    """
    orders = services.store.orders
    presumed = presume(fact) if presume_first else None
    if presumed is not None:  # the common case: no read
        applied = make_presumed(services, presumed, fact)
        if applied is not None:
            return applied
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
            log_transition(view.order_id, view.status, decision, fact)
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
