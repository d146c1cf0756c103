"""Saved 5xx replays: Stripe keeps a 5xx under the idempotency key once the request began and
replays it for 24 hours. The fake models it, the gateway names it (not a transient to retry),
and an order still gets exactly one PaymentIntent (and a refund exactly one Refund) within
minutes: search after Stripe's search lag, else the key's next generation."""

import time
from datetime import timedelta

import pymongo
import pytest
import requests
import stripe

from service import handlers
from service.devtools.fake_stripe import FakeStripe
from service.errors import SavedFailureReplayed
from tests.support.fake_clock import Clock
from tests.support.helpers import API_KEY, checkout, deliver

LAG = 60


@pytest.fixture
def shop(make_app):
    """(services, client, fake, clock, orders): the app on a fake Stripe whose search sees a
    PaymentIntent only LAG seconds after its creation, by a clock the test moves."""
    clock = Clock(time.time())
    fake = FakeStripe(api_key=API_KEY, clock=clock, search_lag=LAG).start()
    app = make_app(fake=fake, STRIPE_SEARCH_LAG_SECONDS=LAG, STRIPE_READ_RATE=1000)
    services = app.extensions["payments"]
    mongo = pymongo.MongoClient(services.settings.mongodb_uri, serverSelectionTimeoutMS=5000)
    yield services, app.test_client(), fake, clock, mongo[services.settings.db_name].orders
    mongo.close()
    fake.stop()


def raw_post(fake, path, key, **params):
    return requests.post(
        fake.url + path, data=params, headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": key}, timeout=5
    )


def wait_out_the_search_lag(clock, orders, order_id):
    """LAG + 1 seconds pass, for the fake's search and for the service's stored times."""
    clock.now += LAG + 1
    order = orders.find_one({"_id": order_id})
    earlier = {"expected_by": order["expected_by"] - timedelta(seconds=LAG + 1)}
    for base, entry in (order.get("key_generations") or {}).items():
        earlier[f"key_generations.{base}.failed_at"] = entry["failed_at"] - timedelta(seconds=LAG + 1)
    orders.update_one({"_id": order_id}, {"$set": earlier})


# -- the fake ------------------------------------------------------------------------------
@pytest.mark.parametrize("execute", [True, False])
def test_a_saved_500_is_replayed_identically_under_its_key(shop, execute):
    """First request: 500. Every replay: the same bytes, Idempotent-Replayed and the same
    Request-Id. With ``execute`` the PaymentIntent exists, without it nothing does."""
    fake = shop[2]
    fake.inject("POST", "/v1/payment_intents", "saved", execute=execute)
    first = raw_post(fake, "/v1/payment_intents", "k1", amount="100", currency="usd")
    again = [raw_post(fake, "/v1/payment_intents", "k1", amount="100", currency="usd") for _ in range(2)]
    assert first.status_code == 500 and "Idempotent-Replayed" not in first.headers
    for replay in again:
        assert (replay.status_code, replay.content) == (500, first.content)
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.headers["Request-Id"] == first.headers["Request-Id"]
    assert fake.payment_intents_created == (1 if execute else 0)
    fresh = raw_post(fake, "/v1/payment_intents", "k2", amount="100", currency="usd")
    assert fresh.status_code == 200 and stripe.PaymentIntent.construct_from(fresh.json(), API_KEY).amount == 100


def test_a_saved_fault_without_a_key_saves_nothing(shop):
    """Without an idempotency key there is nothing to save it under: a plain 500, then success."""
    fake = shop[2]
    fake.inject("POST", "/v1/payment_intents", "saved")
    plain = requests.post(
        fake.url + "/v1/payment_intents",
        data={"amount": "100", "currency": "usd"},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=5,
    )
    assert plain.status_code == 500 and fake.payment_intents_created == 0


# -- the gateway ---------------------------------------------------------------------------
def test_the_gateway_names_a_replayed_500_and_stops_retrying(shop):
    """The first 500 is retried once with the same key; its replay raises SavedFailureReplayed
    at once (two requests, not the whole retry budget)."""
    services, fake = shop[0], shop[2]
    fake.inject("POST", "/v1/payment_intents", "saved")
    with pytest.raises(SavedFailureReplayed) as error:
        services.gateway.create_payment_intent(order_id="ord_x", amount=100, currency="usd", idempotency_key="k9")
    assert error.value.idempotency_key == "k9" and fake.count("POST", "/v1/payment_intents") == 2


