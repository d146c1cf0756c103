"""The money side of refunds: the refund's balance transaction, and a refund that fails
after it succeeded (the bank could not return the money) and comes back to the balance."""

from __future__ import annotations

from . import ledger
from .errors import FakeStripeError
from .state import Origin, Store

# Stripe's documented Refund.failure_reason values.
FAILURE_REASONS = (
    "charge_for_pending_refund_disputed",
    "declined",
    "expired_or_canceled_card",
    "insufficient_funds",
    "lost_or_stolen_card",
    "merchant_request",
    "unknown",
)


def book_refund(store: Store, rf: dict) -> dict:
    """Book a refund: type refund, amount −R, fee 0 (Stripe keeps the charge's fee),
    net −R; sets the refund's `balance_transaction`."""
    txn = ledger.record(store, type_="refund", amount=-rf["amount"], currency=rf["currency"], source=rf["id"])
    rf["balance_transaction"] = txn["id"]
    return txn


def fail_refund(
    store: Store, refund_id: str, reason: str = "expired_or_canceled_card", origin: Origin | None = None
) -> dict:
    """A succeeded (or pending) refund fails: status failed, `failure_reason`, and a
    `failure_balance_transaction` (type refund_failure, amount +R) returns the money; the
    charge's `amount_refunded` drops back. Emits charge.refund.updated (returned)."""
    if reason not in FAILURE_REASONS:
        raise ValueError(f"failure reason must be one of {', '.join(FAILURE_REASONS)}")
    with store.lock:
        rf = store.find("refunds", "refund", refund_id)
        if rf["status"] not in ("succeeded", "pending"):
            raise FakeStripeError(
                400, "invalid_request_error", f"Refund {refund_id} has status {rf['status']} and cannot fail."
            )
        txn = ledger.record(
            store, type_="refund_failure", amount=rf["amount"], currency=rf["currency"], source=rf["id"]
        )
        rf.update(status="failed", failure_reason=reason, failure_balance_transaction=txn["id"])
        ch = store.charges[rf["charge"]]
        ch["amount_refunded"] -= rf["amount"]
        ch["refunded"] = ch["amount_refunded"] >= ch["amount_captured"]
        return store.emit("charge.refund.updated", rf, origin)
