"""Radar's signals about a payment: a review (opened by a rule or by hand, then closed) and an
issuer's early fraud warning. They annotate the order so fulfilment can wait and the shop can
refund before a dispute; they never change the payment status.

Pure. Order independence comes from monotone values, as for disputes: a review keeps the
highest (rank, event time) seen (open < closed), so ``review.closed`` delivered before
``review.opened`` still ends closed; an early fraud warning is recorded once (the first id
seen), since Stripe sends one per charge.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from .reading import read_int, read_optional_str, read_ref, read_str, unreadable

REVIEW_OPENED: Final = "review.opened"
REVIEW_CLOSED: Final = "review.closed"
EARLY_FRAUD_WARNING: Final = "radar.early_fraud_warning.created"
RADAR_EVENTS: Final = (REVIEW_OPENED, REVIEW_CLOSED, EARLY_FRAUD_WARNING)
REVIEW: Final = "radar_review"  # the order field (not needs_review's review_reason)
FRAUD_WARNING: Final = "fraud_warning"


@dataclass(frozen=True)
class RadarFact:
    """What a Radar event says about one payment. ``kind`` (the order field it annotates) is
    ``radar_review`` or ``fraud_warning``."""

    source_id: str
    event_type: str
    kind: str
    object_id: str
    payment_intent_id: str | None
    charge_id: str | None
    is_open: bool  # a review still open; a warning still actionable
    reason: str | None  # review: opened/closed reason; warning: fraud_type
    occurred_at: int

    @property
    def rank(self) -> int:
        return 1 if self.is_open and self.kind == REVIEW else 2


def radar_from_event(event: Mapping[str, Any]) -> RadarFact | None:
    """The RadarFact of a Radar event (None for any other type). Reads strictly: raises
    EventUnreadable naming a missing or mistyped field."""
    kind, obj = event.get("type"), event["data"]["object"]
    if kind not in RADAR_EVENTS:
        return None
    review = kind != EARLY_FRAUD_WARNING
    flag = "open" if review else "actionable"
    if not isinstance(obj.get(flag), bool):
        raise unreadable(flag, "a boolean", obj.get(flag), event)
    reason = read_optional_str(obj, "closed_reason", event) if review else None
    return RadarFact(
        source_id=event["id"],
        event_type=str(kind),
        kind=REVIEW if review else FRAUD_WARNING,
        object_id=read_str(obj, "id", event),
        payment_intent_id=read_ref(obj, "payment_intent", event),
        charge_id=read_ref(obj, "charge", event),
        is_open=obj[flag],
        reason=reason or read_str(obj, "reason" if review else "fraud_type", event),
        occurred_at=read_int(event, "created", event),
    )


def decide_radar(recorded: Mapping[str, Any] | None, fact: RadarFact) -> dict[str, Any] | None:
    """The order's sub-document (``review`` or ``fraud_warning``) to store for ``fact``, or None
    when it adds nothing: a review moves forward in (rank, event time) only; a warning is
    recorded once."""
    if recorded is not None:
        if fact.kind == FRAUD_WARNING:
            return None
        seen = (int(recorded.get("rank", 0)), int(recorded.get("occurred_at", 0)))
        if seen >= (fact.rank, fact.occurred_at):
            return None
    return {
        "id": fact.object_id,
        "open": fact.is_open,
        "reason": fact.reason,
        "charge_id": fact.charge_id,
        "rank": fact.rank,
        "occurred_at": fact.occurred_at,
        "source": fact.source_id,
    }