# -- orders --------------------------------------------------------------------------------
def test_saved_500_after_stripe_created_the_payment_intent_heals_with_that_one(shop):
    """The failed attempt made the PI: within the search lag the checkout answers 503 and
    creates nothing more; after it the reconciler finds the PI by search and attaches it."""
    services, client, fake, clock, orders = shop
    fake.inject("POST", "/v1/payment_intents", "saved", execute=True)
    first = checkout(client, key="cart-1")
    assert first.status_code == 503 and first.get_json()["error"]["code"] == "payment_provider_saved_failure"
    assert checkout(client, key="cart-1").status_code == 503  # a retry inside the lag: still nothing new
    order = orders.find_one({})
    assert order.get("payment_intent_id") is None and fake.payment_intents_created == 1
    assert handlers.reconcile(services).checked == 0  # due only once the search can see the PI
    wait_out_the_search_lag(clock, orders, order["_id"])
    handlers.reconcile(services)
    (pi_id,) = fake.payment_intents
    assert orders.find_one({})["payment_intent_id"] == pi_id and fake.payment_intents_created == 1
    again = checkout(client, key="cart-1")
    assert again.status_code == 201 and again.get_json()["payment_intent_id"] == pi_id


def test_saved_500_before_stripe_did_anything_heals_with_the_next_key_generation(shop):
    """The failed attempt made nothing: after the search lag the retried checkout creates the
    PI under `<key>-g2`; the order has exactly one PaymentIntent."""
    _services, client, fake, clock, orders = shop
    fake.inject("POST", "/v1/payment_intents", "saved", execute=False)
    assert checkout(client, key="cart-2").status_code == 503
    order_id = orders.find_one({})["_id"]
    wait_out_the_search_lag(clock, orders, order_id)
    healed = checkout(client, key="cart-2")
    assert healed.status_code == 201
    assert fake.payment_intents_created == 1
    (pi,) = fake.payment_intents.values()
    assert pi["metadata"]["order_id"] == order_id and healed.get_json()["payment_intent_id"] == pi["id"]
    keys = [r.idempotency_key for r in fake.requests if r.method == "POST" and r.path == "/v1/payment_intents"]
    assert keys[-1] == f"order-{order_id}-payment-intent-g2"
    (entry,) = orders.find_one({"_id": order_id})["key_generations"].values()
    assert (entry["key"], entry["generation"]) == (f"order-{order_id}-payment-intent", 2)


@pytest.mark.parametrize("execute", [True, False])
def test_a_refund_spent_by_a_saved_500_is_made_exactly_once(shop, execute):
    """`orders refund` meets a saved 500: the refund the failed attempt made is recorded, or
    none was made and the next key generation makes it; Stripe holds exactly one refund."""
    services, client, fake, _clock, orders = shop
    body = checkout(client).get_json()
    assert deliver(client, fake.succeed(body["payment_intent_id"])).status_code == 200
    fake.inject("POST", "/v1/refunds", "saved", execute=execute)
    result = handlers.refund_order(services, body["order_id"])
    (refund,) = fake.store.snapshot("refunds").values()
    assert result["refund_id"] == refund["id"] and refund["amount"] == body["amount"]
    assert refund["metadata"]["refund_key"] == result["idempotency_key"]
    assert [r["id"] for r in orders.find_one({"_id": body["order_id"]})["refunds"]] == [refund["id"]]


@pytest.mark.parametrize("execute", [True, False])
def test_a_cancel_spent_by_a_saved_500_still_cancels_the_abandoned_checkout(shop, execute):
    """The reconciler's cancel of an abandoned checkout meets a saved 500: in the same pass it
    reads the PI (canceled if the failed attempt did it) or cancels under `-cancel-g2`."""
    services, client, fake, _clock, orders = shop
    body = checkout(client).get_json()
    past = orders.find_one({})["created_at"] - timedelta(days=2)
    orders.update_one({"_id": body["order_id"]}, {"$set": {"created_at": past, "expected_by": past}})
    fake.inject("POST", f"/v1/payment_intents/{body['payment_intent_id']}/cancel", "saved", execute=execute)
    assert handlers.reconcile(services).healed == 1
    assert fake.payment_intents[body["payment_intent_id"]]["status"] == "canceled"
    assert orders.find_one({})["status"] == "canceled"
    cancels = [r for r in fake.requests if r.path.endswith("/cancel")]
    assert [r.idempotency_key.endswith("-cancel-g2") for r in cancels][-1] is (not execute)
