"""The database failing under the webhook and checkout: 503s, redelivery heals, durability."""

import time

import mongoengine
import pymongo

from tests.support.helpers import checkout, deliver, new_order, transitions


def test_seed_scenario_database_down_then_redelivery_heals(own_mongo, fake_stripe, make_app):
    """First delivery of succeeded while the DB is down gets a quick 5xx; the redelivery after
    the DB is back makes the order paid, and nothing is applied twice."""
    app = make_app(mongo=own_mongo)
    client = app.test_client()
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)

    own_mongo.kill()
    started = time.monotonic()
    down = deliver(client, event)
    elapsed = time.monotonic() - started
    assert down.status_code == 503 and down.get_json()["error"]["code"] == "database_unavailable"
    assert elapsed < 5, f"503 took {elapsed:.1f}s"

    own_mongo.restart()
    healed = deliver(client, event)  # Stripe's redelivery: same event, fresh signature
    assert healed.status_code == 200 and healed.get_json()["state"] == "applied"
    again = deliver(client, event)
    assert again.get_json()["duplicate"] is True

    raw = pymongo.MongoClient(own_mongo.uri())[app.extensions["payments"].settings.db_name]
    assert raw.orders.find_one({"_id": order_id})["status"] == "paid"
    assert transitions(raw, order_id) == [("pending", "paid", event["id"])]
    assert raw.stripe_events.find_one({"_id": event["id"]})["attempts"] == 1


def test_checkout_survives_database_sigkill(own_mongo, fake_stripe, make_app):
    """An order acknowledged to the customer is journaled: it is there after kill -9."""
    app = make_app(mongo=own_mongo)
    body = checkout(app.test_client()).get_json()
    assert mongoengine.get_db().client.write_concern.document.get("j") is True
    own_mongo.kill()
    own_mongo.restart()
    raw = pymongo.MongoClient(own_mongo.uri())[app.extensions["payments"].settings.db_name]
    stored = raw.orders.find_one({"_id": body["order_id"]})
    assert stored["status"] == "pending" and stored["payment_intent_id"] == body["payment_intent_id"]


def test_checkout_with_database_down_is_503_without_calling_stripe(own_mongo, fake_stripe, make_app):
    """No database, no PaymentIntent: checkout answers 503 and Stripe is never called."""
    app = make_app(mongo=own_mongo)
    own_mongo.kill()
    response = checkout(app.test_client())
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "database_unavailable"
    assert fake_stripe.count("POST", "/v1/payment_intents") == 0
    assert app.test_client().get("/readyz").status_code == 503
    assert app.test_client().get("/healthz").status_code == 200


def test_dropped_connection_is_retried_transparently(client, fake_stripe, raw_db, fail_point):
    """One closed connection on the inbox write is absorbed by the bounded retry: 200, paid."""
    order_id, pi_id = new_order(client)
    fail_point({"times": 1}, {"failCommands": ["insert"], "closeConnection": True})
    assert deliver(client, fake_stripe.succeed(pi_id)).status_code == 200
    assert raw_db.orders.find_one({"_id": order_id})["status"] == "paid"


def test_permanent_error_is_recorded_then_parked(mongo, fake_stripe, make_app, fail_point):
    """A non-transient error while applying: 500 with the error on the inbox row; after
    WEBHOOK_MAX_ATTEMPTS the row is parked as failed and Stripe gets a 200."""
    app = make_app(WEBHOOK_MAX_ATTEMPTS=2)
    client = app.test_client()
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    # each delivery meets two order updates: the presumed one, then the read-and-decide one
    fail_point({"times": 4}, {"failCommands": ["update"], "errorCode": 2})

    first = deliver(client, event)
    assert first.status_code == 500 and first.get_json()["error"]["code"] == "event_processing_failed"
    raw = pymongo.MongoClient(mongo.uri())[app.extensions["payments"].settings.db_name]
    row = raw.stripe_events.find_one({"_id": event["id"]})
    assert row["state"] == "received" and row["attempts"] == 1 and "OperationFailure" in row["last_error"]

    second = deliver(client, event)
    assert second.status_code == 200 and second.get_json()["state"] == "failed"
    assert raw.stripe_events.find_one({"_id": event["id"]})["state"] == "failed"
    assert raw.orders.find_one({"_id": order_id})["status"] == "pending"


def test_error_between_inbox_and_order_update_heals_on_redelivery(client, fake_stripe, raw_db, fail_point):
    """The order update fails (the presumed one, then after the inbox insert the read-and-decide
    one): 500, then the redelivery applies it once."""
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    fail_point({"times": 2}, {"failCommands": ["update"], "errorCode": 2})
    assert deliver(client, event).status_code == 500
    assert raw_db.stripe_events.find_one({"_id": event["id"]})["state"] == "received"
    assert deliver(client, event).status_code == 200
    assert transitions(raw_db, order_id) == [("pending", "paid", event["id"])]


def test_webhook_5xx_log_line_names_the_event(client, fake_stripe, fail_point, log_lines):
    """An operator searching the logs for a failed delivery finds its event id on the 503 line."""
    _, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    fail_point({"times": 3}, {"failCommands": ["insert"], "closeConnection": True})
    assert deliver(client, event).status_code == 503
    line = [entry for entry in log_lines() if entry["msg"] == "request" and entry["status"] == 503][-1]
    assert line["event_id"] == event["id"] and line["error"] == "database_unavailable"


def test_a_checkout_during_an_outage_answers_the_shopper_kindly_and_logs_the_detail(client, fail_point, log_lines):
    """503 with a message a shopper can read (no operation names); the request's log line keeps
    the detail for operators."""
    fail_point({"times": 50}, {"failCommands": ["insert"], "errorCode": 6})
    answer = checkout(client)
    assert answer.status_code == 503
    assert answer.get_json()["error"] == {
        "code": "database_unavailable",
        "message": "The service is briefly unavailable. Please try again in a moment.",
    }
    request_line = next(line for line in log_lines() if line["msg"] == "request" and line["path"] == "/checkout")
    assert request_line["error_detail"] == "database unavailable during insert_order"
