"""The pure posting rules of the double-entry ledger: every movement, reversals, suspense,
and balance invariants over any sequence of movements."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain import ledger
from service.domain.ledger import Entry, LedgerError, Line


def txn(kind, amount, fee=0, currency="usd", category=None, txn_id="txn_1", created=1_700_000_000, **extra):
    """A Stripe-shaped balance transaction."""
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "type": kind,
        "reporting_category": category or kind,
        "amount": amount,
        "fee": fee,
        "net": amount - fee,
        "currency": currency,
        "created": created,
        **extra,
    }


def lines(entry):
    return {line.account: line.amount for line in entry.lines}


def test_a_captured_payment_credits_sales_and_debits_fees_and_the_stripe_balance():
    """A charge: gross to sales, fee to Stripe fees, net to the Stripe balance."""
    entry = ledger.entry_for_balance_transaction(txn("charge", 2000, fee=88), order_id="ord_1")
    assert lines(entry) == {ledger.STRIPE_BALANCE: 1912, ledger.STRIPE_FEES: 88, ledger.SALES: -2000}
    assert entry.kind == ledger.PAYMENT and entry.balanced and entry.order_id == "ord_1"
    assert entry.entry_id == "bt:txn_1" and entry.net == 1912


def test_a_refund_debits_refunds_and_a_failed_refund_reverses_it():
    """A refund takes money from the balance into refunds; its failure puts it back."""
    refund = ledger.entry_for_balance_transaction(txn("refund", -500))
    failure = ledger.entry_for_balance_transaction(txn("refund_failure", 500, txn_id="txn_2"))
    assert lines(refund) == {ledger.STRIPE_BALANCE: -500, ledger.REFUNDS: 500}
    assert lines(failure) == {ledger.STRIPE_BALANCE: 500, ledger.REFUNDS: -500}
    assert ledger.balances([refund, failure]) == {(ledger.STRIPE_BALANCE, "usd"): 0, (ledger.REFUNDS, "usd"): 0}


def test_a_dispute_withdraws_the_amount_with_its_fee_and_a_win_reinstates_the_amount():
    """Dispute adjustments go to the disputes account, their fee to dispute fees."""
    withdrawal = ledger.entry_for_balance_transaction(txn("adjustment", -2000, fee=1500, category="dispute"))
    reinstated = ledger.entry_for_balance_transaction(
        txn("adjustment", 2000, category="dispute_reversal", txn_id="txn_2")
    )
    assert lines(withdrawal) == {ledger.STRIPE_BALANCE: -3500, ledger.DISPUTE_FEES: 1500, ledger.DISPUTES: 2000}
    assert withdrawal.kind == ledger.DISPUTE and reinstated.kind == ledger.DISPUTE_REVERSAL
    assert lines(reinstated) == {ledger.STRIPE_BALANCE: 2000, ledger.DISPUTES: -2000}


def test_a_payout_moves_the_balance_to_in_transit_then_to_the_bank_and_a_failure_back():
    """Payout created, paid, and a payout that fails after it was paid."""
    payout = {"id": "po_1", "amount": 5000, "currency": "usd", "arrival_date": 1_700_100_000, "created": 1_700_000_000}
    created = ledger.entry_for_balance_transaction(txn("payout", -5000, source="po_1"))
    arrived = ledger.entry_for_payout_arrival(payout)
    failed = ledger.entry_for_balance_transaction(txn("payout_failure", 5000, txn_id="txn_2"))
    unarrived = ledger.entry_for_payout_arrival(payout, reversal=True)
    assert lines(created) == {ledger.STRIPE_BALANCE: -5000, ledger.PAYOUTS_IN_TRANSIT: 5000}
    assert lines(arrived) == {ledger.BANK: 5000, ledger.PAYOUTS_IN_TRANSIT: -5000}
    assert arrived.entry_id == "payout_paid:po_1" and arrived.created == payout["arrival_date"]
    totals = ledger.balances([created, arrived, failed, unarrived])
    assert all(amount == 0 for amount in totals.values())


@pytest.mark.parametrize(
    ("kind", "category"),
    [("adjustment", "other_adjustment"), ("climate_order_purchase", None), ("topup", None)],
)
def test_a_movement_no_rule_names_lands_in_suspense_never_dropped(kind, category):
    """Unknown types and unknown adjustments post to the suspense account as kind other."""
    entry = ledger.entry_for_balance_transaction(txn(kind, -300, category=category))
    assert entry.kind == ledger.OTHER and lines(entry) == {ledger.STRIPE_BALANCE: -300, ledger.SUSPENSE: 300}


def test_stripe_fees_charged_on_their_own_debit_the_fees_account():
    """A stand-alone Stripe fee is an expense, not suspense."""
    entry = ledger.entry_for_balance_transaction(txn("stripe_fee", -200))
    assert entry.kind == ledger.FEE and lines(entry) == {ledger.STRIPE_BALANCE: -200, ledger.STRIPE_FEES: 200}


def test_a_foreign_currency_charge_keeps_both_currencies_and_the_rate():
    """Settlement currency for the books, the charge's own amount and currency beside it."""
    charge = {"id": "ch_1", "object": "charge", "amount": 2000, "currency": "eur"}
    entry = ledger.entry_for_balance_transaction(
        txn("charge", 2170, fee=93, exchange_rate=1.085, source="ch_1"), source=charge
    )
    assert entry.currency == "usd" and entry.exchange_rate == 1.085
    assert (entry.source_amount, entry.source_currency, entry.source_id) == (2000, "eur", "ch_1")


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", None), ("amount", "2000"), ("fee", True), ("currency", ""), ("created", None), ("net", 1)],
)
def test_a_missing_or_inconsistent_field_is_refused_by_name_never_defaulted(field, value):
    """Nothing that looks like money is invented: the error names the field."""
    bad = txn("charge", 2000, fee=88)
    bad[field] = value
    with pytest.raises(LedgerError, match="net" if field == "net" else field):
        ledger.entry_for_balance_transaction(bad)


