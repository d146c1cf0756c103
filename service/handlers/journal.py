"""Stripe calls whose outcome we do not know: journal records still ``sent`` past their
expected end (the process died, or the database failed, between the call and its answer).

Each is resolved by asking Stripe what exists, using what the record kept: the order id
(``metadata.order_id`` of a PaymentIntent), the PaymentIntent and refund key of a refund
(``metadata.refund_key``), the PaymentIntent of a cancel. A read changed nothing and is
resolved as such. Resolving records what Stripe holds; healing the order is the
reconciler's ordinary work on stuck orders.
"""

import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ..domain.journal import response_summary
from ..errors import ServiceError
from ..observability.logs import log
from .refund import find_refund
from .services import Services
from .summary import Summary

logger = logging.getLogger("service.journal")
_CANCEL = re.compile(r"/v1/payment_intents/(?P<id>[^/]+)/cancel")


def resolve_unknown_calls(services: Services, summary: Summary, pace: Callable[[], None], now: datetime) -> None:
    """Resolve one batch of overdue ``sent`` records; failures are counted and retried next pass."""
    journal = services.store.journal
    for record in journal.overdue(now, services.settings.reconcile_batch):
        try:
            resolution = _ask_stripe(services, record, pace)
        except ServiceError as exc:
            summary.failed += 1
            log(logger, logging.ERROR, "stripe call not resolved", call_id=record["_id"], error=exc.message)
            continue
        if journal.resolve(record["_id"], resolution):
            summary.calls_resolved += 1
            log(
                logger,
                logging.WARNING,
                "stripe call outcome resolved",
                call_id=record["_id"],
                method=record["method"],
                path=record["path"],
                order_id=record.get("order_id"),
                found=resolution.get("found"),
            )


def _ask_stripe(services: Services, record: Mapping[str, Any], pace: Callable[[], None]) -> dict[str, Any]:
    method, path, params = record["method"], record["path"], record.get("params") or {}
    order_id = record.get("order_id")
    gateway = services.gateway
    if method != "POST":
        return {"outcome": "a read: nothing changed at Stripe", "found": None}
    if path == "/v1/payment_intents" and order_id:
        pace()
        found = gateway.search_payment_intents(order_id)
        return {
            "outcome": "payment intents for the order" if found else "no payment intent for the order",
            "found": [response_summary(pi) for pi in found] or None,
        }
    if path == "/v1/refunds" and params.get("payment_intent") and record.get("idempotency_key"):
        pace()
        refund = find_refund(gateway, params["payment_intent"], record["idempotency_key"], order_id)
        return {
            "outcome": "refund exists" if refund else "no refund with this key",
            "found": response_summary(refund) if refund else None,
        }
    cancel = _CANCEL.fullmatch(path)
    if cancel:
        pace()
        pi = gateway.retrieve_payment_intent(cancel.group("id"), order_id=order_id)
        return {"outcome": f"payment intent is {pi.get('status')}", "found": response_summary(pi)}
    return {"outcome": "no lookup for this call: check it in the Stripe Dashboard", "found": None}
