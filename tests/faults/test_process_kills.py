"""SIGKILL under load: the database killed and restarted mid-stream of webhook deliveries,
and a gunicorn worker killed in the middle of a webhook and of a checkout. After Stripe-like
redelivery and one reconcile pass every invariant must hold."""

import os
import signal
import threading
import time

import pytest

from service.devtools.fake_stripe.webhooks import Deliverer
from tests.faults.procs import wait_for_workers, worker_serving
from tests.support.helpers import WEBHOOK_SECRET, wait_for

# A blocked database command must hold the request in its worker (not time out first),
# and a checkout must wait for a slow Stripe long enough to be killed while waiting.
STACK_ENV = {"DB_SOCKET_TIMEOUT_MS": 5000, "STRIPE_TIMEOUT_SECONDS": 5}
BLOCK_MS = 3000

# What happens at Stripe to each order's PaymentIntent, in order; and the status it ends in.
SCRIPTS = [
    (("succeed",), "paid"),
    (("fail", "succeed"), "paid"),
    (("process", "succeed"), "paid"),
    (("process", "fail", "succeed"), "paid"),
    (("fail",), "payment_failed"),
    (("process",), "processing"),
    (("fail", "cancel"), "canceled"),
    (("cancel",), "canceled"),
]


def kill_worker_holding(stack, flight):
    """SIGKILL the gunicorn worker serving ``flight``; the client gets no answer and gunicorn
    replaces the worker."""
    master = stack.web.process.pid
    worker = worker_serving(master, stack.web.port, flight.client_port)
    assert worker is not None, "no worker holds the request"
    os.kill(worker, signal.SIGKILL)
    assert flight.wait() == 0
    wait_for_workers(master, stack.workers, exclude=[worker])


