"""Disputes (chargebacks): the cardholder's bank takes a payment back, Stripe withdraws it
and its dispute fee from the balance, and gives the amount back if the dispute is won."""

from __future__ import annotations

import copy

from . import ledger, money_objects
from .errors import FakeStripeError
from .state import Origin, Store

OPEN = ("needs_response", "under_review", "warning_needs_response", "warning_under_review")


def open_dispute(store: Store, charge_id: str, reason: str = "fraudulent", origin: Origin | None = None) -> dict:
    """Dispute the whole of a succeeded charge: a withdrawal (type adjustment, category
    dispute, amount −A, fee = the dispute fee, net −A−fee), the charge marked `disputed`,
    a `needs_response` Dispute (returned). Emits charge.dispute.created then
    charge.dispute.funds_withdrawn."""
    with store.lock:
        ch = store.find("charges", "charge", charge_id, "charge")
        if ch["status"] != "succeeded" or ch["disputed"]:
            raise FakeStripeError(400, "invalid_request_error", f"Charge {charge_id} cannot be disputed.")
        withdrawal = ledger.record(
            store,
            type_="adjustment",
            reporting_category="dispute",
            amount=-ch["amount_captured"],
            currency=ch["currency"],
            source=None,
            fees=((store.pricing.dispute_fee, "Dispute fee"),),
            description=f"Chargeback withdrawal for {ch['id']}",
        )
        dp = money_objects.dispute(ch, created=store.now(), reason=reason, withdrawal=withdrawal)
        withdrawal["source"] = dp["id"]
        store.disputes[dp["id"]] = dp
        ch["disputed"] = True
        store.emit("charge.dispute.created", dp, origin)
        store.emit("charge.dispute.funds_withdrawn", dp, origin)
        return copy.deepcopy(dp)


def _closable(store: Store, dispute_id: str) -> dict:
    dp = store.find("disputes", "dispute", dispute_id)
    if dp["status"] not in OPEN:
        raise FakeStripeError(
            400, "invalid_request_error", f"Dispute {dispute_id} is already closed (status {dp['status']})."
        )
    return dp


def win(store: Store, dispute_id: str, origin: Origin | None = None) -> dict:
    """The merchant wins: status won, a reinstatement (type adjustment, category
    dispute_reversal, amount +A, fee 0, or −dispute fee where the pricing gives it back)
    appended to `balance_transactions`. Emits charge.dispute.funds_reinstated then
    charge.dispute.closed (returned)."""
    with store.lock:
        dp = _closable(store, dispute_id)
        withdrawal = dp["balance_transactions"][0]
        refunded_fee = withdrawal["fee"] if store.pricing.dispute_fee_refunded_on_win else 0
        reinstatement = ledger.record(
            store,
            type_="adjustment",
            reporting_category="dispute_reversal",
            amount=-withdrawal["amount"],
            currency=withdrawal["currency"],
            source=dp["id"],
            fees=((-refunded_fee, "Dispute fee refund"),),
            description=f"Chargeback reversal for {dp['charge']}",
            convert=False,
        )
        dp["balance_transactions"].append(reinstatement)
        dp["status"] = "won"
        store.emit("charge.dispute.funds_reinstated", dp, origin)
        return store.emit("charge.dispute.closed", dp, origin)


def lose(store: Store, dispute_id: str, origin: Origin | None = None) -> dict:
    """The merchant loses: status lost, the withdrawal stands. Emits charge.dispute.closed
    (returned)."""
    with store.lock:
        dp = _closable(store, dispute_id)
        dp["status"] = "lost"
        return store.emit("charge.dispute.closed", dp, origin)
