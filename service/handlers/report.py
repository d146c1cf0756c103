"""Consolidation report: every succeeded PaymentIntent matched to a paid order, and back.

Read-only. For a window [since, until) it lists Stripe's PaymentIntents created in the
window and our paid/needs-review orders created in it, and names every money flow that
does not match. ``ok`` is False when anything is unmatched. A payment that is not ours (no
``metadata.order_id`` of ours and no order holding its PaymentIntent: Invoices, Payment
Links, Dashboard charges) is counted and totalled per currency under ``not_ours``.
"""

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from ..domain.identifiers import ORDER_ID, valid
from ..domain.orders import PAID, PI_SUCCEEDED
from ..domain.reading import read_currency, read_int
from ..errors import PaymentProviderError, ValidationFailed
from .ratelimit import RateLimiter
from .services import Services

Doc = dict[str, Any]
MISSING = "resource_missing"  # Stripe's code for an object it does not know
# The longest window a report reads (every PaymentIntent created in it is listed from Stripe).
MAX_REPORT_HOURS = 24 * 93


def consolidation_report(services: Services, since: datetime, until: datetime) -> dict[str, Any]:
    """Return a dict: window, counts, ``mismatches`` (kind, ids, detail) and ``ok``.

    A paid order whose PaymentIntent Stripe does not know (keys of another account or mode, or
    the dev simulator restarted) is a ``payment_intent_not_found`` mismatch. Raises
    ValidationFailed for an empty window or one longer than MAX_REPORT_HOURS, and
    PaymentProviderUnavailable/Error or DatabaseUnavailable if a source is unreadable (a
    partial report would look like missing money)."""
    if not timedelta(0) < until - since <= timedelta(hours=MAX_REPORT_HOURS):
        raise ValidationFailed(
            f"the report window must end after it starts and last at most {MAX_REPORT_HOURS} hours",
            code="invalid_window",
        )
    limiter = RateLimiter(services.settings.stripe_read_rate)
    succeeded = [pi for pi in _payment_intents(services, limiter, since, until) if pi["status"] == PI_SUCCEEDED]
    orders = services.store.orders.for_payments(
        {str(order_id) for pi in succeeded if (order_id := (pi.get("metadata") or {}).get("order_id"))},
        {pi["id"] for pi in succeeded},
    )
    by_id = {order["_id"]: order for order in orders}
    by_pi = {order.get("payment_intent_id"): order for order in orders if order.get("payment_intent_id")}
    mismatches: list[Doc] = []
    matched: set[str] = set()
    pairs = 0
    not_ours: dict[str, dict[str, int]] = {}
    for pi in succeeded:
        metadata_order_id = (pi.get("metadata") or {}).get("order_id")
        order = by_id.get(metadata_order_id) or by_pi.get(pi["id"])
        if order is None and not valid(ORDER_ID, metadata_order_id):
            # Invoices, Payment Links, Dashboard charges: another integration's money, not a mismatch.
            # Read strictly: a missing amount must not be totalled as 0 (EventUnreadable names it).
            source = {"id": pi.get("id"), "type": "listed PaymentIntent"}
            row = not_ours.setdefault(read_currency(pi, "currency", source), {"count": 0, "amount": 0})
            row["count"] += 1
            row["amount"] += read_int(pi, "amount_received", source)
            continue
        problem = _compare(order, pi)
        if problem:
            mismatches.append(problem)
        else:
            pairs += 1
        if order is not None:
            matched.add(order["_id"])
    settled = services.store.orders.settled_between(since, until)
    for order in settled:
        if order["_id"] in matched:
            continue
        if not order.get("payment_intent_id"):
            mismatches.append(_row("paid_without_payment_intent", order, None, f"order is {order['status']}"))
            continue
        limiter.wait()  # its PI was created outside the window: look it up directly
        try:
            pi = services.gateway.retrieve_payment_intent(order["payment_intent_id"], order_id=order["_id"])
        except PaymentProviderError as exc:
            if exc.details.get("stripe_code") != MISSING:
                raise
            detail = f"Stripe has no PaymentIntent {order['payment_intent_id']} (another account or mode?)"
            mismatches.append(_row("payment_intent_not_found", order, None, detail))
            continue
        problem = (
            _compare(order, pi)
            if pi["status"] == PI_SUCCEEDED
            else _row("paid_without_succeeded_payment", order, pi, f"PaymentIntent is {pi['status']}")
        )
        if problem:
            mismatches.append(problem)
        else:
            pairs += 1
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "succeeded_payment_intents": len(succeeded),
        "paid_orders": sum(1 for order in settled if order["status"] == PAID),
        "matched": pairs,
        "not_ours": not_ours,
        "mismatches": mismatches,
        "ok": not mismatches,
    }


def _payment_intents(services: Services, limiter: RateLimiter, since: datetime, until: datetime) -> Iterator[Doc]:
    cursor = None
    while True:
        limiter.wait()
        page = services.gateway.list_payment_intents_page(
            created_gte=int(since.timestamp()), created_lt=int(until.timestamp()) + 1, starting_after=cursor
        )
        yield from page["data"]
        if not page["has_more"] or not page["data"]:
            return
        cursor = page["data"][-1]["id"]


def _compare(order: Mapping[str, Any] | None, pi: Mapping[str, Any]) -> Doc | None:
    if order is None:
        return _row("payment_without_order", None, pi, "no order for this succeeded PaymentIntent")
    if order["status"] != PAID:
        return _row("payment_not_marked_paid", order, pi, f"order is {order['status']}")
    if pi["amount_received"] != order["amount"] or pi["currency"] != order["currency"]:
        return _row(
            "amount_mismatch",
            order,
            pi,
            f"Stripe {pi['amount_received']} {pi['currency']}, order {order['amount']} {order['currency']}",
        )
    return None


def _row(kind: str, order: Mapping[str, Any] | None, pi: Mapping[str, Any] | None, detail: str) -> Doc:
    return {"kind": kind, "order_id": order and order["_id"], "payment_intent_id": pi and pi["id"], "detail": detail}
