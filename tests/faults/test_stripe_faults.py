"""Stripe API faults at checkout, under gunicorn: 500 with and without Stripe-Should-Retry,
429, a reset connection, a response slower than our timeout, a response lost after Stripe
did the work; and Stripe succeeding while our database fails right after. The customer
(or reconcile) finishes each checkout with exactly one PaymentIntent."""

import itertools

import pytest

from tests.support.helpers import wait_for

_keys = itertools.count()
STRIPE_FAULTS = {
    # name: (inject kwargs, first reply, Stripe POSTs for the first checkout)
    "500_once": ({"kind": "error", "status": 500}, 201, 2),
    "500_should_retry_true_every_attempt": ({"kind": "error", "status": 500, "should_retry": True, "times": 3}, 503, 3),
    "500_should_retry_false": ({"kind": "error", "status": 500, "should_retry": False}, 502, 1),
    "429_once": ({"kind": "error", "status": 429}, 201, 2),
    "429_every_attempt": ({"kind": "error", "status": 429, "times": 3}, 503, 3),
    "connection_reset_once": ({"kind": "reset"}, 201, 2),
    "connection_reset_every_attempt": ({"kind": "reset", "times": 3}, 503, 3),
    "response_lost_after_stripe_created_it": ({"kind": "after"}, 201, 2),
    # Our 1 s timeout fires; Stripe still holds the key, so the retries get 409 (key in use).
    "slower_than_our_timeout": ({"kind": "delay", "delay": 1.5}, 503, 3),
}


def _pay(stack, order_id):
    order = stack.order(order_id)
    assert stack.deliver(stack.fake.succeed(order["payment_intent_id"])) == [200]


@pytest.mark.parametrize("fault", STRIPE_FAULTS)
def test_stripe_fault_at_checkout_ends_with_one_payment_intent(faults, fault):
    """201 within the retry budget or a clear 5xx after it; the same-key retry finishes; one PI, paid once."""
    stack = faults
    inject, expected, posts = STRIPE_FAULTS[fault]
    key = f"stripe-fault-{next(_keys)}"
    created = stack.fake.payment_intents_created
    before = stack.fake.count("POST", "/v1/payment_intents")
    stack.fake.inject("POST", "/v1/payment_intents", **inject)
    first = stack.checkout(key=key)
    assert first.status_code == expected, first.text
    assert stack.fake.count("POST", "/v1/payment_intents") - before == posts
    order = stack.db.orders.find_one({"idempotency_key": key})
    assert order["status"] == "pending"
    if expected != 201:
        assert first.json()["error"]["code"] in ("payment_provider_unavailable", "payment_provider_error")
        assert order.get("payment_intent_id") is None
        stack.no_faults()
        if inject["kind"] == "delay":  # the customer retries once the slow Stripe call finished
            wait_for(lambda: stack.fake.payment_intents_created == created + 1)
        retry = stack.checkout(key=key)
        assert retry.status_code == 201 and retry.json()["order_id"] == order["_id"]
    _pay(stack, order["_id"])
    stack.heal_and_check()
    assert stack.order(order["_id"])["status"] == "paid"
    assert stack.fake.payment_intents_created == created + 1


def test_stripe_created_it_but_never_answered_and_customer_left(faults):
    """Stripe created the PI but every answer was lost and the customer left: reconcile attaches that PI."""
    stack = faults
    key = f"stripe-fault-{next(_keys)}"
    created = stack.fake.payment_intents_created
    stack.fake.inject("POST", "/v1/payment_intents", "after", times=3)
    assert stack.checkout(key=key).status_code == 503
    assert stack.fake.payment_intents_created == created + 1
    stack.heal_and_check()
    order = stack.db.orders.find_one({"idempotency_key": key})
    assert stack.fake.payment_intents_created == created + 1
    assert stack.fake.payment_intents[order["payment_intent_id"]]["metadata"]["order_id"] == order["_id"]


@pytest.mark.parametrize(
    "failure,expected",
    [
        ({"closeConnection": True, "times": 3}, 503),
        ({"errorCode": 2, "times": 1}, 500),
    ],
    ids=["connection_dropped_every_retry", "permanent_error"],
)
@pytest.mark.parametrize("customer_retries", [True, False], ids=["customer_retries", "customer_left"])
def test_database_fails_right_after_stripe_succeeded(faults, failure, expected, customer_retries):
    """Saving the PI id fails after Stripe created it: 5xx, then the retry or reconcile attaches that PI."""
    stack = faults
    key = f"db-after-stripe-{next(_keys)}"
    created = stack.fake.payment_intents_created
    times = failure.pop("times")
    try:
        # skip the call journal's update after the Stripe call: fail the PI id's attach (an update)
        stack.fail_point({"skip": 1, "times": times}, failCommands=["update"], **failure)
    finally:
        failure["times"] = times
    response = stack.checkout(key=key)
    assert response.status_code == expected, response.text
    order = stack.db.orders.find_one({"idempotency_key": key})
    assert order["status"] == "pending" and order.get("payment_intent_id") is None
    assert stack.fake.payment_intents_created == created + 1
    (pi_id,) = [pi for pi, obj in stack.fake.payment_intents.items() if obj["metadata"]["order_id"] == order["_id"]]
    if customer_retries:
        stack.no_faults()
        retry = stack.checkout(key=key)
        assert retry.status_code == 201 and retry.json()["payment_intent_id"] == pi_id
        _pay(stack, order["_id"])
    stack.heal_and_check()
    assert stack.fake.payment_intents_created == created + 1
    assert stack.order(order["_id"])["payment_intent_id"] == pi_id
