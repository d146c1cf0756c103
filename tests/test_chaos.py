"""The chaos command itself: a small run under a high fault rate keeps every invariant."""

from tests.chaos.__main__ import table
from tests.chaos.run import run


def test_small_chaos_run_loses_nothing_and_applies_nothing_twice():
    """40 orders at a 20% fault rate (plus one database SIGKILL), with refunds, disputes and a
    payout: all paid orders found, none lost, none double-applied, the ledger balanced and equal
    to Stripe's books, and the faults really were injected."""
    figures, ok = run(orders=40, fault_rate=0.2, seed=7)
    assert ok, "\n".join(table(figures))
    assert figures["lost"] == figures["double_applied"] == figures["pi_created_twice"] == 0
    assert figures["paid"] == figures["expected_paid"] > 0
    assert figures["faults"].get("db SIGKILL + restart") == 1
    assert sum(figures["faults"].values()) > 5
    assert figures["faults"].get("money: automatic payout") == 1
    assert figures["balance_transactions"] >= figures["paid"] and figures["ledger_entries"] > figures["paid"]
    assert figures["ledger_unbalanced"] == figures["balance_transactions_unmatched"] == 0
    assert figures["stripe_balance_differs"] == figures["ledger_pending"] == 0
