"""Balance, BalanceTransaction, Payout and Dispute endpoints: validate Stripe params, read
or move money.

Each endpoint accepts exactly the parameter names in its `*_PARAMS` set, every one a key of
stripe-python's matching `stripe.params` TypedDict (tests check this).
"""

from __future__ import annotations

import re

from . import ledger, listing, payouts
from .errors import invalid
from .forms import check_known, to_int, to_metadata
from .state import Call

_LIST = frozenset({"limit", "starting_after", "ending_before", "expand"})
BALANCE_PARAMS = frozenset({"expand"})
BALANCE_TRANSACTION_LIST_PARAMS = frozenset({"created", "currency", "payout", "source", "type", *_LIST})
BALANCE_TRANSACTION_RETRIEVE_PARAMS = frozenset({"expand"})
PAYOUT_CREATE_PARAMS = frozenset(
    {"amount", "currency", "description", "destination", "expand", "metadata", "method", "source_type"}
    | {"statement_descriptor"}
)
PAYOUT_LIST_PARAMS = frozenset({"arrival_date", "created", "destination", "status", *_LIST})
PAYOUT_RETRIEVE_PARAMS = frozenset({"expand"})
PAYOUT_CANCEL_PARAMS = frozenset({"expand"})
DISPUTE_RETRIEVE_PARAMS = frozenset({"expand"})
MANUAL_PAYOUT_FILTER = "Balance transaction history can only be filtered on automatic transfers, not manual."


def retrieve_balance(call: Call) -> dict:
    """GET /v1/balance: available and pending funds per currency."""
    check_known(call.params, BALANCE_PARAMS)
    return ledger.balance(call.store)


def list_balance_transactions(call: Call) -> dict:
    """GET /v1/balance_transactions: newest first; `created`, `currency`, `payout` (an
    automatic payout: the transactions it paid out and its own; a manual one is refused as
    Stripe does), `source`, `type` filters; cursor pages."""
    p = call.params
    check_known(p, BALANCE_TRANSACTION_LIST_PARAMS)
    ledger.run_due(call.store)
    by_created = listing.created_filter(p.get("created"))
    currency, source, type_ = p.get("currency"), p.get("source"), p.get("type")
    payout_id = p.get("payout")
    if payout_id is not None:
        po = call.store.find("payouts", "payout", payout_id, "payout")
        if not po["automatic"]:
            raise invalid(MANUAL_PAYOUT_FILTER, param="payout")
    swept = call.store.swept
    return listing.page(
        list(reversed(call.store.balance_transactions.values())),
        lambda txn: (
            by_created(txn)
            and currency in (None, txn["currency"])
            and source in (None, txn["source"])
            and type_ in (None, txn["type"])
            and payout_id in (None, swept.get(txn["id"]))
        ),
        p,
        "/v1/balance_transactions",
        "balance_transaction",
    )


def retrieve_balance_transaction(call: Call) -> dict:
    """GET /v1/balance_transactions/:id: the transaction, or 404 resource_missing."""
    check_known(call.params, BALANCE_TRANSACTION_RETRIEVE_PARAMS)
    ledger.run_due(call.store)
    return call.store.find("balance_transactions", "balance_transaction", call.args["id"])


def create_payout(call: Call) -> dict:
    """POST /v1/payouts: a manual payout of `amount` `currency` to the bank account; 400 on a
    missing/non-positive amount, a bad currency, method or source_type, an unknown
    destination, or more than the available balance (balance_insufficient)."""
    p = call.params
    check_known(p, PAYOUT_CREATE_PARAMS)
    for name in ("amount", "currency"):
        if p.get(name) in (None, ""):
            raise invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
    amount = to_int(p["amount"], "amount")
    if amount < 1:
        raise invalid("This value must be greater than or equal to 1.", param="amount", code="amount_too_small")
    currency = p["currency"]
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
        raise invalid(f"Invalid currency: {currency}.", param="currency")
    for name, allowed in (("method", ("standard", "instant")), ("source_type", ("bank_account", "card", "fpx"))):
        if p.get(name) is not None and p[name] not in allowed:
            raise invalid(f"Invalid {name}: must be one of {', '.join(allowed)}", param=name)
    if p.get("destination") not in (None, call.store.bank_account):
        raise invalid(f"No such external account: '{p['destination']}'", param="destination", code="resource_missing")
    descriptor = p.get("statement_descriptor")
    if descriptor is not None and (not isinstance(descriptor, str) or len(descriptor) > 22):
        raise invalid("The statement descriptor must be at most 22 characters.", param="statement_descriptor")
    fields = {name: p[name] for name in ("description", "method", "source_type", "statement_descriptor") if name in p}
    fields["metadata"] = to_metadata(p.get("metadata"))
    return payouts.create(call.store, amount, currency.lower(), fields, call.origin)


def list_payouts(call: Call) -> dict:
    """GET /v1/payouts: newest first; `created`, `arrival_date` (int or gt/gte/lt/lte),
    `status`, `destination` filters; cursor pages."""
    p = call.params
    check_known(p, PAYOUT_LIST_PARAMS)
    by_created = listing.created_filter(p.get("created"))
    by_arrival = listing.created_filter(p.get("arrival_date"), "arrival_date")
    status, destination = p.get("status"), p.get("destination")
    return listing.page(
        list(reversed(call.store.payouts.values())),
        lambda po: (
            by_created(po)
            and by_arrival(po)
            and status in (None, po["status"])
            and destination in (None, po["destination"])
        ),
        p,
        "/v1/payouts",
        "payout",
    )


def retrieve_payout(call: Call) -> dict:
    """GET /v1/payouts/:id: the payout, or 404 resource_missing."""
    check_known(call.params, PAYOUT_RETRIEVE_PARAMS)
    return call.store.find("payouts", "payout", call.args["id"])


def cancel_payout(call: Call) -> dict:
    """POST /v1/payouts/:id/cancel: the canceled payout; 400 unless pending and manual."""
    check_known(call.params, PAYOUT_CANCEL_PARAMS)
    return payouts.cancel(call.store, call.args["id"], call.origin)


def retrieve_dispute(call: Call) -> dict:
    """GET /v1/disputes/:id: the dispute with its balance transactions, or 404."""
    check_known(call.params, DISPUTE_RETRIEVE_PARAMS)
    ledger.run_due(call.store)
    return call.store.find("disputes", "dispute", call.args["id"])
