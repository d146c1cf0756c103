"""Order events for the shop: recorded with the change, relayed, delivered signed (verified
by the standardwebhooks package), in order per order, retried, dead-lettered and replayed."""

import base64
import re
from datetime import timedelta
from pathlib import Path

import pytest

from service import handlers
from service.clock import utcnow
from service.devtools.shop_receiver import ShopReceiver
from service.gateway.shop_webhooks import Outcome
from service.handlers import outbox
from tests.support.helpers import deliver, new_order
from tests.support.shop import SHOP_SECRET as SECRET

NEW_SECRET = "whsec_" + base64.b64encode(b"n" * 32).decode()


@pytest.fixture
def shop_app(make_app, receiver):
    return make_app(SHOP_WEBHOOK_URLS=receiver.url, SHOP_WEBHOOK_SECRETS=SECRET, OUTBOX_TIMEOUT_SECONDS="1")


def _services(app):
    return app.extensions["payments"]


def _raw(app, raw_client):
    return raw_client[_services(app).settings.db_name]


@pytest.fixture
def raw_client(mongo):
    import pymongo

    client = pymongo.MongoClient(mongo.uri(), serverSelectionTimeoutMS=5000)
    yield client
    client.close()


def test_paid_order_records_its_event_in_the_same_document(shop_app, fake_stripe, raw_client):
    """Paying an order pushes order.paid (id oev_<order>_1, seq 1, the public view) onto it."""
    client = shop_app.test_client()
    order_id, pi_id = new_order(client)
    assert deliver(client, fake_stripe.succeed(pi_id)).status_code == 200
    order = _raw(shop_app, raw_client).orders.find_one({"_id": order_id})
    assert order["status"] == "paid" and order["event_seq"] == 1 and order["events_pending"] is True
    [event] = order["events"]
    assert event["id"] == f"oev_{order_id}_1" and event["seq"] == 1 and event["type"] == "order.paid"
    assert event["data"]["status"] == "paid" and event["data"]["order_id"] == order_id
    assert "secret" not in str(event)


def test_a_duplicate_or_untold_change_records_no_event(shop_app, fake_stripe, raw_client):
    """processing is not told; a redelivered success adds nothing; the later payment is seq 2."""
    client = shop_app.test_client()
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.process(pi_id))
    paid = fake_stripe.succeed(pi_id)
    deliver(client, paid)
    deliver(client, paid)
    order = _raw(shop_app, raw_client).orders.find_one({"_id": order_id})
    assert [e["type"] for e in order["events"]] == ["order.paid"] and order["event_seq"] == 1


def test_refund_and_dispute_are_told_in_sequence(shop_app, fake_stripe, raw_client):
    """paid, partially refunded, refunded: seq 1, 2, 3 on the order."""
    client = shop_app.test_client()
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    deliver(client, fake_stripe.refund(pi_id, 500))
    deliver(client, fake_stripe.refund(pi_id))
    order = _raw(shop_app, raw_client).orders.find_one({"_id": order_id})
    assert [(e["seq"], e["type"]) for e in order["events"]] == [
        (1, "order.paid"),
        (2, "order.partially_refunded"),
        (3, "order.refunded"),
    ]
    assert order["events"][2]["data"]["refund"]["status"] == "refunded"


def test_delivery_is_signed_and_verifies_with_standardwebhooks(shop_app, fake_stripe, receiver, raw_client):
    """One pass relays and delivers: the receiver verified the signature; the row is delivered."""
    client = shop_app.test_client()
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    result = outbox.deliver(_services(shop_app))
    assert result.relayed == 1
    [payload] = receiver.received
    assert payload["type"] == "order.paid" and payload["data"]["event_id"] == f"oev_{order_id}_1"
    assert receiver.headers[0]["webhook-id"] == f"oev_{order_id}_1" and receiver.rejected == 0
    raw = _raw(shop_app, raw_client)
    [row] = list(raw.order_event_deliveries.find())
    assert row["state"] == "delivered" and row["attempts"] == 1 and row["log"][0]["status"] == 200
    assert raw.orders.find_one({"_id": order_id})["events_pending"] is False
    outbox.deliver(_services(shop_app))
    assert len(receiver.received) == 1  # a second pass sends nothing again


