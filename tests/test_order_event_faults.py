"""Order events across a crash between any two writes (mongod's failCommand fail point at each
write): no order change without its event, no event for a change that did not happen, and
the relay repairs a copy cut short without doubling anything."""

from datetime import timedelta

import pytest
from pymongo.errors import PyMongoError

from service.clock import utcnow
from service.errors import ServiceError
from service.handlers import outbox
from tests.support.helpers import deliver, new_order
from tests.support.shop import SHOP_SECRET as SECRET


@pytest.fixture
def shop_app(make_app, receiver):
    return make_app(SHOP_WEBHOOK_URLS=receiver.url, SHOP_WEBHOOK_SECRETS=SECRET, WEBHOOK_MAX_ATTEMPTS=5)


@pytest.fixture
def raw(shop_app, mongo):
    import pymongo

    client = pymongo.MongoClient(mongo.uri(), serverSelectionTimeoutMS=5000)
    yield client[shop_app.extensions["payments"].settings.db_name]
    client.close()


def test_a_failed_order_write_leaves_neither_change_nor_event(shop_app, fake_stripe, fail_point, raw):
    """The updates that would make the order paid fail (the presumed one, then the apply's): no
    status change and no event; the redelivery makes both, once."""
    client = shop_app.test_client()
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    fail_point({"times": 2}, {"failCommands": ["update"], "errorCode": 2})
    assert deliver(client, event).status_code == 500
    order = raw.orders.find_one({"_id": order_id})
    assert order["status"] == "pending" and not order.get("events") and not order.get("event_seq")
    assert deliver(client, event).status_code == 200
    order = raw.orders.find_one({"_id": order_id})
    assert order["status"] == "paid" and [e["id"] for e in order["events"]] == [f"oev_{order_id}_1"]


@pytest.mark.parametrize(
    ("command", "skip"),
    [("insert", 0), ("insert", 1), ("insert", 2), ("update", 0)],
    ids=["first-event-copy", "second-event-copy", "deliveries-copy", "relayed-flag"],
)
def test_relay_interrupted_at_each_write_repairs_without_doubling(
    shop_app, fake_stripe, fail_point, raw, receiver, command, skip
):
    """The relay fails copying the 1st or 2nd event, the deliveries, or at its flag update; the
    next relay completes the copy from the order's array: each event once in the feed, one delivery per endpoint, and
    the shop gets each event exactly once, in order."""
    services = shop_app.extensions["payments"]
    client = shop_app.test_client()
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    deliver(client, fake_stripe.refund(pi_id, 500))
    fail_point({"skip": skip} if skip else {"times": 1}, {"failCommands": [command], "errorCode": 2})
    try:
        with pytest.raises((PyMongoError, ServiceError)):
            outbox.relay(services)
    finally:
        fail_point("off", {})
    assert raw.orders.find_one({"_id": order_id})["events_pending"] is True  # the gap is visible
    outbox.relay(services)
    outbox.relay(services)
    copied = list(raw.order_events.find().sort("position", 1))
    assert [e["_id"] for e in copied] == [f"oev_{order_id}_1", f"oev_{order_id}_2"]
    assert len({e["position"] for e in copied}) == 2
    assert raw.order_event_deliveries.count_documents({}) == 2
    assert raw.orders.find_one({"_id": order_id})["events_pending"] is False
    outbox.deliver(services)
    assert receiver.event_ids() == [f"oev_{order_id}_1", f"oev_{order_id}_2"]


def test_a_lost_delivered_mark_sends_again_at_least_once(shop_app, fake_stripe, fail_point, raw, receiver):
    """The shop answered 2xx but marking the delivery failed: it stays pending and is sent
    again (at least once), then marked delivered."""
    services = shop_app.extensions["payments"]
    client = shop_app.test_client()
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    outbox.relay(services)
    # updates of an attempt: the claim, the endpoint's health after the POST, the delivered mark
    fail_point({"skip": 2}, {"failCommands": ["update"], "errorCode": 2})
    try:
        with pytest.raises((PyMongoError, ServiceError)):
            outbox.deliver(services)
    finally:
        fail_point("off", {})
    assert raw.order_event_deliveries.find_one()["state"] == "pending"
    outbox.deliver(services)  # still claimed by the interrupted attempt: not sent yet
    assert receiver.event_ids() == [f"oev_{order_id}_1"]
    outbox.deliver(services, now=lambda: utcnow() + timedelta(minutes=1))  # the claim has run out
    assert receiver.event_ids() == [f"oev_{order_id}_1"] * 2
    assert raw.order_event_deliveries.find_one()["state"] == "delivered"
