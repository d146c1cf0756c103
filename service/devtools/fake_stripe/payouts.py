"""Payouts: money leaving the Stripe balance for the bank account, manual (POST /v1/payouts)
or automatic (Stripe's schedule, which sweeps every available transaction not yet paid
out), and what the bank then does with them."""

from __future__ import annotations

import copy

from . import ledger, money_objects
from .errors import FakeStripeError
from .state import Origin, Store

INSUFFICIENT = (
    "You have insufficient funds in your Stripe account for this transfer. Your card balance is too low. "
    "You can use the /v1/balance endpoint to view your Stripe balance (for more details, see "
    "stripe.com/docs/api#balance)."
)


def available(store: Store, currency: str) -> int:
    """The available balance in `currency` right now."""
    ledger.run_due(store)
    return ledger.totals(store, "available").get(currency, 0)


def _new(store: Store, amount: int, currency: str, automatic: bool, fields: dict, origin: Origin | None) -> dict:
    now = store.now()
    po = money_objects.payout(
        amount=amount,
        currency=currency,
        created=now,
        arrival_date=now + store.settlement.arrival_delay,
        automatic=automatic,
        destination=store.bank_account,
        fields=fields,
    )
    txn = ledger.record(store, type_="payout", amount=-amount, currency=currency, source=po["id"], convert=False)
    txn["description"] = po["description"]
    po["balance_transaction"] = txn["id"]
    store.payouts[po["id"]] = po
    if automatic:
        store.swept[txn["id"]] = po["id"]
    store.emit("payout.created", po, origin)
    return po


def create(store: Store, amount: int, currency: str, fields: dict, origin: Origin | None = None) -> dict:
    """A manual payout (automatic false, pending) with its balance transaction (type payout,
    amount −P, fee 0); emits payout.created. 400 balance_insufficient beyond the available
    balance (card funds only: another `source_type` has none)."""
    with store.lock:
        funds = available(store, currency) if fields.get("source_type", "card") == "card" else 0
        if amount > funds:
            raise FakeStripeError(400, "invalid_request_error", INSUFFICIENT, code="balance_insufficient")
        return copy.deepcopy(_new(store, amount, currency, False, fields, origin))


def run_automatic(store: Store, currency: str, short_by: int = 0) -> dict:
    """Stripe's scheduled payout: one automatic payout of the net of every available
    transaction in `currency` not yet paid out, less `short_by`; those transactions (and
    the payout's own) are linked to it. in_transit; emits payout.created, then (its
    reconciliation completed) payout.reconciliation_completed. Returns the Payout."""
    with store.lock:
        ledger.run_due(store)
        batch = [
            txn
            for txn in store.balance_transactions.values()
            if txn["currency"] == currency and txn["status"] == "available" and txn["id"] not in store.swept
        ]
        amount = sum(txn["net"] for txn in batch) - short_by
        if amount <= 0:
            raise FakeStripeError(400, "invalid_request_error", f"Nothing to pay out in {currency}: {amount}.")
        po = _new(store, amount, currency, True, {}, None)
        store.swept.update((txn["id"], po["id"]) for txn in batch)
        po["reconciliation_status"] = "completed"
        store.emit("payout.reconciliation_completed", po)
        return copy.deepcopy(po)


def cancel(store: Store, payout_id: str, origin: Origin | None = None) -> dict:
    """Cancel a pending manual payout: status canceled, a payout_cancel transaction (+P)
    as its `failure_balance_transaction`; emits payout.canceled. Returns the Payout."""
    with store.lock:
        po = store.find("payouts", "payout", payout_id, "payout")
        if po["automatic"]:
            raise FakeStripeError(400, "invalid_request_error", "You cannot cancel automatic Stripe payouts.")
        if po["status"] != "pending":
            raise FakeStripeError(
                400, "invalid_request_error", f"Payouts can only be canceled while they are pending ({po['status']})."
            )
        _reverse(store, po, "payout_cancel")
        po["status"] = "canceled"
        store.emit("payout.canceled", po, origin)
        return copy.deepcopy(po)


def pay(store: Store, payout_id: str) -> dict:
    """The bank received a pending or in-transit payout: status paid; emits payout.paid
    (returned)."""
    with store.lock:
        po = store.find("payouts", "payout", payout_id, "payout")
        _require(po, ("pending", "in_transit"), "be paid")
        po["status"] = "paid"
        return store.emit("payout.paid", po)


def fail(
    store: Store,
    payout_id: str,
    code: str = "account_closed",
    message: str = "The bank account has been closed.",
) -> dict:
    """The bank returned the payout: status failed, `failure_code`/`failure_message`, a
    payout_failure transaction (+P) as `failure_balance_transaction` (not yet paid out, so
    the next automatic payout sweeps it); emits payout.failed (returned)."""
    with store.lock:
        po = store.find("payouts", "payout", payout_id, "payout")
        _require(po, ("pending", "in_transit", "paid"), "fail")
        _reverse(store, po, "payout_failure")
        po.update(status="failed", failure_code=code, failure_message=message)
        return store.emit("payout.failed", po)


def _require(po: dict, statuses: tuple[str, ...], verb: str) -> None:
    if po["status"] not in statuses:
        raise FakeStripeError(
            400, "invalid_request_error", f"Payout {po['id']} has status {po['status']} and cannot {verb}."
        )


def _reverse(store: Store, po: dict, type_: str) -> None:
    txn = ledger.record(
        store, type_=type_, amount=po["amount"], currency=po["currency"], source=po["id"], convert=False
    )
    po["failure_balance_transaction"] = txn["id"]
