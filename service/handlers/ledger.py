"""Posting money to the ledger: the worker's half of every money event, and the one place a
balance transaction becomes an entry (consolidation's healing uses it too).

The webhook request only marks an event for the ledger; here, in the worker, the balance
transactions it names are read from Stripe (rate-limited) and posted, each once: an entry
id is derived from the Stripe object, so a replay, a second worker or consolidation
healing the same movement posts nothing more.
"""

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from ..domain.ledger import (
    LedgerError,
    entry_for_balance_transaction,
    entry_for_payout_arrival,
    entry_id_for_balance_transaction,
)
from ..domain.ledger_events import ledger_refs, refund_balance_transactions, source_refs
from ..errors import ServiceError
from ..observability import alerts
from ..observability.logs import log
from .services import Services
from .summary import Summary

logger = logging.getLogger("service.ledger")
Pace = Callable[[], None]


def post_pending(services: Services, summary: Summary, pace: Pace) -> None:
    """Post the money of every event waiting for the ledger (one batch, oldest first).

    An event whose money cannot be posted (a field missing or inconsistent) is parked with
    the error and an alert; a Stripe or database failure leaves it waiting for the next pass.
    """
    inbox = services.store.inbox
    for row in inbox.ledger_pending(services.settings.reconcile_batch):
        try:
            summary.ledger_posted += post_event(services, json.loads(row["payload"]), pace)
            inbox.ledger_done(row["_id"])
        except LedgerError as exc:
            inbox.ledger_failed(row["_id"], str(exc))
            summary.failed += 1
            alerts.emit(alerts.LEDGER_UNPOSTABLE, "money the ledger cannot post", event_id=row["_id"], error=str(exc))
        except ServiceError as exc:
            summary.failed += 1
            log(logger, logging.ERROR, "ledger posting failed", event_id=row["_id"], error=exc.message)


def post_event(services: Services, event: Mapping[str, Any], pace: Pace) -> int:
    """Post every movement one event names; returns how many entries this call posted.
    Idempotent. Raises LedgerError, PaymentProvider{Unavailable,Error}, DatabaseUnavailable."""
    refs = ledger_refs(event)
    txn_ids = list(refs.balance_transactions)
    if refs.refunds_of_payment_intent:
        txn_ids += _refund_transactions(services, refs.refunds_of_payment_intent, pace)
    posted = post_balance_transactions(services, txn_ids, pace, posted_by=event.get("id"))
    if refs.payout is not None and refs.payout_arrived:
        posted += services.store.ledger.post(entry_for_payout_arrival(refs.payout), posted_by=event.get("id"))
    if refs.payout is not None and refs.payout_failed:
        arrived = entry_for_payout_arrival(refs.payout)
        if services.store.ledger.get(arrived.entry_id) is not None:  # reported paid, then failed
            reversal = entry_for_payout_arrival(refs.payout, reversal=True)
            posted += services.store.ledger.post(reversal, posted_by=event.get("id"))
    return posted


def post_balance_transactions(services: Services, txn_ids: list[str], pace: Pace, posted_by: str | None) -> int:
    """Read and post the balance transactions not yet in the ledger; returns how many were posted."""
    wanted = {entry_id_for_balance_transaction(txn_id): txn_id for txn_id in txn_ids}
    missing = set(wanted) - services.store.ledger.existing_ids(wanted) if wanted else set()
    posted = 0
    for entry_id in sorted(missing):
        pace()
        txn = services.gateway.balance.retrieve_transaction(wanted[entry_id])
        posted += post_transaction(services, txn, posted_by)
    return posted


def post_transaction(services: Services, txn: Mapping[str, Any], posted_by: str | None) -> int:
    """Post one balance transaction (its ``source`` expanded, as listed or retrieved), linked
    to our order when its source names one. Returns 1 when this call posted it, else 0."""
    source = txn.get("source") if isinstance(txn.get("source"), Mapping) else None
    entry = entry_for_balance_transaction(txn, order_id=order_for_source(services, source), source=source)
    return int(services.store.ledger.post(entry, posted_by=posted_by))


def order_for_source(services: Services, source: Mapping[str, Any] | None) -> str | None:
    """Our order id for a movement's source (a charge, refund or dispute), or None (not ours)."""
    metadata_order_id, payment_intent_id = source_refs(source)
    if not (metadata_order_id or payment_intent_id):
        return None
    order = services.store.orders.find_for_payment(metadata_order_id, payment_intent_id)
    return None if order is None else str(order["_id"])


def _refund_transactions(services: Services, payment_intent_id: str, pace: Pace) -> list[str]:
    ids: list[str] = []
    starting_after = None
    while True:
        pace()
        page = services.gateway.list_refunds_page(payment_intent_id, starting_after)
        for refund in page["data"]:
            ids += refund_balance_transactions(refund)
        if not page.get("has_more") or not page["data"]:
            return ids
        starting_after = page["data"][-1]["id"]
