"""Payments that take days, end to end: an OXXO voucher paid or expired, a SEPA debit that
fails after processing, a bank transfer partly funded; the order waits on the customer and the
reconciler never cancels before the payment method's own end."""

import time
from datetime import UTC, timedelta

import pymongo
import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from service import handlers
from service.clock import utcnow
from service.devtools.fake_stripe import FakeStripe, async_methods
from tests.support.fake_clock import Clock
from tests.support.helpers import API_KEY, checkout, deliver
from tests.test_openapi import load_spec

PRODUCTS = [
    {"sku": "taco-kit", "name": "Taco kit", "unit_amount": 25000, "currency": "mxn"},
    {"sku": "print", "name": "Art print", "unit_amount": 3000, "currency": "eur"},
]
DAY = 86400


@pytest.fixture
def shop(make_app):
    """(services, client, fake, clock): the app on a fake Stripe whose clock the test moves."""
    clock = Clock(time.time())
    fake = FakeStripe(api_key=API_KEY, clock=clock).start()
    app = make_app(fake=fake, VOUCHER_GRACE_SECONDS=0, STRIPE_READ_RATE=1000, RECONCILE_GRACE_SECONDS=0)
    services = app.extensions["payments"]
    handlers.import_products(services, PRODUCTS)
    yield services, app.test_client(), fake, clock
    fake.stop()


@pytest.fixture
def raw_orders(shop):
    """A separate pymongo handle on the shop's orders, to move stored times back."""
    settings = shop[0].settings
    client = pymongo.MongoClient(settings.mongodb_uri, serverSelectionTimeoutMS=5000)
    yield client[settings.db_name].orders
    client.close()


def order_for(client, sku):
    body = checkout(client, [{"sku": sku, "quantity": 1}]).get_json()
    return body["order_id"], body["payment_intent_id"]


def confirm(fake, pi_id, data):
    """What Stripe.js does when the customer picks a payment method that takes days."""
    with fake.store.lock:
        return async_methods.confirm(fake.store, pi_id, data)


def oxxo(email):
    return {"type": "oxxo", "billing_details": {"name": "Ana López", "email": email}}


def last_event(fake, type_):
    return next(event for event in reversed(fake.events) if event["type"] == type_)


def order(client, order_id):
    return client.get(f"/orders/{order_id}").get_json()


def age(raw_orders, order_id, seconds):
    """Move an order's stored times back, as if ``seconds`` had passed for the service."""
    stored = raw_orders.find_one({"_id": order_id})
    earlier = {key: stored[key] - timedelta(seconds=seconds) for key in ("created_at", "expected_by")}
    raw_orders.update_one({"_id": order_id}, {"$set": earlier})


def test_a_voucher_paid_at_the_store_marks_the_order_paid(shop):
    """requires_action -> awaiting_customer with the voucher's URL and expiry (no secret);
    the store's payment -> paid, and the customer action is gone."""
    services, client, fake, clock = shop
    order_id, pi_id = order_for(client, "taco-kit")
    confirm(fake, pi_id, oxxo("succeed_immediately@example.com"))
    assert deliver(client, last_event(fake, "payment_intent.requires_action")).status_code == 200
    shown = order(client, order_id)
    action = shown["customer_action"]
    assert shown["status"] == "awaiting_customer" and action["kind"] == "voucher" and action["method"] == "oxxo"
    assert action["url"] == fake.payment_intents[pi_id]["next_action"]["oxxo_display_details"]["hosted_voucher_url"]
    assert action["expires_at"] is not None and "secret" not in str(services.store.orders.get(order_id))
    clock.now += 5
    fake.tick()
    assert deliver(client, last_event(fake, "payment_intent.succeeded")).status_code == 200
    shown = order(client, order_id)
    assert (shown["status"], shown["customer_action"]) == ("paid", None)


def test_a_voucher_is_canceled_only_after_it_expired(shop, raw_orders):
    """An abandoned checkout whose voucher is still valid is left alone by the reconciler (the
    customer may still pay at the store); once Stripe expired the voucher, it is canceled."""
    services, client, fake, clock = shop
    order_id, pi_id = order_for(client, "taco-kit")
    confirm(fake, pi_id, oxxo("customer@example.com"))  # its requires_action webhook is lost
    age(raw_orders, order_id, 2 * DAY)  # abandoned by CHECKOUT_EXPIRY_SECONDS, past the card deadline
    (planned,) = handlers.plan_reconcile(services)["orders"]
    assert planned["would"] == [
        "move the order from pending to awaiting_customer (requires_action: pending -> awaiting_customer)"
    ]
    handlers.reconcile(services)
    assert fake.payment_intents[pi_id]["status"] == "requires_action"
    stored = services.store.orders.get(order_id)
    assert stored["status"] == "awaiting_customer"
    expiry = fake.payment_intents[pi_id]["next_action"]["oxxo_display_details"]["expires_after"]
    assert stored["expected_by"].timestamp() == expiry  # the reconciler looks again at the voucher's end
    handlers.reconcile(services, older_than=0)  # even asked to look at it now: still not canceled
    assert fake.payment_intents[pi_id]["status"] == "requires_action"
    clock.now += 3 * DAY
    fake.tick()  # the voucher expired at Stripe: payment_failed, the PI waits for another method
    age(raw_orders, order_id, 3 * DAY)
    summary = handlers.reconcile(services)
    assert summary.healed == 1 and fake.payment_intents[pi_id]["status"] == "canceled"
    assert services.store.orders.get(order_id)["status"] == "canceled"


