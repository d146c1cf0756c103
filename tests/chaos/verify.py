"""The invariants of a chaos run, read from the database and the fake Stripe."""

from collections import Counter

import pymongo
from pymongo.uri_parser import parse_uri

from tests.faults.invariants import chain_problems, duplicate_facts

from .money import ledger_figures


def verify(stack, placed):
    """Return the figures: expected_paid, paid, lost, double_applied, regressed,
    pi_created_twice, events_unapplied, and the ledger's (see money.ledger_figures)."""
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
        }
    finally:
        client.close()
