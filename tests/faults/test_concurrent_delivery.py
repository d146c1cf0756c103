"""Delivery races under gunicorn with several workers: one event delivered concurrently to
different workers, the events of one PaymentIntent delivered in every order (one by one
and all at once), and redelivery with fresh signatures as Stripe does."""

import itertools
import threading
import time

import requests

from service.devtools.fake_stripe import sign_payload
from service.devtools.fake_stripe.webhooks import encode_event
from tests.faults.procs import worker_serving
from tests.support.helpers import OLD_WEBHOOK_SECRET, WEBHOOK_SECRET

STACK_ENV = {"DB_SOCKET_TIMEOUT_MS": 5000}
LIFECYCLES = [(("process", "fail", "succeed"), "paid"), (("process", "fail", "cancel"), "canceled")]
COPIES = 8


def _history(stack, order_id):
    return [(s["from"], s["to"], s["source"]) for s in stack.order(order_id)["history"]]


def _burst(stack, event):
    """Deliver ``COPIES`` copies of ``event`` at once while the inbox write is held in the
    database; returns (statuses, the worker pids that held the requests)."""
    stack.fail_point({"times": COPIES}, failCommands=["insert"], blockConnection=True, blockTimeMS=800)
    flights = [stack.post_in_flight(event) for _ in range(COPIES)]
    master, holders = stack.web.process.pid, {}
    deadline = time.monotonic() + 2
    while len(holders) < COPIES and time.monotonic() < deadline:
        for flight in flights:
            if flight.client_port not in holders:
                pid = worker_serving(master, stack.web.port, flight.client_port)
                if pid:
                    holders[flight.client_port] = pid
        time.sleep(0.02)
    statuses = [flight.wait() for flight in flights]
    stack.no_faults()
    return statuses, set(holders.values())


def test_same_event_delivered_concurrently_to_different_workers_applies_once(faults):
    """Copies of one event raced through two workers (proven via /proc) apply it exactly once."""
    stack = faults
    spanned = False
    for _ in range(10):
        order_id, pi_id = stack.new_order()
        event = stack.fake.succeed(pi_id)
        statuses, workers = _burst(stack, event)
        assert statuses == [200] * COPIES
        assert _history(stack, order_id) == [("pending", "paid", event["id"])]
        assert stack.db.stripe_events.count_documents({"_id": event["id"]}) == 1
        spanned = spanned or len(workers) >= 2
        if spanned:
            break
    assert spanned, "no burst reached two different workers"
    stack.heal_and_check()


def test_events_of_one_payment_intent_in_every_order_end_the_same(faults):
    """Every permutation of a PI's processing/failed/terminal events ends in the terminal status."""
    stack = faults
    for actions, expected in LIFECYCLES:
        for permutation in itertools.permutations(range(len(actions))):
            order_id, pi_id = stack.new_order()
            events = [getattr(stack.fake, action)(pi_id) for action in actions]
            for index in permutation:
                assert stack.deliver(events[index]) == [200]
            assert stack.order(order_id)["status"] == expected, (actions, permutation)
    stack.heal_and_check()


def test_all_events_of_one_payment_intent_at_once_end_the_same(faults):
    """A PI's events, each twice, sent to the workers at the same moment end in the terminal status."""
    stack = faults
    for actions, expected in LIFECYCLES * 2:
        order_id, pi_id = stack.new_order()
        events = [getattr(stack.fake, action)(pi_id) for action in actions]
        barrier, statuses = threading.Barrier(2 * len(events)), []

        def send(event, barrier=barrier, statuses=statuses):
            barrier.wait()
            statuses.append(stack.deliver(event)[-1])

        threads = [threading.Thread(target=send, args=(event,)) for event in events * 2]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert statuses == [200] * len(threads)
        assert stack.order(order_id)["status"] == expected
    stack.heal_and_check()


def test_redelivery_with_fresh_signatures_applies_once(faults):
    """Redeliveries re-signed like Stripe's (new timestamp, rotated secrets) are accepted; one takes effect."""
    stack = faults
    order_id, pi_id = stack.new_order()
    event = stack.fake.succeed(pi_id)
    body, now = encode_event(event), int(time.time())
    headers = [
        sign_payload(body, WEBHOOK_SECRET, now - 200),
        sign_payload(body, WEBHOOK_SECRET, now - 100),
        sign_payload(body, [WEBHOOK_SECRET, OLD_WEBHOOK_SECRET], now),
        sign_payload(body, OLD_WEBHOOK_SECRET, now),
    ]
    assert len(set(headers)) == len(headers)
    replies = [
        requests.post(
            stack.url + "/webhooks/stripe",
            data=body,
            timeout=15,
            headers={"Content-Type": "application/json", "Stripe-Signature": header},
        )
        for header in headers
    ]
    assert [r.status_code for r in replies] == [200] * len(headers)
    assert [r.json()["duplicate"] for r in replies] == [False, True, True, True]
    assert _history(stack, order_id) == [("pending", "paid", event["id"])]
    stack.sent[event["id"]], stack.last_status[event["id"]] = event, 200
    stack.heal_and_check()
