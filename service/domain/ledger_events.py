"""Which Stripe events report money the ledger must post, and where the money is named.

Pure. The webhook stores these events marked for the ledger; the worker (never the webhook
request) reads the balance transactions they name from Stripe and posts them. An event
names its balance transactions directly (a charge's, a refund's, a payout's, a dispute's
list) or, for ``charge.refunded``, through the PaymentIntent's refunds.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

CHARGE_EVENTS: Final = ("charge.succeeded", "charge.updated", "charge.captured")
REFUND_EVENTS: Final = ("charge.refund.updated",)
REFUNDED_CHARGE_EVENT: Final = "charge.refunded"
DISPUTE_EVENTS: Final = (
    "charge.dispute.created",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
)
PAYOUT_EVENTS: Final = (
    "payout.created",
    "payout.paid",
    "payout.failed",
    "payout.canceled",
    "payout.reconciliation_completed",
)
LEDGER_EVENTS: Final = frozenset(
    (*CHARGE_EVENTS, *REFUND_EVENTS, REFUNDED_CHARGE_EVENT, *DISPUTE_EVENTS, *PAYOUT_EVENTS)
)
PENDING: Final = "pending"  # the inbox row's ``ledger`` mark while the worker has not posted it
FAILED: Final = "failed"  # ... when its money cannot be posted (the error is on the row)


@dataclass(frozen=True)
class LedgerRefs:
    """What one event asks the ledger worker to post."""

    balance_transactions: tuple[str, ...] = ()
    refunds_of_payment_intent: str | None = None  # list this PaymentIntent's refunds for theirs
    payout: Mapping[str, Any] | None = None  # a payout whose arrival (or failure after it) to post
    payout_arrived: bool = False
    payout_failed: bool = False


def ledger_refs(event: Mapping[str, Any]) -> LedgerRefs:
    """The money an event names (empty for an event that names none)."""
    kind, obj = event.get("type"), event.get("data", {}).get("object") or {}
    if kind in CHARGE_EVENTS:
        return LedgerRefs(_ids(obj.get("balance_transaction")))
    if kind in REFUND_EVENTS:
        return LedgerRefs(_ids(obj.get("balance_transaction"), obj.get("failure_balance_transaction")))
    if kind == REFUNDED_CHARGE_EVENT:
        pi = object_id(obj.get("payment_intent"))
        return LedgerRefs(_ids(obj.get("balance_transaction")), refunds_of_payment_intent=pi)
    if kind in DISPUTE_EVENTS:
        txns = obj.get("balance_transactions") or []
        return LedgerRefs(_ids(*txns) if isinstance(txns, list) else ())
    if kind in PAYOUT_EVENTS:
        ids = _ids(obj.get("balance_transaction"), obj.get("failure_balance_transaction"))
        status = obj.get("status")
        return LedgerRefs(ids, payout=obj, payout_arrived=status == "paid", payout_failed=status == "failed")
    return LedgerRefs()


def refund_balance_transactions(refund: Mapping[str, Any]) -> tuple[str, ...]:
    """The balance transactions of one refund (its own, and its failure's if it failed)."""
    return _ids(refund.get("balance_transaction"), refund.get("failure_balance_transaction"))


def source_refs(source: Any) -> tuple[str | None, str | None]:
    """(metadata order id, PaymentIntent id) named by a balance transaction's expanded source
    (a charge, refund or dispute); (None, None) for anything else or an unexpanded id."""
    if not isinstance(source, Mapping):
        return None, None
    metadata = source.get("metadata")
    order_id = metadata.get("order_id") if isinstance(metadata, Mapping) else None
    return (order_id if isinstance(order_id, str) else None), object_id(source.get("payment_intent"))


def object_id(value: Any) -> str | None:
    """The id of an expanded object or an id; None for anything else."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _ids(*values: Any) -> tuple[str, ...]:
    found = [object_id(value) for value in values]
    return tuple(dict.fromkeys(value for value in found if value))
