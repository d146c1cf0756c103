"""Checkout rate limits: per client IP and for everyone, 429 with Retry-After and the JSON
error, counters in the database (shared by every process and dyno), webhooks never limited."""

import pytest

from service import handlers
from tests.support.helpers import deliver, new_order

LIMITS = {"CHECKOUT_LIMIT_PER_IP": 3, "CHECKOUT_LIMIT_GLOBAL": 5, "CHECKOUT_LIMIT_WINDOW_SECONDS": 3600}
CART = {"items": [{"sku": "tee", "quantity": 1}]}


@pytest.fixture
def app(make_app):
    return make_app(**LIMITS)


def buy(client, ip):
    return client.post("/checkout", json=CART, headers={"X-Forwarded-For": ip})


def test_one_client_is_limited_and_gets_retry_after(client, fake_stripe, raw_db):
    """The 4th checkout of one IP in the window is a 429 JSON error with Retry-After; nothing
    is created for it; another IP still gets through."""
    assert [buy(client, "203.0.113.1").status_code for _ in range(3)] == [201, 201, 201]
    refused = buy(client, "203.0.113.1")
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["code"] == "rate_limited" and 0 < error["retry_after"] <= 3600
    assert refused.headers["Retry-After"] == str(error["retry_after"])
    assert raw_db.orders.count_documents({}) == 3 and fake_stripe.payment_intents_created == 3
    assert buy(client, "203.0.113.2").status_code == 201


def test_all_clients_together_are_limited(client, raw_db):
    """Past the global limit every client is refused, whatever its IP."""
    statuses = [buy(client, f"198.51.100.{n}").status_code for n in range(7)]
    assert statuses == [201] * 5 + [429, 429]
    assert raw_db.orders.count_documents({}) == 5


def test_a_limited_client_does_not_spend_the_global_budget(client):
    """Requests refused by the per-IP limit are not counted against everyone's."""
    for _ in range(10):
        buy(client, "203.0.113.7")
    assert [buy(client, f"198.51.100.{n}").status_code for n in range(2)] == [201, 201]


def test_webhooks_are_never_limited(client, fake_stripe):
    """With both checkout limits exhausted, Stripe's deliveries (and duplicates) all get through."""
    order_id, pi_id = new_order(client)
    for n in range(8):
        buy(client, f"192.0.2.{n}")
    event = fake_stripe.succeed(pi_id)
    statuses = [deliver(client, event).status_code for _ in range(30)]
    assert statuses == [200] * 30
    assert client.get(f"/orders/{order_id}").get_json()["status"] == "paid"


def test_counters_live_in_the_database_without_raw_addresses(app, client, raw_db):
    """The counters are documents in the database (what another process counts, here the handler
    called directly, refuses this one), keyed by a digest of the IP, expiring with their window."""
    buy(client, "203.0.113.9")
    ids = [doc["_id"] for doc in raw_db.rate_limits.find()]
    assert ids and not any("203.0.113.9" in counter for counter in ids)
    assert any(index.get("expireAfterSeconds") == 0 for index in raw_db.rate_limits.index_information().values())
    services = app.extensions["payments"]
    for _ in range(2):
        handlers.check_checkout_rate(services, "203.0.113.9")
    assert buy(client, "203.0.113.9").status_code == 429
