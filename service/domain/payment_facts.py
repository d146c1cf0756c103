"""Payment facts read from what Stripe tells us: a delivered event's PaymentIntent snapshot,
or a PaymentIntent the reconciler retrieved. Pure; reads are strict (domain/reading.py): a
field the decision needs that is missing or mistyped raises EventUnreadable, never a default.
"""

from collections.abc import Mapping
from typing import Any

from .orders import (
    EVENT_TRIGGERS,
    PAYMENT_FAILED,
    PI_REQUIRES_PAYMENT_METHOD,
    PI_STATUS_TRIGGERS,
    REQUIRES_ACTION,
    PaymentFact,
)
from .reading import Source, read_currency, read_int, read_metadata_order_id, read_optional_str
from .waits import customer_wait


def fact_from_event(event: Mapping[str, Any]) -> PaymentFact | None:
    """The PaymentFact carried by a Stripe event dict, or None if the type is not a payment fact."""
    trigger = EVENT_TRIGGERS.get(str(event.get("type")))
    if trigger is None:
        return None
    pi = event["data"]["object"]
    return _fact(event["id"], trigger, pi, read_int(event, "created", event), event)


def fact_from_payment_intent(pi: Mapping[str, Any], observed_at: float) -> PaymentFact | None:
    """The PaymentFact a retrieved PaymentIntent implies, or None if its status implies none.

    A PI back in ``requires_payment_method`` with a ``last_payment_error`` is a failed
    attempt. The source id names the PI and what was seen, so reconciling twice is a no-op.
    A PI in ``requires_action`` is a wait on the customer, named by its next action.
    """
    trigger = PI_STATUS_TRIGGERS.get(str(pi.get("status")))
    seen = str(pi.get("status"))
    error = pi.get("last_payment_error")
    if trigger is None and seen == PI_REQUIRES_PAYMENT_METHOD and error:
        trigger, seen = PAYMENT_FAILED, "failed:" + str(error.get("charge") or error.get("code") or "")
    if trigger == REQUIRES_ACTION:
        seen += ":" + str((pi.get("next_action") or {}).get("type"))
    if trigger is None:
        return None
    source = {"id": pi.get("id"), "type": "retrieved PaymentIntent"}
    return _fact(f"reconcile:{pi['id']}:{seen}", trigger, pi, int(observed_at), source)


def _fact(source_id: str, trigger: str, pi: Mapping[str, Any], occurred_at: int, source: Source) -> PaymentFact:
    # Strict reads (domain/reading.py): a missing amount is an unreadable event, never 0.
    error = pi.get("last_payment_error") or {}
    processing = pi.get("processing")
    return PaymentFact(
        source_id=source_id,
        trigger=trigger,
        payment_intent_id=read_optional_str(pi, "id", source),
        amount_received=read_int(pi, "amount_received", source),
        currency=read_currency(pi, "currency", source),
        metadata_order_id=read_metadata_order_id(pi, source),
        occurred_at=occurred_at,
        failure_message=error.get("message") if trigger == PAYMENT_FAILED else None,
        wait=customer_wait(pi) if trigger == REQUIRES_ACTION else None,
        processing_type=processing.get("type") if isinstance(processing, Mapping) else None,
    )
