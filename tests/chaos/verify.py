"""The invariants of a chaos run, read from the database, the fake Stripe and the reconcile
workers' logs."""

import json
from collections import Counter

import pymongo
from pymongo.uri_parser import parse_uri

from tests.faults.invariants import chain_problems, duplicate_facts
from tests.support.secrets import scan_database

from .money import ledger_figures


def verify(stack, placed):
    """Return the figures: expected_paid, paid, lost, double_applied, regressed,
    pi_created_twice, events_unapplied; with reconcile workers, their passes and sweeps (and
    sweeps in a window another already took), consolidation runs per period; secrets at rest;
    and the ledger's (see money.ledger_figures)."""
    client = pymongo.MongoClient(stack.env["MONGODB_URI"], serverSelectionTimeoutMS=10000)
    db = client[parse_uri(stack.env["MONGODB_URI"])["database"]]
    try:
        orders = {order["_id"]: order for order in db.orders.find()}
        pis = stack.fake.payment_intents
        per_order = Counter(pi["metadata"].get("order_id") for pi in pis.values())
        succeeded = {pi["metadata"]["order_id"] for pi in pis.values() if pi["status"] == "succeeded"}
        paid = {order_id for order_id, order in orders.items() if order["status"] == "paid"}
        delivered_types = {
            e["id"]
            for e in stack.fake.events
            if e["type"].startswith("payment_intent.") and e["type"] != "payment_intent.created"
        }
        inbox = {row["_id"]: row["state"] for row in db.stripe_events.find({}, {"state": 1})}
        return {
            "expected_paid": len(succeeded),
            "paid": len(paid & succeeded),
            "lost": len(succeeded - paid),
            "double_applied": sum(1 for order in orders.values() if duplicate_facts(order)),
            "regressed": sum(1 for order in orders.values() if chain_problems(order)),
            "pi_created_twice": sum(1 for count in per_order.values() if count > 1),
            "events_unapplied": sum(
                1 for event_id in delivered_types if inbox.get(event_id) not in ("applied", "ignored")
            ),
            "orders_in_db": len(orders),
            **ledger_figures(db, stack.fake),
            **_workers(stack, db),
            "secrets_at_rest": sum(len(hits) for hits in scan_database(db).values()),
        }
    finally:
        client.close()


def _workers(stack, db):
    """What the reconcile workers did: passes, scheduled sweeps (each window swept once at
    most), and consolidation runs (each period once)."""
    passes = []
    for text in stack.reconciler_logs():
        for line in text.splitlines():
            if line.startswith("{") and '"msg":"reconcile pass"' in line:
                passes.append(json.loads(line))
    swept = Counter(entry.get("sweep_window") for entry in passes if entry.get("sweep") in ("done", "failed"))
    runs = Counter(run["period"] for run in db.consolidations.find({}, {"period": 1}))
    return {
        "reconcile_passes": len(passes),
        "sweeps": sum(swept.values()),
        "sweeps_in_a_taken_window": sum(count - 1 for count in swept.values()),
        "periods_consolidated": len(runs),
        "periods_consolidated_twice": sum(1 for count in runs.values() if count > 1),
    }
