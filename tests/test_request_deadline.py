"""One database deadline for a whole webhook request: a slow database gets a quick 503."""

import time

import pymongo
import pytest
from pymongo.errors import AutoReconnect

from service.errors import DatabaseUnavailable
from service.store.retry import RetryPolicy, request_deadline
from tests.support.helpers import deliver, new_order, transitions

WEBHOOK_COMMANDS = ["insert", "find", "update"]
DEADLINE = 2
SOCKET_TIMEOUT = 1.0


def _app(make_app, deadline):
    # A per-call budget (5 attempts, 10 s) far larger than the deadline: only the deadline can cut it short.
    return make_app(
        DB_SOCKET_TIMEOUT_MS=int(SOCKET_TIMEOUT * 1000),
        DB_RETRY_ATTEMPTS=5,
        DB_RETRY_MAX_SECONDS=10,
        WEBHOOK_DEADLINE_SECONDS=deadline,
    )


def _timed_delivery(client, event):
    started = time.monotonic()
    response = deliver(client, event)
    return response, time.monotonic() - started


def _assert_paid_once_after_redelivery(app, client, event, order_id):
    healed = deliver(client, event)
    assert healed.status_code == 200, healed.get_json()
    assert deliver(client, event).get_json()["duplicate"] is True
    settings = app.extensions["payments"].settings
    raw = pymongo.MongoClient(settings.mongodb_uri)
    try:
        assert raw[settings.db_name].orders.find_one({"_id": order_id})["status"] == "paid"
        assert transitions(raw[settings.db_name], order_id) == [("pending", "paid", event["id"])]
    finally:
        raw.close()


def test_unit_expired_deadline_raises_database_unavailable_without_calling_the_operation():
    """Once the request deadline has passed, a database call fails at once and runs nothing."""
    calls = []
    with request_deadline(0), pytest.raises(DatabaseUnavailable):
        RetryPolicy(attempts=3, max_seconds=10, backoff_seconds=0).run(lambda: calls.append(1), "probe")
    assert calls == []


def test_unit_no_retry_starts_after_the_deadline():
    """A transient failure that outlasts the deadline is not retried, despite attempts left."""
    calls = []

    def slow_failure():
        calls.append(1)
        time.sleep(0.15)
        raise AutoReconnect("stalled")

    with request_deadline(0.1), pytest.raises(DatabaseUnavailable):
        RetryPolicy(attempts=5, max_seconds=10, backoff_seconds=0).run(slow_failure, "probe")
    assert len(calls) == 1


def test_unit_without_a_deadline_the_per_call_budget_is_unchanged():
    """Outside a request deadline (checkout, reconciler) every attempt of the budget is used."""
    calls = []

    def failure():
        calls.append(1)
        raise AutoReconnect("down")

    with pytest.raises(DatabaseUnavailable):
        RetryPolicy(attempts=3, max_seconds=10, backoff_seconds=0).run(failure, "probe")
    assert len(calls) == 3


def test_stalled_database_gets_a_503_within_the_deadline_and_redelivery_pays_once(make_app, fake_stripe, fail_point):
    """Every webhook command stalls past the socket timeout: 503 by deadline + one socket timeout,
    where the per-call budget alone takes far longer; the redelivery then pays the order once."""
    stall = {"failCommands": WEBHOOK_COMMANDS, "blockConnection": True, "blockTimeMS": 1500}

    app = _app(make_app, DEADLINE)
    client = app.test_client()
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    fail_point({"times": 1000}, stall)
    response, with_deadline = _timed_delivery(client, event)
    fail_point("off", {})
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "database_unavailable"
    assert with_deadline < DEADLINE + SOCKET_TIMEOUT + 0.5, f"503 took {with_deadline:.2f}s"
    time.sleep(1.6)  # let the server finish the stalled commands it is still holding
    _assert_paid_once_after_redelivery(app, client, event, order_id)

    app = _app(make_app, 9)  # the largest deadline allowed (config.BOUNDS), far past the 2 s one
    client = app.test_client()
    _, pi_id = new_order(client)
    fail_point({"times": 1000}, stall)
    response, without_deadline = _timed_delivery(client, fake_stripe.succeed(pi_id))
    fail_point("off", {})
    assert response.status_code == 503
    assert without_deadline > with_deadline + 2, (with_deadline, without_deadline)
    time.sleep(1.6)


def test_slow_calls_that_each_succeed_cannot_add_up_past_the_deadline(make_app, fake_stripe, fail_point):
    """Each webhook command is slow but inside the socket timeout, so no single call fails; their
    sum would pass the deadline, so the webhook answers 503 in time; the redelivery pays once.
    (A new success is two commands: the deadline here is 1.5 s, less than two blocked calls.)"""
    deadline = 1.5
    app = _app(make_app, deadline)
    client = app.test_client()
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    fail_point({"times": 1000}, {"failCommands": WEBHOOK_COMMANDS, "blockConnection": True, "blockTimeMS": 900})
    response, elapsed = _timed_delivery(client, event)
    fail_point("off", {})
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "database_unavailable"
    # The second command starts with 0.6 s left: it is cut at the deadline, not after its 0.9 s.
    assert elapsed < deadline + 0.3, f"503 took {elapsed:.2f}s"
    time.sleep(1.0)
    _assert_paid_once_after_redelivery(app, client, event, order_id)
