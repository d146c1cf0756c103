"""Balance transactions: every movement of money in the Stripe balance, as Stripe books it.

Callers hold the store lock. A payment's funds (`charge`) wait `settlement.available_delay`
seconds before they are available; every other movement (refunds, disputes, payouts,
adjustments) is available at once, as Stripe debits and credits those immediately.
"""

from __future__ import annotations

from . import money_objects
from .errors import FakeStripeError
from .state import Origin, Store

_DELAYED_TYPES = ("charge", "payment")
# The reporting category Stripe gives a movement of each type when none is named.
CATEGORIES = {
    "adjustment": "other_adjustment",
    "charge": "charge",
    "payout": "payout",
    "payout_cancel": "payout_reversal",
    "payout_failure": "payout_reversal",
    "refund": "refund",
    "refund_failure": "refund_failure",
    "stripe_fee": "fee",
    "stripe_fx_fee": "fee",
    "tax_fee": "fee",
}


def record(
    store: Store,
    *,
    type_: str,
    amount: int,
    currency: str,
    source: str | None,
    reporting_category: str | None = None,
    fees: tuple[tuple[int, str], ...] = (),
    description: str | None = None,
    convert: bool = True,
) -> dict:
    """Book one balance transaction of `amount` minor units of `currency` (converted to the
    settlement currency unless `convert` is False; `fees` are (amount, description) pairs
    already in the settlement currency) and return the live dict."""
    amount, settled, rate = store.settlement.settle(amount, currency) if convert else (amount, currency, None)
    now = store.now()
    delay = store.settlement.available_delay if type_ in _DELAYED_TYPES else 0
    txn = money_objects.balance_transaction(
        type_=type_,
        reporting_category=reporting_category or CATEGORIES.get(type_, "other_adjustment"),
        amount=amount,
        currency=settled,
        created=now,
        available_on=now + delay,
        source=source,
        fee_details=[money_objects.fee_detail(fee, settled, text) for fee, text in fees if fee],
        description=description,
        exchange_rate=rate,
    )
    store.balance_transactions[txn["id"]] = txn
    return txn


def book_charge(store: Store, ch: dict) -> dict:
    """Book a succeeded charge: type charge, fee from the pricing schedule on the settled
    amount, net = amount − fee; sets the charge's `balance_transaction`."""
    settled, currency, _ = store.settlement.settle(ch["amount_captured"], ch["currency"])
    fee = store.pricing.processing_fee(settled, currency)
    txn = record(
        store,
        type_="charge",
        amount=ch["amount_captured"],
        currency=ch["currency"],
        source=ch["id"],
        fees=((fee, "Stripe processing fees"),),
        description=ch.get("description"),
    )
    ch["balance_transaction"] = txn["id"]
    return txn


def on_charge_succeeded(store: Store, ch: dict) -> None:
    """Book the charge now, or (with `settlement.charge_delay`) leave `balance_transaction`
    null and schedule it, waking the fake's timers."""
    delay = store.settlement.charge_delay
    if delay is None:
        book_charge(store, ch)
        return
    store.deferred[ch["id"]] = store.clock() + delay
    for wake in list(store.wakers):
        wake(delay)


def attach(store: Store, charge_id: str, origin: Origin | None = None) -> dict:
    """Give a charge whose balance transaction was deferred its transaction now; emits
    charge.updated with `previous_attributes` (returned). 400 if it already has one or
    never succeeded."""
    ch = store.find("charges", "charge", charge_id, "charge")
    if ch["balance_transaction"] is not None or ch["status"] != "succeeded":
        raise FakeStripeError(
            400, "invalid_request_error", f"Charge {charge_id} has no balance transaction waiting to be booked."
        )
    store.deferred.pop(charge_id, None)
    book_charge(store, ch)
    return store.emit("charge.updated", ch, origin, previous_attributes={"balance_transaction": None})


def run_due(store: Store) -> list[dict]:
    """Do what fell due by the store's clock: attach deferred charge transactions (oldest
    first, one charge.updated each) and make pending funds available. Returns the events."""
    now = store.clock()
    due = sorted((when, ch_id) for ch_id, when in store.deferred.items() if when <= now)
    events = [attach(store, ch_id) for _, ch_id in due]
    if not store.settlement.available_delay:
        return events  # every transaction was available from the start
    today = store.now()
    for txn in store.balance_transactions.values():
        if txn["status"] == "pending" and txn["available_on"] <= today:
            txn["status"] = "available"
    return events


def totals(store: Store, status: str) -> dict[str, int]:
    """Sum of `net` per currency over the transactions with this status."""
    sums: dict[str, int] = {}
    for txn in store.balance_transactions.values():
        if txn["status"] == status:
            sums[txn["currency"]] = sums.get(txn["currency"], 0) + txn["net"]
    return sums


def balance(store: Store) -> dict:
    """The Balance: available and pending funds per currency (the settlement currency, or
    usd, is always listed, as Stripe lists the account's default currency)."""
    run_due(store)
    default = store.settlement.currency or "usd"
    currencies = [default, *sorted({txn["currency"] for txn in store.balance_transactions.values()} - {default})]
    available, pending = totals(store, "available"), totals(store, "pending")
    return money_objects.balance(
        {cur: available.get(cur, 0) for cur in currencies}, {cur: pending.get(cur, 0) for cur in currencies}
    )
