"""End to end: gunicorn started as the Procfile says, the CLI as an operator runs it, a real
SecantusDB daemon and the fake Stripe API with signed, redelivered webhooks."""

import time

import pymongo
import pytest
import requests

from service.devtools.fake_stripe import Deliverer
from tests.support.helpers import CATALOG, OLD_WEBHOOK_SECRET, WEBHOOK_SECRET, wait_for
from tests.support.stack import ServiceStack


@pytest.fixture
def stack(own_mongo, fake_stripe, tmp_path):
    """db init + catalog import through the CLI (the import twice), then gunicorn with 2 workers."""
    with ServiceStack(str(tmp_path), mongo=own_mongo, fake=fake_stripe, catalog=CATALOG[:1]) as stack:
        stack.start(web=False)
        result = stack.cli("products", "import", stack.path("catalog.json"))
        assert result.returncode == 0, result.stderr
        yield stack.start_web(), stack.env


def test_buy_and_pay_through_gunicorn(stack, fake_stripe, own_mongo):
    """Checkout over HTTP, Stripe confirms, the signed webhook marks the order paid."""
    server, env = stack
    response = requests.post(
        server.url + "/checkout",
        json={"items": [{"sku": "tee", "quantity": 3}]},
        headers={"Idempotency-Key": "e2e-1"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["amount"] == 6000
    deliverer = Deliverer(server.url + "/webhooks/stripe", [WEBHOOK_SECRET, OLD_WEBHOOK_SECRET])
    assert deliverer.deliver(fake_stripe.succeed(body["payment_intent_id"]), max_attempts=1) == [200]
    order = requests.get(f"{server.url}/orders/{body['order_id']}", timeout=5).json()
    assert order["status"] == "paid"
    logs = server.logs()
    assert body["client_secret"] not in logs and '"msg":"request"' in logs
    raw = pymongo.MongoClient(own_mongo.uri())[pymongo.uri_parser.parse_uri(env["MONGODB_URI"])["database"]]
    assert raw.products.count_documents({}) == 1


def test_database_outage_heals_through_stripe_redelivery(stack, fake_stripe, own_mongo):
    """The DB dies under gunicorn: Stripe's delivery gets 503s, the redelivery after the DB is
    back pays the order once."""
    server, env = stack
    body = requests.post(server.url + "/checkout", json={"items": [{"sku": "tee", "quantity": 1}]}, timeout=10).json()
    event = fake_stripe.succeed(body["payment_intent_id"])
    own_mongo.kill()
    deliverer = Deliverer(server.url + "/webhooks/stripe", [WEBHOOK_SECRET])
    started = time.monotonic()
    assert deliverer.deliver(event, max_attempts=2) == [503, 503]
    assert time.monotonic() - started < 10
    own_mongo.restart()
    assert deliverer.deliver(event, max_attempts=3)[-1] == 200
    order = wait_for(lambda: requests.get(f"{server.url}/orders/{body['order_id']}", timeout=5).json())
    assert order["status"] == "paid"
    raw = pymongo.MongoClient(own_mongo.uri())[pymongo.uri_parser.parse_uri(env["MONGODB_URI"])["database"]]
    history = raw.orders.find_one({"_id": body["order_id"]})["history"]
    assert [(step["from"], step["to"]) for step in history] == [("pending", "paid")]