def test_a_debit_that_fails_after_processing_is_payment_failed_and_never_canceled_while_processing(shop, raw_orders):
    """SEPA debit: processing (expected within the business days, the reconciler never cancels
    it), then the bank refuses: payment_failed."""
    services, client, fake, clock = shop
    order_id, pi_id = order_for(client, "print")
    data = {
        "type": "sepa_debit",
        "sepa_debit": {"iban": async_methods.SEPA_FAILING_IBAN},
        "billing_details": {"name": "Jenny Rosen", "email": "jenny@example.com"},
    }
    confirm(fake, pi_id, data)
    assert deliver(client, last_event(fake, "payment_intent.processing")).status_code == 200
    stored = services.store.orders.get(order_id)
    assert stored["status"] == "processing" and stored["expected_by"] - utcnow() > timedelta(days=5)
    age(raw_orders, order_id, 10 * DAY)
    handlers.reconcile(services)
    assert fake.payment_intents[pi_id]["status"] == "processing"
    clock.now += 5
    fake.tick()
    assert deliver(client, last_event(fake, "payment_intent.payment_failed")).status_code == 200
    shown = order(client, order_id)
    assert shown["status"] == "payment_failed" and "insufficient funds" in shown["last_payment_error"]


def test_a_partly_funded_bank_transfer_waits_with_its_instructions_and_takes_no_money(shop):
    """payment_intent.partially_funded: awaiting_customer with the transfer's hosted
    instructions and the amount still to send; nothing is paid."""
    services, client, fake, _clock = shop
    order_id, pi_id = order_for(client, "taco-kit")
    pi = fake.payment_intents[pi_id]
    pi.update(
        status="requires_action",
        next_action={
            "type": "display_bank_transfer_instructions",
            "display_bank_transfer_instructions": {
                "amount_remaining": 5000,
                "currency": "mxn",
                "hosted_instructions_url": "https://payments.stripe.com/bank_transfers/instructions/test",
                "type": "mx_bank_transfer",
            },
        },
    )
    assert deliver(client, fake.make_event("payment_intent.partially_funded", pi)).status_code == 200
    shown = order(client, order_id)
    assert shown["status"] == "awaiting_customer"
    assert shown["customer_action"]["kind"] == "bank_transfer"
    assert shown["customer_action"]["amount_remaining"] == 5000
    assert services.store.orders.get(order_id)["expected_by"] - utcnow() > timedelta(days=5)
    first = fake.events[-1]
    pi["next_action"]["display_bank_transfer_instructions"]["amount_remaining"] = 2000
    newer = {**fake.make_event("payment_intent.partially_funded", pi), "created": first["created"] + 60}
    older = {**fake.make_event("payment_intent.partially_funded", pi), "created": first["created"] - 60}
    older["data"]["object"]["next_action"]["display_bank_transfer_instructions"]["amount_remaining"] = 9000
    assert deliver(client, newer).status_code == 200 and deliver(client, older).status_code == 200
    shown = order(client, order_id)  # the newer funding shows; a late older one changes nothing
    assert (shown["status"], shown["customer_action"]["amount_remaining"]) == ("awaiting_customer", 2000)


def test_a_failed_update_of_a_waiting_order_heals_on_redelivery_once(client, fake_stripe, raw_db, fail_point):
    """The order updates of requires_action fail (the presumed one before the inbox insert, the
    apply's after it): 500, then the redelivery moves the order to awaiting_customer once, with
    its voucher."""
    body = checkout(client).get_json()
    pi = fake_stripe.payment_intents[body["payment_intent_id"]]
    voucher = {"expires_after": int(time.time()) + 3 * DAY, "hosted_voucher_url": "https://v/1", "number": "12"}
    pi.update(status="requires_action", next_action={"type": "oxxo_display_details", "oxxo_display_details": voucher})
    event = fake_stripe.make_event("payment_intent.requires_action", pi)
    fail_point({"times": 2}, {"failCommands": ["update"], "errorCode": 2})
    assert deliver(client, event).status_code == 500
    assert raw_db.orders.find_one({"_id": body["order_id"]})["status"] == "pending"
    assert deliver(client, event).status_code == 200
    stored = raw_db.orders.find_one({"_id": body["order_id"]})
    assert [(step["from"], step["to"]) for step in stored["history"]] == [("pending", "awaiting_customer")]
    assert stored["customer_action"]["url"] == "https://v/1"
    assert stored["expected_by"].replace(tzinfo=UTC).timestamp() == voucher["expires_after"] + 3600


def test_a_waiting_order_matches_the_openapi_description(shop):
    """GET /orders/<id> of an awaiting_customer order (with its customer_action) validates."""
    _, client, fake, _ = shop
    order_id, pi_id = order_for(client, "taco-kit")
    confirm(fake, pi_id, oxxo("customer@example.com"))
    deliver(client, last_event(fake, "payment_intent.requires_action"))
    response = client.get(f"/orders/{order_id}")
    assert response.get_json()["status"] == "awaiting_customer"
    request = Request(EnvironBuilder(path=f"/orders/{order_id}", method="GET").get_environ())
    OpenAPI.from_dict(load_spec()).validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
