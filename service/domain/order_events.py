"""Order events for the shop: which change of an order is told, under which type, and what
the event says. Pure: no I/O, no clock (callers pass ``now``).

An event is recorded by the same conditional update that makes the change it describes
(store/orders/), so there is no change without its event and no event for a change that
did not happen. Its id derives from the order's history: ``oev_<order_id>_<seq>``, ``seq``
the order's own event counter, incremented in that update.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from .annotations import PARTIALLY_REFUNDED, REFUNDED
from .order_view import iso

ORDER_PAID: Final = "order.paid"
ORDER_PAYMENT_FAILED: Final = "order.payment_failed"
ORDER_AWAITING_CUSTOMER: Final = "order.awaiting_customer"
ORDER_CANCELED: Final = "order.canceled"
ORDER_NEEDS_REVIEW: Final = "order.needs_review"
ORDER_REFUNDED: Final = "order.refunded"
ORDER_PARTIALLY_REFUNDED: Final = "order.partially_refunded"
ORDER_DISPUTED: Final = "order.disputed"
ORDER_DISPUTE_CLOSED: Final = "order.dispute_closed"
CONSOLIDATION_MISMATCH: Final = "consolidation.mismatch"

# Order status -> the event its arrival is told as. ``processing`` and ``pending`` are not
# told (nothing for the shop to do). "awaiting_customer" maps only when the state machine
# has that status (it is added by the Stripe-reality issue); a status the machine does not
# know never produces an event.
_STATUS_EVENTS: Final[dict[str, str]] = {
    "paid": ORDER_PAID,
    "payment_failed": ORDER_PAYMENT_FAILED,
    "awaiting_customer": ORDER_AWAITING_CUSTOMER,
    "canceled": ORDER_CANCELED,
    "needs_review": ORDER_NEEDS_REVIEW,
}
_REFUND_EVENTS: Final[dict[str, str]] = {REFUNDED: ORDER_REFUNDED, PARTIALLY_REFUNDED: ORDER_PARTIALLY_REFUNDED}
EVENT_TYPES: Final = (
    ORDER_PAID,
    ORDER_PAYMENT_FAILED,
    ORDER_AWAITING_CUSTOMER,
    ORDER_CANCELED,
    ORDER_NEEDS_REVIEW,
    ORDER_REFUNDED,
    ORDER_PARTIALLY_REFUNDED,
    ORDER_DISPUTED,
    ORDER_DISPUTE_CLOSED,
    CONSOLIDATION_MISMATCH,
)


def status_event_type(to_status: str, known_statuses: tuple[str, ...]) -> str | None:
    """The event type told when an order enters ``to_status``, or None when that change is
    not told (or ``to_status`` is not one of ``known_statuses``, the state machine's)."""
    return _STATUS_EVENTS.get(to_status) if to_status in known_statuses else None


def refund_event_type(refund: Mapping[str, Any]) -> str | None:
    """The event type of a newly recorded refund annotation (``decide_refund``'s), or None."""
    return _REFUND_EVENTS.get(str(refund.get("status")))


def dispute_event_type(dispute: Mapping[str, Any]) -> str:
    """The event type of a newly recorded dispute annotation (``decide_dispute``'s): closed when
    it has an outcome (won, lost, prevented, ...); an appeal reopens it (``order.disputed``)."""
    return ORDER_DISPUTE_CLOSED if dispute.get("outcome") is not None else ORDER_DISPUTED


def order_event_id(order_id: str, seq: int) -> str:
    """The event id of an order's ``seq``-th event: stable, so a relay can repair a gap."""
    return f"oev_{order_id}_{seq}"


def run_event_id(run_id: str, seq: int) -> str:
    """The event id of a consolidation run's ``seq``-th event."""
    return f"cev_{run_id}_{seq}"


def mismatch_data(run_id: str, run: Mapping[str, Any]) -> dict[str, Any]:
    """The data of a consolidation.mismatch event: which run, which period, how much is unmatched."""
    return {
        "run_id": run_id,
        "period": run.get("period"),
        "period_type": run.get("period_type"),
        "provisional": bool(run.get("provisional")),
        "unmatched": int(run.get("unmatched") or 0),
        "counts": dict(run.get("counts") or {}),
    }


def new_event(event_id: str, seq: int, event_type: str, now: datetime, data: Mapping[str, Any]) -> dict[str, Any]:
    """An event as it is pushed onto its order (or run) document."""
    return {"id": event_id, "seq": seq, "type": event_type, "at": now, "data": dict(data)}


def payload(event: Mapping[str, Any]) -> dict[str, Any]:
    """The body sent to the shop and served by the feed, shaped as Standard Webhooks
    recommends: ``type``, ``timestamp`` (ISO 8601) and ``data`` (with the event id and seq)."""
    data = dict(event["data"], event_id=event["id"], seq=event["seq"])
    return {"type": event["type"], "timestamp": iso(event["at"]), "data": data}
