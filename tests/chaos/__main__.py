"""``python -m tests.chaos [--orders 500] [--fault-rate 0.1] [--seed 1] [--instances 2]
[--reconcilers 2]``: prints the table; exit status 0 only if nothing was lost or applied
twice, no window was swept twice, no period consolidated twice and nothing secret is stored."""

import argparse
import sys

from .run import run

DESCRIPTION = (
    "Check out many orders against a real stack while Stripe, the database and webhook delivery fail "
    "at random, then reconcile and check the payment invariants; prints a table and exits 0 only if "
    "nothing was lost or applied twice."
)


def table(figures):
    """The chaos table as text lines."""
    rows = [
        ("orders (checkouts ok)", f"{figures['orders']} ({figures['checkouts_ok']})"),
        ("fault rate, seed", f"{figures['fault_rate']}, {figures['seed']}"),
        ("web instances, reconcile workers", f"{figures['instances']}, {figures['reconcilers']}"),
        ("events sent", figures["events_sent"]),
        ("deliveries", figures["deliveries"]),
    ]
    rows += [(f"  fault: {kind}", count) for kind, count in figures["faults"].items()]
    rows += [
        ("checkout 5xx answered (client retried)", figures["checkout_5xx"]),
        ("webhook 5xx answered", figures["webhook_5xx"]),
        ("webhook no answer (DB killed)", figures["webhook_no_answer"]),
        ("duplicates delivered to every instance at once", figures["duplicates_to_both"]),
        ("reconcile worker passes / scheduled sweeps", f"{figures['reconcile_passes']} / {figures['sweeps']}"),
        ("sweeps in a window already swept", figures["sweeps_in_a_taken_window"]),
        (
            "periods consolidated / consolidated twice",
            f"{figures['periods_consolidated']} / {figures['periods_consolidated_twice']}",
        ),
        ("final reconcile (last of N passes)", f"{figures['reconcile']} (N={figures['final_passes']})"),
        ("orders paid / expected", f"{figures['paid']} / {figures['expected_paid']}"),
        ("lost", figures["lost"]),
        ("double-applied", figures["double_applied"]),
        ("regressed", figures["regressed"]),
        ("PaymentIntent created twice", figures["pi_created_twice"]),
        ("events not applied", figures["events_unapplied"]),
        ("balance transactions / ledger entries", f"{figures['balance_transactions']} / {figures['ledger_entries']}"),
        ("ledger entries unbalanced", figures["ledger_unbalanced"]),
        ("balance transactions unmatched", figures["balance_transactions_unmatched"]),
        ("ledger Stripe balance != Stripe's", figures["stripe_balance_differs"]),
        ("events still waiting for the ledger", figures["ledger_pending"]),
        (
            "consolidation: healed / unmatched items",
            f"{figures['consolidation_healed']} / {figures['consolidation_unmatched']} "
            f"{figures['consolidation_kinds']}",
        ),
        ("secrets at rest (every collection)", figures["secrets_at_rest"]),
        (
            "order events delivered / expected",
            f"{figures['order_events_delivered']} / {figures['order_events_expected']} "
            f"(duplicates {figures['order_events_duplicates']}, shop {figures['shop_faults']}, "
            f"final passes {figures['order_event_passes']})",
        ),
        ("order events out of order", figures["order_events_out_of_order"]),
        ("order events for changes that never happened", figures["order_events_never_happened"]),
        ("time to heal (reconcile pass)", f"{figures['time_to_heal_s']} s"),
        ("wall time", f"{figures['wall_s']} s"),
    ]
    width = max(len(str(name)) for name, _ in rows)
    return [f"{name:<{width}}  {value}" for name, value in rows]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=DESCRIPTION)
    parser.add_argument("--orders", type=int, default=500, help="orders to check out (default: %(default)s)")
    parser.add_argument(
        "--fault-rate", type=float, default=0.1, help="share of calls and deliveries that fail (default: %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed, the same run")
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers per web instance (default: %(default)s)"
    )
    parser.add_argument("--instances", type=int, default=2, help="web instances (gunicorn masters, as dynos)")
    parser.add_argument("--reconcilers", type=int, default=2, help="reconcile workers (reconcile --loop)")
    args = parser.parse_args(argv)
    figures, ok = run(
        args.orders,
        args.fault_rate,
        args.seed,
        workers=args.workers,
        instances=args.instances,
        reconcilers=args.reconcilers,
    )
    print("\n".join(table(figures)))
    print("RESULT: " + ("OK, nothing lost or applied twice" if ok else "INVARIANT VIOLATED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