def test_a_later_event_waits_for_the_earlier_one_of_its_order(shop_app, fake_stripe, receiver):
    """The endpoint refuses order.paid: the refund's event waits; once paid goes through, both
    arrive in order."""
    client = shop_app.test_client()
    _order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    deliver(client, fake_stripe.refund(pi_id))
    receiver.steps = [500]
    first = outbox.deliver(_services(shop_app))
    [counts] = first.endpoints.values()
    assert counts == {"delivered": 0, "failed": 1, "dead": 0, "waiting": 1} and receiver.received == []
    later = lambda: utcnow() + timedelta(hours=2)  # noqa: E731 - past any backoff
    outbox.deliver(_services(shop_app), now=later)
    assert [p["type"] for p in receiver.received] == ["order.paid", "order.refunded"]


def test_rotation_signs_with_both_secrets(make_app, fake_stripe):
    """While the endpoint's secret rotates, a receiver holding either secret verifies."""
    old, new = ShopReceiver(SECRET), ShopReceiver(NEW_SECRET)
    try:
        app = make_app(
            SHOP_WEBHOOK_URLS=f"{old.url},{new.url}",
            SHOP_WEBHOOK_SECRETS=f"{SECRET} {NEW_SECRET},{SECRET} {NEW_SECRET}",
        )
        client = app.test_client()
        _, pi_id = new_order(client)
        deliver(client, fake_stripe.succeed(pi_id))
        outbox.deliver(_services(app))
        assert len(old.received) == 1 and len(new.received) == 1
        assert old.rejected == 0 and new.rejected == 0
        assert len(old.headers[0]["webhook-signature"].split(" ")) == 2
    finally:
        old.close()
        new.close()


def test_dead_letter_after_the_budget_then_replay(shop_app, fake_stripe, receiver, raw_client):
    """Failing past OUTBOX_RETRY_BUDGET_SECONDS makes the delivery dead; replay sends it again."""
    client = shop_app.test_client()
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    services = _services(shop_app)
    receiver.steps = [500, 500]
    start = utcnow()
    outbox.deliver(services, now=lambda: start)
    end = start + timedelta(seconds=services.settings.outbox_retry_budget_seconds + 1)
    result = outbox.deliver(services, now=lambda: end)
    assert next(iter(result.endpoints.values()))["dead"] == 1
    raw = _raw(shop_app, raw_client)
    assert raw.order_event_deliveries.find_one()["state"] == "dead" and receiver.received == []
    assert outbox.replay(services, order_id=order_id) == 1
    outbox.deliver(services)
    assert [p["type"] for p in receiver.received] == ["order.paid"]
    assert raw.order_event_deliveries.find_one()["state"] == "delivered"


def test_a_stalled_endpoint_does_not_hold_up_another(make_app, fake_stripe):
    """One endpoint stalls past the timeout; the other still gets its event in the same pass."""
    slow, fast = ShopReceiver(SECRET, steps=[("stall", 3)]), ShopReceiver(SECRET)
    try:
        app = make_app(
            SHOP_WEBHOOK_URLS=f"{slow.url},{fast.url}",
            SHOP_WEBHOOK_SECRETS=f"{SECRET},{SECRET}",
            OUTBOX_TIMEOUT_SECONDS="0.5",
        )
        client = app.test_client()
        _, pi_id = new_order(client)
        deliver(client, fake_stripe.succeed(pi_id))
        result = outbox.deliver(_services(app))
        counts = {ep.url: result.endpoints[ep.endpoint_id] for ep in _services(app).settings.shop_endpoints}
        assert counts[fast.url]["delivered"] == 1 and counts[slow.url]["failed"] == 1
        assert len(fast.received) == 1
    finally:
        slow.close()
        fast.close()


