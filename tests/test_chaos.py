"""The chaos command itself: a small run under a high fault rate keeps every invariant, with
two web instances (two gunicorn masters, as two dynos) and two reconcile workers on one
database."""

from tests.chaos.__main__ import table
from tests.chaos.run import run


def test_small_two_instance_chaos_run_loses_nothing_and_applies_nothing_twice():
    """40 orders at a 20% fault rate (plus one database SIGKILL), two web instances and two
    reconcile workers: all paid orders found, none lost, double-applied or regressed; every
    scheduled sweep in a window of its own, every period consolidated once, nothing secret
    stored, refunds, disputes and a payout posted to a balanced ledger equal to Stripe's books,
    every order event delivered to a flaky shop in order and none for a change that did not
    happen, and the faults and concurrent duplicates really happened."""
    figures, ok = run(orders=40, fault_rate=0.2, seed=7, instances=2, reconcilers=2)
    report = "\n".join(table(figures))
    assert ok, report
    assert figures["lost"] == figures["double_applied"] == figures["regressed"] == figures["pi_created_twice"] == 0
    assert figures["paid"] == figures["expected_paid"] > 0, report
    assert figures["faults"].get("db SIGKILL + restart") == 1
    assert sum(figures["faults"].values()) > 5
    assert figures["duplicates_to_both"] > 0, report
    assert figures["reconcile_passes"] >= 2 and figures["sweeps"] >= 1, report
    assert figures["sweeps_in_a_taken_window"] == figures["periods_consolidated_twice"] == 0, report
    assert figures["periods_consolidated"] >= 3 and figures["secrets_at_rest"] == 0, report
    assert figures["faults"].get("money: automatic payout") == 1
    assert figures["balance_transactions"] >= figures["paid"] and figures["ledger_entries"] > figures["paid"]
    assert figures["ledger_unbalanced"] == figures["balance_transactions_unmatched"] == 0
    assert figures["stripe_balance_differs"] == figures["ledger_pending"] == 0
    # order events to a flaky shop (random 500s, timeouts, stalls): all delivered, in order, none invented
    assert figures["order_events_delivered"] == figures["order_events_expected"] > figures["paid"], report
    assert figures["order_events_out_of_order"] == figures["order_events_never_happened"] == 0, report
    assert sum(figures["shop_faults"].values()) > 0, report
