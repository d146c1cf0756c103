"""The webhook's common case in two commands: apply the presumed transition, then store the
event already ``applied``.

Why this order is safe: the presumed update is conditional on the event not being in the
order's history, and writes it there. A crash or outage between the two writes leaves no
200, so Stripe redelivers; the redelivery's presumed update matches nothing, the normal path
stores the row, reads the order, finds the event applied and marks the row. Never applied
twice, never a 200 before the event is applied (the order) and recorded (the row).
"""

import logging
from collections.abc import Mapping
from typing import Any

from ..domain.inbox import APPLIED, FINISHED
from ..domain.orders import NEEDS_REVIEW, Decision, PaymentFact
from ..domain.payment_facts import fact_from_event
from ..domain.presumption import Presumption, presume
from ..errors import DatabaseUnavailable
from ..observability.logs import log
from .intake import store_row
from .results import Applied, Outcome
from .services import Services
from .waiting import new_expected_by

logger = logging.getLogger("service.webhook")


def apply_presumed_first(services: Services, event: Mapping[str, Any]) -> tuple[Applied | None, bool]:
    """(Applied, True) when this call made the event's presumed transition; (None, tried)
    otherwise: no presumption for it, a miss (``tried``), or a permanent error (the normal
    path stores the row and records the error there). Raises DatabaseUnavailable."""
    try:
        fact = fact_from_event(event)
    except Exception:  # malformed: the normal path stores the row, then records the error
        return None, False
    presumed = presume(fact) if fact is not None else None
    if fact is None or presumed is None:
        return None, False
    try:
        applied = make_presumed(services, presumed, fact)
    except DatabaseUnavailable:
        raise
    except Exception:  # refused by the database: the normal path records it on the row
        return None, False
    return applied, True


def make_presumed(services: Services, presumed: Presumption, fact: PaymentFact) -> Applied | None:
    """Make ``presumed``'s transition by its one conditional update (no read): the Applied
    when this call made it, None when the order is not as presumed (nothing written).
    Raises DatabaseUnavailable and what the database refuses."""
    expected_by = new_expected_by(services.settings, presumed.decision.to_status, fact)
    if not services.store.orders.apply_presumed(presumed, fact, expected_by):
        return None
    log_transition(presumed.order_id, presumed.from_status, presumed.decision, fact)
    return Applied(APPLIED, presumed.decision.reason, presumed.order_id, changed=True)


def record_applied(services: Services, event: Mapping[str, Any], applied: Applied) -> Outcome:
    """Store the row of an event this request applied, already ``applied`` (one insert); a
    row stored earlier (a failed attempt, a concurrent copy) is marked instead. Idempotent.
    Raises DatabaseUnavailable."""
    inbox = services.store.inbox
    existing = store_row(services, event, applied)
    if existing is not None and existing["state"] not in FINISHED:
        inbox.finish(event["id"], applied.state, applied.detail, applied.order_id)
    return Outcome(event["id"], applied.state, applied.detail, applied.order_id)


def log_transition(order_id: str, from_status: str, decision: Decision, fact: PaymentFact) -> None:
    """The "order transition" log line (an alert when the order needs review)."""
    log(
        logger,
        logging.INFO,
        "order transition",
        order_id=order_id,
        source=fact.source_id,
        from_status=from_status,
        to_status=decision.to_status,
        reason=decision.reason,
        alert="payment_needs_review" if decision.to_status == NEEDS_REVIEW else None,
    )
