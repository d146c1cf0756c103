"""Database-server time of single commands versus collection size, from the server's own
``top`` counters: every command of the webhook hot path and checkout's attach, through the
store functions the service calls, and the bare receiver's duplicate insert for comparison.

Each is a command on one document named by ``_id`` (no findAndModify: SecantusDB 0.7.0b3
serves a matching one with a collection scan, its write phase re-filtering with ``{_id,
$and: [query]}``), so each should cost the same at any size: the table shows whether it does.
"""

import contextlib
import time
import uuid

from pymongo.errors import DuplicateKeyError

from service.domain.orders import PaymentFact
from service.domain.presumption import presume
from tests.benchmarks import workload

CALLS = 30  # each write waits for a journal commit: enough calls to average its jitter
READS = 10 * CALLS  # a read costs a tenth of a write: ten times the calls for the same jitter


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
    """An inbox row as the webhook handler stores it (``handlers.intake.inbox_row``)."""
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


def _presumed(order_id):
    """(presumption, fact) of a matching success for a cost-table order (PI attached first)."""
    fact = PaymentFact(f"evt_cost_{order_id}", "succeeded", f"pi_cost_{order_id}", workload.AMOUNT, "usd", order_id, 1)
    return presume(fact), fact


def _spread(ids, count):
    """``count`` of ``ids``, evenly spread (distinct while there are that many)."""
    return [ids[len(ids) * k // count] for k in range(count)]


def _paths(store, database, event_ids, order_ids, picks):
    """{label: (collection, [CALLS callables])} of the single-command paths measured, in the
    order they run (the attach gives the orders the PI the presumed success names)."""
    orders = [order_ids[i] for i in picks]
    return {
        "inbox insert, new event (insert)": (
            "stripe_events",
            [lambda: store.inbox.insert_or_get(_inbox_row("evt_new" + uuid.uuid4().hex)) for _ in picks],
        ),
        "service duplicate event (insert refused, then find by _id; per command)": (
            "stripe_events",
            [lambda e=event_ids[i]: store.inbox.insert_or_get(_inbox_row(e)) for i in picks],
        ),
        "bare duplicate event (insert, duplicate key)": (
            "stripe_events",
            [lambda e=event_ids[i]: _duplicate_insert(database.stripe_events, e) for i in picks],
        ),
        "inbox mark applied (update by _id)": (
            "stripe_events",
            [lambda e=event_ids[i]: store.inbox.finish(e, "applied", "cost") for i in picks],
        ),
        "checkout attach_payment_intent (update by _id)": (
            "orders",
            [lambda o=o: store.orders.attach_payment_intent(o, f"pi_cost_{o}", {"_id": o}) for o in orders],
        ),
        "presumed transition (update by _id, matches)": (
            "orders",
            [lambda o=o: store.orders.apply_presumed(*_presumed(o)) for o in orders],
        ),
        "order read by _id (find)": (
            "orders",
            [lambda o=o: database.orders.find_one({"_id": o}) for o in _spread(order_ids, READS)],
        ),
    }


def cost_by_size(stack, db_name, sizes):
    """Grow one inbox and one orders collection (open orders, no PI yet) through ``sizes``;
    at each size, CALLS of each single-command path on rows added since the previous size
    (so no path meets a row an earlier size changed). Returns {size: {path: {"server_us",
    "client_ms"}}}."""
    results, done = {}, 0
    app = stack.reset_database(db_name)
    store, database = app.extensions["payments"].store, stack.client[db_name]
    template = workload.order_document("ord_template", None)
    for size in sorted(sizes):
        event_ids = [f"evt_cost{n:08d}" for n in range(done, size)]
        workload.insert_in_batches(
            database.stripe_events,
            [
                {"_id": e, "type": "payment_intent.succeeded", "payload": "{}", "state": "received", "attempts": 0}
                for e in event_ids
            ],
        )
        order_ids = ["ord_" + uuid.uuid4().hex for _ in range(size - done)]
        workload.insert_in_batches(database.orders, [dict(template, _id=o) for o in order_ids])
        picks = [len(order_ids) * k // CALLS for k in range(CALLS)]
        with app.app_context():
            paths = _paths(store, database, event_ids, order_ids, picks)
            results[size] = {}
            for label, (collection, calls) in paths.items():
                server_us, client_ms = _measure(stack.client, f"{db_name}.{collection}", calls)
                results[size][label] = {"server_us": server_us, "client_ms": client_ms}
        done = size
    return results
