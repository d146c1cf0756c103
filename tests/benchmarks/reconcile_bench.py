"""Reconcile scaling: one pass over 10k and over 100k orders with the same 200 stuck ones.

Each size gets its own database: history (paid orders with their applied inbox rows, some
canceled, some open but not yet due) plus the same 200 stuck orders — pending, an hour
past their deadline, their PaymentIntents succeeded at Stripe (a separate fake Stripe
process, seeded through its API) and their webhooks never delivered. A pass is
``handlers.reconcile`` — what ``flask --app wsgi reconcile`` runs — timed in this process,
its database commands counted and timed by query shape; the stuck set is restored between
repeats. ``explain`` (executionStats) of the reconciler's two filters is reported too, with a
warning: SecantusDB's explain of a hinted find reports a bounded index scan even where its
executor walks the whole index, so the time per query shape is the figure to trust.
"""

import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import stripe

from service.devtools.secantus import free_port
from tests.benchmarks import workload
from tests.support.helpers import API_KEY
from tests.support.processes import ROOT

# record_pass's post-pass count of inbox rows by state (store_ops.count_events_by_state)
INBOX_COUNT = "aggregate stripe_events {state}"
RECONCILER = os.path.join(ROOT, "service", "handlers", "reconcile.py")
STUCK = 200


class FakeStripeProcess:
    """``python -m service.devtools.fake_stripe`` on a free port, as its own process."""

    def __init__(self):
        self.url, self.process = None, None

    def __enter__(self):
        port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.devtools.fake_stripe", "--port", str(port), "--api-key", API_KEY],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self.process.stdout.readline().strip()
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(10)


def stuck_payment_intents(url, count):
    """Create ``count`` PaymentIntents through the API and pay them; returns (order id, PI id)."""
    client = stripe.StripeClient(API_KEY, base_addresses={"api": url})
    pairs = []
    for _ in range(count):
        order_id = "ord_" + uuid.uuid4().hex
        pi = client.v1.payment_intents.create(
            params={
                "amount": workload.AMOUNT,
                "currency": workload.CURRENCY,
                "metadata": {"order_id": order_id},
                "automatic_payment_methods": {"enabled": True},
            }
        )
        client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
        pairs.append((order_id, pi.id))
    return pairs


def stuck_documents(pairs):
    """The stuck orders: pending, created 2 h ago, deadline 1 h 45 min ago."""
    created = workload.utcnow() - timedelta(hours=2)
    return [workload.order_document(order_id, pi_id, created_at=created) for order_id, pi_id in pairs]


def seed_history(database, count):
    """``count`` orders of history: 96 % paid (each with its applied inbox row), 2 % canceled,
    2 % open but not yet due (pending or payment_failed, deadline ahead)."""
    now = workload.utcnow()
    old = now - timedelta(days=10)
    template = workload.order_document("ord_template", "pi_template", created_at=old)
    payload = workload.encode_event(
        workload.pi_event(workload.payment_intent("ord_template"), "payment_intent.succeeded", "succeeded", 0)
    ).decode()
    orders, rows = [], []
    for number in range(count):
        order_id, pi_id, event_id = f"ord_{uuid.uuid4().hex}", f"pi_hist{number:08d}", f"evt_hist{number:08d}"
        bucket = number % 50
        if bucket == 0:
            doc = dict(template, status="canceled")
        elif bucket == 1:
            doc = dict(
                template,
                status="pending" if number % 100 == 1 else "payment_failed",
                created_at=now,
                updated_at=now,
                expected_by=now + timedelta(seconds=900),
            )
        else:
            doc = dict(
                template,
                status="paid",
                history=[
                    {
                        "source": event_id,
                        "from": "pending",
                        "to": "paid",
                        "reason": "succeeded: pending -> paid",
                        "at": old,
                    }
                ],
            )
            rows.append(
                {
                    "_id": event_id,
                    "type": "payment_intent.succeeded",
                    "payload": payload,
                    "state": "applied",
                    "outcome": "succeeded: pending -> paid",
                    "attempts": 1,
                    "order_id": order_id,
                    "payment_intent_id": pi_id,
                    "created": int(old.timestamp()),
                    "received_at": old,
                    "applied_at": old,
                }
            )
        orders.append(dict(doc, _id=order_id, payment_intent_id=pi_id))
    workload.insert_in_batches(database.orders, orders)
    workload.insert_in_batches(database.stripe_events, rows)


