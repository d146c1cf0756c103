"""Database-server time of single commands versus collection size, from the server's own
``top`` counters: the service's duplicate-event path (``store.inbox.insert_or_get`` on an
existing row: a findAndModify that matches), the bare receiver's (insert, duplicate key),
and checkout's ``store.orders.attach_payment_intent`` (a findAndModify that matches an order).

On MongoDB all three are point lookups by ``_id``. The measurement shows whether the
database under test agrees (SecantusDB 0.7.0b3 does not for a findAndModify that matches:
its write phase re-filters with ``{_id, $and: [query]}``, which its planner serves with a
collection scan).
"""

import contextlib
import time
import uuid

from pymongo.errors import DuplicateKeyError

from tests.benchmarks import workload

CALLS = 10


def _server_micros(client, namespace):
    entry = client.admin.command("top")["totals"].get(namespace) or {}
    total = entry.get("total") or {"time": 0, "count": 0}
    return total["time"], total["count"]


def _measure(client, namespace, calls):
    """(server µs per command, client ms per call) of running every callable in ``calls``."""
    before, started = _server_micros(client, namespace), time.perf_counter()
    for call in calls:
        call()
    wall = (time.perf_counter() - started) * 1000 / len(calls)
    after = _server_micros(client, namespace)
    commands = max(1, after[1] - before[1])
    return round((after[0] - before[0]) / commands), round(wall, 2)


def _inbox_row(event_id):
    """An inbox row as the webhook handler stores it (``store.inbox.insert_or_get``)."""
    return {
        "_id": event_id,
        "type": "payment_intent.succeeded",
        "payload": "{}",
        "state": "received",
        "attempts": 0,
        "created": int(time.time()),
        "received_at": workload.utcnow(),
    }


def _duplicate_insert(collection, event_id):
    with contextlib.suppress(DuplicateKeyError):
        collection.insert_one({"_id": event_id, "type": "payment_intent.succeeded", "payload": "{}"})


def _paths(store, database, event_ids, order_ids, picks):
    """{label: (collection, [CALLS callables])} of the single-command paths measured."""
    return {
        "service duplicate event (findAndModify upsert, matches)": (
            "stripe_events",
            [lambda e=event_ids[i]: store.inbox.insert_or_get(_inbox_row(e)) for i in picks],
        ),
        "bare duplicate event (insert, duplicate key)": (
            "stripe_events",
            [lambda e=event_ids[i]: _duplicate_insert(database.stripe_events, e) for i in picks],
        ),
        "service new event (findAndModify upsert, inserts)": (
            "stripe_events",
            [lambda: store.inbox.insert_or_get(_inbox_row("evt_new" + uuid.uuid4().hex)) for _ in picks],
        ),
        "checkout attach_payment_intent (findAndModify, matches)": (
            "orders",
            [
                lambda o=order_ids[k]: store.orders.attach_payment_intent(o, "pi_cost" + uuid.uuid4().hex)
                for k in range(CALLS)
            ],
        ),
        "order read by _id (find)": (
            "orders",
            [lambda o=order_ids[i]: database.orders.find_one({"_id": o}) for i in picks],
        ),
    }


def cost_by_size(stack, db_name, sizes):
    """For each size: that many inbox rows and open orders (no PI yet), then CALLS of each
    single-command path. Returns {size: {path: {"server_us", "client_ms"}}}."""
    results = {}
    for size in sizes:
        app = stack.reset_database(db_name)
        store, database = app.extensions["payments"].store, stack.client[db_name]
        event_ids = [f"evt_cost{n:08d}" for n in range(size)]
        workload.insert_in_batches(
            database.stripe_events,
            [
                {"_id": e, "type": "payment_intent.succeeded", "payload": "{}", "state": "applied", "attempts": 1}
                for e in event_ids
            ],
        )
        order_ids = ["ord_" + uuid.uuid4().hex for _ in range(size)]
        template = workload.order_document(order_ids[0], None)
        workload.insert_in_batches(database.orders, [dict(template, _id=o) for o in order_ids])
        picks = [size * k // CALLS for k in range(CALLS)]
        with app.app_context():
            paths = _paths(store, database, event_ids, order_ids, picks)
            results[size] = {}
            for label, (collection, calls) in paths.items():
                server_us, client_ms = _measure(stack.client, f"{db_name}.{collection}", calls)
                results[size][label] = {"server_us": server_us, "client_ms": client_ms}
    return results