def test_database_sigkill_mid_stream_of_deliveries_heals(faults):
    """The database killed under a stream of deliveries: 5xx meanwhile, then every order ends as its PI says."""
    stack = faults
    plans = []
    for actions, expected in SCRIPTS * 2:
        order_id, pi_id = stack.new_order()
        plans.append((order_id, expected, [getattr(stack.fake, action)(pi_id) for action in actions]))
    stripe_like = Deliverer(stack.url + "/webhooks/stripe", [WEBHOOK_SECRET], backoff=(0.3,), timeout=15)
    results = {}

    def stream(plan_slice):  # paced, so the stream is still running when the database dies
        for _, _, events in plan_slice:
            for event in events:
                results[event["id"]] = stack.deliver(event, max_attempts=12, deliverer=stripe_like)
                time.sleep(0.15)

    threads = [threading.Thread(target=stream, args=(plans[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    total = sum(len(events) for _, _, events in plans)
    wait_for(lambda: len(stripe_like.attempts) >= total // 3, timeout=20)
    stack.mongo.kill()
    time.sleep(1.5)
    stack.mongo.restart()
    for thread in threads:
        thread.join(60)

    statuses = [status for attempts in results.values() for status in attempts]
    assert len(results) == total and all(attempts[-1] == 200 for attempts in results.values()), results
    assert any(status in (0, 503) for status in statuses), "the kill hit no delivery"
    stack.heal_and_check()
    for order_id, expected, _ in plans:
        assert stack.order(order_id)["status"] == expected


@pytest.mark.parametrize("step,command", [("order_update", "update"), ("storing_the_row", "insert")])
def test_worker_sigkilled_mid_webhook_heals_by_redelivery(faults, step, command):
    """A worker killed while its webhook waits on the database: respawn, redelivery, one transition.
    (A new success is the presumed order update, then the insert of its row already applied.)"""
    stack = faults
    order_id, pi_id = stack.new_order()
    event = stack.fake.succeed(pi_id)
    stack.fail_point({"times": 1}, failCommands=[command], blockConnection=True, blockTimeMS=BLOCK_MS)
    started = time.monotonic()
    flight = stack.post_in_flight(event)
    if step == "order_update":
        time.sleep(0.5)  # the request is held in the blocked update; nothing is written yet
        assert stack.db.stripe_events.find_one({"_id": event["id"]}) is None
    else:
        wait_for(lambda: stack.order(order_id)["status"] == "paid")
    kill_worker_holding(stack, flight)

    stack.no_faults()
    assert stack.redeliver_failed() == {}
    time.sleep(max(0.0, started + BLOCK_MS / 1000 + 0.3 - time.monotonic()))  # the late command ran
    stack.heal_and_check()
    assert [s["source"] for s in stack.order(order_id)["history"]] == [event["id"]]


@pytest.mark.parametrize("customer_retries", [True, False], ids=["customer_retries", "reconcile_finds_pi"])
def test_worker_sigkilled_while_waiting_on_stripe_leaves_one_payment_intent(faults, customer_retries):
    """A worker killed while Stripe creates the PI: the retry or reconcile attaches that PI, never a second."""
    stack = faults
    key = f"kill-{customer_retries}-{time.monotonic_ns()}"
    before = stack.fake.payment_intents_created
    posts = stack.fake.count("POST", "/v1/payment_intents")
    stack.fake.inject("POST", "/v1/payment_intents", "delay", delay=1.5)
    flight = stack.checkout_in_flight(key)
    wait_for(lambda: stack.fake.count("POST", "/v1/payment_intents") > posts)
    kill_worker_holding(stack, flight)
    wait_for(lambda: stack.fake.payment_intents_created == before + 1)
    order = stack.db.orders.find_one({"idempotency_key": key})
    assert order["status"] == "pending" and order.get("payment_intent_id") is None

    if customer_retries:
        retry = stack.checkout(key=key)
        assert retry.status_code == 201 and retry.json()["order_id"] == order["_id"]
        pi_id = retry.json()["payment_intent_id"]
        assert stack.deliver(stack.fake.succeed(pi_id)) == [200]
    stack.heal_and_check()
    assert stack.fake.payment_intents_created == before + 1
    healed = stack.order(order["_id"])
    assert healed["payment_intent_id"] in stack.fake.payment_intents
    assert healed["status"] == ("paid" if customer_retries else "pending")


def test_worker_sigkilled_between_the_journal_record_and_stripes_answer_is_resolved_by_reconcile(faults):
    """The worker dies after the 'sent' record and before Stripe answers: the record stays 'sent'
    (an outcome we do not know); past its expected end a reconcile pass asks Stripe and resolves
    it with the PaymentIntent Stripe did create."""
    stack = faults
    key = f"journal-kill-{time.monotonic_ns()}"
    before = stack.fake.payment_intents_created
    posts = stack.fake.count("POST", "/v1/payment_intents")
    stack.fake.inject("POST", "/v1/payment_intents", "delay", delay=1.5)
    flight = stack.checkout_in_flight(key)
    wait_for(lambda: stack.fake.count("POST", "/v1/payment_intents") > posts)
    kill_worker_holding(stack, flight)
    wait_for(lambda: stack.fake.payment_intents_created == before + 1)  # Stripe finished the call
    order = stack.db.orders.find_one({"idempotency_key": key})
    [record] = list(stack.db.stripe_calls.find({"order_id": order["_id"], "path": "/v1/payment_intents"}))
    assert record["state"] == "sent" and "completed_at" not in record and record["money"] is True
    first = stack.reconcile()
    assert first.returncode == 0, first.stdout + first.stderr
    assert stack.db.stripe_calls.find_one({"_id": record["_id"]})["state"] == "sent"  # not overdue yet
    # The call's budget is 20-odd seconds; instead of waiting it out, its expected end is moved to the past.
    stack.db.stripe_calls.update_one({"_id": record["_id"]}, {"$set": {"expected_end": record["started_at"]}})
    second = stack.reconcile()
    assert second.returncode == 0, second.stdout + second.stderr
    resolved = stack.db.stripe_calls.find_one({"_id": record["_id"]})
    pi_ids = [pi["id"] for pi in stack.fake.payment_intents.values() if pi["metadata"].get("order_id") == order["_id"]]
    assert resolved["state"] == "resolved" and [pi["id"] for pi in resolved["resolution"]["found"]] == pi_ids
    assert len(pi_ids) == 1