def restore(database, stuck_docs):
    """Undo a pass: the stuck orders back to pending, swept events, checkpoint and lease gone."""
    for doc in stuck_docs:
        database.orders.replace_one({"_id": doc["_id"]}, doc)
    database.stripe_events.delete_many({"order_id": {"$in": [doc["_id"] for doc in stuck_docs]}})
    database.checkpoints.delete_many({})
    database.leases.delete_many({})


def explain_queries(database, batch):
    """What ``explain`` (executionStats) says the store's reconcile reads examine: the
    stuck-order range per open status and the two unapplied-inbox ranges, summed."""
    from service.store import recovery as queries

    now = workload.utcnow()
    plans = {
        "stuck_orders": [("orders", query, {"expected_by": 1, "_id": 1}) for query in queries.stuck_order_queries(now)],
        "unapplied_events": [
            ("stripe_events", query, {"received_at": 1}) for query in queries.unapplied_events_queries(now, 10)
        ],
    }
    examined = {}
    for name, finds in plans.items():
        totals = {"keys_examined": 0, "docs_examined": 0, "returned": 0}
        for collection, query, sort in finds:
            stats = database.command(
                {
                    "explain": {"find": collection, "filter": query, "sort": sort, "limit": batch},
                    "verbosity": "executionStats",
                }
            )["executionStats"]
            totals["keys_examined"] += stats.get("totalKeysExamined") or 0
            totals["docs_examined"] += stats.get("totalDocsExamined") or 0
            totals["returned"] += stats.get("nReturned") or 0
        examined[name] = totals
    return examined


def timed_pass(app, counter, db_name):
    """One reconcile pass in-process: (seconds, summary dict or {"error"}, {shape: (count, ms)})."""
    from service import handlers

    counter.database = db_name
    counter.take()
    with app.app_context():
        started = time.perf_counter()
        try:
            summary = vars(handlers.reconcile(app.extensions["payments"]))
        except Exception as exc:  # a pass that dies is a result too: say how and when
            summary = {"error": f"{type(exc).__name__}: {exc}"}
        elapsed = time.perf_counter() - started
    return elapsed, dict(summary), counter.take_timings()


def _median_timings(per_pass):
    """{shape: (count, median ms over the passes, documents)} from each pass's timings."""
    shapes = set().union(*per_pass)
    return {
        shape: (
            max(t.get(shape, (0, 0, 0))[0] for t in per_pass),
            round(statistics.median(t.get(shape, (0, 0, 0))[1] for t in per_pass), 1),
            max(t.get(shape, (0, 0, 0))[2] for t in per_pass),
        )
        for shape in shapes
    }


def run_phase(stack, counter, args):
    """Both sizes; returns {"status": "done", "sizes": {...}} or {"status": "waiting"}."""
    if not os.path.exists(RECONCILER):
        return {"status": "waiting", "detail": "service/handlers/reconcile.py does not exist yet"}
    sizes = {}
    with FakeStripeProcess() as fake:
        pairs = stuck_payment_intents(fake.url, STUCK)
        stuck_docs = stuck_documents(pairs)
        for size in args.reconcile_sizes:
            db_name = f"bench_reconcile_{size}"
            print(f"  reconcile: seeding {size} orders", flush=True)
            app = stack.prepare_database(db_name, STRIPE_API_BASE=fake.url, STRIPE_READ_RATE=args.reconcile_read_rate)
            database = stack.client[db_name]
            seed_history(database, size - STUCK)
            workload.insert_in_batches(database.orders, [dict(doc) for doc in stuck_docs])
            examined = explain_queries(database, app.extensions["payments"].settings.reconcile_batch)
            runs = []
            for repeat in range(args.reconcile_repeats):
                if repeat:
                    restore(database, stuck_docs)
                print(f"  reconcile: pass {repeat + 1} over {size} orders", flush=True)
                runs.append(timed_pass(app, counter, db_name))
            sizes[size] = {
                "orders": database.orders.estimated_document_count(),
                "inbox_rows": database.stripe_events.estimated_document_count(),
                "seconds": [round(r[0], 3) for r in runs],
                "median_s": round(statistics.median(r[0] for r in runs), 3),
                "summary": runs[0][1],
                "db_time_by_query": _median_timings([r[2] for r in runs]),
                "failed_per_pass": [r[1].get("failed", "error") for r in runs],
                "median_s_without_inbox_count": round(
                    statistics.median(r[0] - r[2].get(INBOX_COUNT, (0, 0, 0))[1] / 1000 for r in runs), 3
                ),
                "commands_total": sum(n for n, _, _ in runs[0][2].values()),
                "examined": examined,
            }
    return {"status": "done", "sizes": sizes, "read_rate": args.reconcile_read_rate}