def test_an_orders_net_position_is_sales_less_refunds_disputes_and_fees():
    """The position reads the order's entries only: gross, refunds, disputes, fees, net."""
    entries = [
        ledger.entry_for_balance_transaction(txn("charge", 2000, fee=88, txn_id="t1")),
        ledger.entry_for_balance_transaction(txn("refund", -500, txn_id="t2")),
        ledger.entry_for_balance_transaction(txn("adjustment", -1500, fee=1500, category="dispute", txn_id="t3")),
    ]
    position = ledger.order_position(entries)["usd"]
    assert position == {"gross": 2000, "refunds": 500, "disputes": 3000, "fees": 88, "net": 2000 - 500 - 3000 - 88}


TYPES = st.sampled_from(
    [
        ("charge", None),
        ("refund", None),
        ("refund_failure", None),
        ("adjustment", "dispute"),
        ("adjustment", "dispute_reversal"),
        ("payout", None),
        ("payout_failure", None),
        ("stripe_fee", None),
        ("adjustment", "mystery"),
        ("transfer", None),
    ]
)


@given(
    st.lists(
        st.tuples(
            TYPES, st.integers(-(10**8), 10**8), st.integers(-5000, 5000), st.sampled_from(["usd", "eur", "jpy"])
        ),
        max_size=40,
    )
)
def test_any_sequence_of_movements_stays_balanced_per_currency(movements):
    """Property: every entry balances, so every currency's accounts sum to zero."""
    entries = [
        ledger.entry_for_balance_transaction(
            txn(kind, amount, fee=fee, currency=currency, category=category, txn_id=f"t{i}")
        )
        for i, ((kind, category), amount, fee, currency) in enumerate(movements)
    ]
    assert all(entry.balanced for entry in entries)
    per_currency = {}
    for (_, currency), amount in ledger.balances(entries).items():
        per_currency[currency] = per_currency.get(currency, 0) + amount
    assert all(total == 0 for total in per_currency.values())
    stripe_side = sum(entry.net for entry in entries if entry.currency == "usd")
    assert ledger.balances(entries).get((ledger.STRIPE_BALANCE, "usd"), 0) == stripe_side


def test_an_unbalanced_entry_says_so():
    """The balance check is real: a hand-made entry whose lines do not sum to zero is not balanced."""
    entry = Entry("x", "other", "usd", (Line("a", 1), Line("b", -2)), created=0, amount=1)
    assert not entry.balanced