def test_the_readme_receiver_verifies_a_real_delivery(shop_app, fake_stripe, monkeypatch, capsys):
    """The README's receiver (exec'd as written) accepts our signed order.paid once, ignores
    its redelivery, and refuses a tampered body."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("## Order events to the shop", 1)[1]
    snippet = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.setenv("SHOP_WEBHOOK_SECRET", SECRET)
    namespace = {"__name__": "__main__"}
    exec(compile(snippet, "README.md", "exec"), namespace)
    receiver = namespace["app"].test_client()
    answers = []

    def post(url, body, headers, timeout):
        answers.append(receiver.post("/order-events", data=body, headers=headers).status_code)
        if len(answers) == 1:  # the same request again (a redelivery), then a tampered one
            answers.append(receiver.post("/order-events", data=body, headers=headers).status_code)
            answers.append(
                receiver.post("/order-events", data=body.replace(b"paid", b"pai"), headers=headers).status_code
            )
        return Outcome(answers[0], None, 1)

    client = shop_app.test_client()
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    services = _services(shop_app)
    outbox.relay(services)
    [endpoint] = services.settings.shop_endpoints
    assert outbox.deliver_endpoint(services, endpoint, post=post)["delivered"] == 1
    assert answers == [204, 204, 400]
    assert capsys.readouterr().out.count(f"order.paid {order_id} paid") == 1


def test_a_consolidation_mismatch_is_told_once_with_its_run(shop_app, fake_stripe, receiver, raw_client):
    """A payment whose webhook never came is reported by consolidation: the finished run
    carries one consolidation.mismatch event, delivered like the order events."""
    services = _services(shop_app)
    _, pi_id = new_order(shop_app.test_client())
    fake_stripe.succeed(pi_id)  # never delivered
    handlers.consolidate_period(services, "hour", utcnow(), utcnow(), lambda: None)  # this hour, provisionally
    raw = _raw(shop_app, raw_client)
    [run] = list(raw.consolidations.find({"unmatched": {"$gt": 0}}))
    [event] = run["events"]
    assert event["id"] == f"cev_{run['_id']}_1" and event["type"] == "consolidation.mismatch"
    assert event["data"]["unmatched"] == run["unmatched"] and event["data"]["period"] == run["period"]
    outbox.deliver(services)
    told = [p for p in receiver.received if p["type"] == "consolidation.mismatch"]
    assert len(told) == 1 and told[0]["data"]["run_id"] == run["_id"]


def test_an_event_behind_a_dead_letter_waits_and_replay_sends_both_in_order(shop_app, fake_stripe, receiver):
    """order.paid dies; the refund's event waits behind it (not sent out of order); replaying
    the order sends both at once, in order."""
    services = _services(shop_app)
    client = shop_app.test_client()
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    receiver.steps = [500, 500]
    start = utcnow()
    outbox.deliver(services, now=lambda: start)
    deliver(client, fake_stripe.refund(pi_id))
    end = start + timedelta(seconds=services.settings.outbox_retry_budget_seconds + 1)
    [counts] = outbox.deliver(services, now=lambda: end).endpoints.values()
    assert counts["dead"] == 1 and counts["waiting"] == 1 and receiver.received == []
    [counts] = outbox.deliver(services, now=lambda: end + timedelta(minutes=5)).endpoints.values()
    assert counts["waiting"] == 1  # found waiting behind the dead letter: postponed
    [counts] = outbox.deliver(services, now=lambda: end + timedelta(minutes=10)).endpoints.values()
    assert counts == {"delivered": 0, "failed": 0, "dead": 0, "waiting": 0} and receiver.received == []
    assert outbox.replay(services, order_id=order_id) == 1
    outbox.deliver(services, now=lambda: end + timedelta(minutes=11))
    assert [p["type"] for p in receiver.received] == ["order.paid", "order.refunded"]


def test_a_voucher_wait_is_told_as_awaiting_customer_then_paid(shop_app, fake_stripe, raw_client):
    """requires_action with an OXXO voucher tells order.awaiting_customer (the voucher's URL in
    the view), then the voucher paid tells order.paid: seq 1 and 2, relayed in that order."""
    client = shop_app.test_client()
    order_id, pi_id = new_order(client)
    pi = fake_stripe.payment_intents[pi_id]
    voucher = {"expires_after": int(utcnow().timestamp()) + 86400, "hosted_voucher_url": "https://v/1", "number": "1"}
    pi.update(status="requires_action", next_action={"type": "oxxo_display_details", "oxxo_display_details": voucher})
    assert deliver(client, fake_stripe.make_event("payment_intent.requires_action", pi)).status_code == 200
    assert deliver(client, fake_stripe.succeed(pi_id)).status_code == 200
    outbox.relay(_services(shop_app))
    feed = list(_raw(shop_app, raw_client).order_events.find({}).sort("position", 1))
    assert [(e["type"], e["seq"]) for e in feed] == [("order.awaiting_customer", 1), ("order.paid", 2)]
    assert {e["data"]["order_id"] for e in feed} == {order_id}
    assert feed[0]["data"]["customer_action"]["url"] == "https://v/1"
    assert feed[1]["data"]["customer_action"] is None and feed[1]["data"]["amount"] == feed[0]["data"]["amount"]
