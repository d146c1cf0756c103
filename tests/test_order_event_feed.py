"""The order-event feed (GET /admin/order-events) and the operator's view of deliveries:
stable cursors across inserts, the same payloads as deliveries, attempts per event."""

from datetime import timedelta

import pytest

from service.clock import utcnow
from service.devtools.shop_receiver import ShopReceiver
from service.handlers import outbox
from tests.support.helpers import deliver, new_order
from tests.support.shop import SHOP_SECRET as SECRET

TOKEN = "admin-token-for-the-order-event-feed-0123"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app(make_app, receiver):
    return make_app(ADMIN_TOKEN=TOKEN, SHOP_WEBHOOK_URLS=receiver.url, SHOP_WEBHOOK_SECRETS=SECRET)


def _paid_order(app, fake_stripe):
    client = app.test_client()
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    return order_id, pi_id


def test_feed_cursor_stays_valid_across_inserts(app, fake_stripe):
    """Read a page, add events, read on from the cursor: exactly the new events, none again."""
    services, client = app.extensions["payments"], app.test_client()
    first = [_paid_order(app, fake_stripe)[0] for _ in range(3)]
    outbox.relay(services)
    page = client.get("/admin/order-events?limit=2", headers=ADMIN).get_json()
    assert [e["data"]["order_id"] for e in page["events"]] == first[:2]
    later, pi_id = _paid_order(app, fake_stripe)
    deliver(client, fake_stripe.refund(pi_id))
    outbox.relay(services)
    rest = client.get(f"/admin/order-events?after={page['next_cursor']}", headers=ADMIN).get_json()
    assert [(e["data"]["order_id"], e["type"]) for e in rest["events"]] == [
        (first[2], "order.paid"),
        (later, "order.paid"),
        (later, "order.refunded"),
    ]
    again = client.get(f"/admin/order-events?after={page['next_cursor']}", headers=ADMIN).get_json()
    assert again == rest  # the same cursor reads the same page
    end = client.get(f"/admin/order-events?after={rest['next_cursor']}", headers=ADMIN).get_json()
    assert end == {"events": [], "next_cursor": rest["next_cursor"]}


def test_feed_serves_the_payload_the_shop_receives(app, fake_stripe, receiver):
    """The feed's type/timestamp/data equal what the endpoint received and verified."""
    services, client = app.extensions["payments"], app.test_client()
    _paid_order(app, fake_stripe)
    outbox.deliver(services)
    [event] = client.get("/admin/order-events", headers=ADMIN).get_json()["events"]
    [received] = receiver.received
    assert {k: event[k] for k in ("type", "timestamp", "data")} == received


@pytest.mark.parametrize("query", ["after=abc", "after=-1", "limit=0", "limit=501", "cursor=1"])
def test_feed_refuses_bad_queries_with_422(app, query):
    """A cursor that is not one, or a limit out of bounds: 422 invalid_query, never a 500."""
    response = app.test_client().get(f"/admin/order-events?{query}", headers=ADMIN)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_query"


def test_feed_needs_the_admin_token(app):
    """Without the bearer token the feed answers 401."""
    assert app.test_client().get("/admin/order-events").status_code == 401


def test_admin_order_view_lists_each_events_delivery_attempts(app, fake_stripe, receiver):
    """A failed attempt then a success: the order's view shows both, without any body."""
    services, client = app.extensions["payments"], app.test_client()
    order_id, _ = _paid_order(app, fake_stripe)
    receiver.steps = [503]
    outbox.deliver(services)
    view = client.get(f"/admin/orders/{order_id}", headers=ADMIN).get_json()
    [event] = view["order_events"]
    [row] = event["deliveries"]
    assert event["type"] == "order.paid" and row["state"] == "pending" and row["attempts"] == 1
    assert row["log"][0]["status"] == 503 and row["next_attempt_at"] is not None
    assert row["url"] == receiver.url


def test_an_endpoint_failing_too_long_alerts_in_the_log_and_on_metrics(make_app, fake_stripe, receiver, request):
    """Failing since two hours with OUTBOX_ALERT_AFTER_SECONDS=60: one shop_endpoint_failing
    log alert per pass, and /metrics shows the endpoint failing, its failures and what waits."""
    app = make_app(SHOP_WEBHOOK_URLS=receiver.url, SHOP_WEBHOOK_SECRETS=SECRET, OUTBOX_ALERT_AFTER_SECONDS=60)
    services = app.extensions["payments"]
    log_lines = request.getfixturevalue("log_lines")  # after create_app, which configures logging
    _paid_order(app, fake_stripe)
    receiver.steps = [500, 500]
    two_hours_ago = utcnow() - timedelta(hours=2)
    outbox.deliver(services, now=lambda: two_hours_ago)
    assert not [line for line in log_lines() if line.get("alert") == "shop_endpoint_failing"]
    outbox.deliver(services)
    alerts = [line for line in log_lines() if line.get("alert") == "shop_endpoint_failing"]
    assert len(alerts) == 1 and alerts[0]["url"] == receiver.url
    [endpoint] = services.settings.shop_endpoints
    metrics = app.test_client().get("/metrics").get_data(as_text=True)
    label = f'{{endpoint="{endpoint.endpoint_id}"}}'
    assert f"payments_outbox_endpoint_failing{label} 1.0" in metrics
    assert f"payments_outbox_delivery_failures_total{label} 2.0" in metrics
    assert f"payments_outbox_pending{label} 1.0" in metrics and f"payments_outbox_dead{label} 0.0" in metrics
    age = float(metrics.split(f"payments_outbox_oldest_pending_age_seconds{label} ")[1].split()[0])
    assert age >= 0 and "secret" not in metrics.lower().replace("client_secret", "")


def test_an_event_of_the_presumed_update_carries_the_whole_order_view(app, fake_stripe, raw_db):
    """order.paid, pushed by the one-update hot path that never read the order, reaches the feed
    with the order's whole public view: the same as GET /orders/<id> then shows."""
    services, client = app.extensions["payments"], app.test_client()
    order_id, _ = _paid_order(app, fake_stripe)
    [pushed] = raw_db.orders.find_one({"_id": order_id})["events"]
    assert "items" not in pushed["data"]  # the hot path did not know them: the relay completes them
    outbox.relay(services)
    [event] = client.get("/admin/order-events", headers=ADMIN).get_json()["events"]
    view = client.get(f"/orders/{order_id}").get_json()
    assert event["type"] == "order.paid"
    assert {k: v for k, v in event["data"].items() if k not in ("event_id", "seq")} == view


def test_an_endpoint_added_later_gets_the_events_relayed_from_then_on(service_stack, fake_stripe, receiver):
    """An endpoint configured after an order's event was relayed receives only the events
    relayed since, as a new Stripe endpoint does; the earlier one is in the feed."""
    env = service_stack.environment(ADMIN_TOKEN=TOKEN, SHOP_WEBHOOK_URLS=receiver.url, SHOP_WEBHOOK_SECRETS=SECRET)
    before = service_stack.make_app(env)
    first, _ = _paid_order(before, fake_stripe)
    outbox.deliver(before.extensions["payments"])
    added = ShopReceiver(SECRET)
    try:
        both = {"SHOP_WEBHOOK_URLS": f"{receiver.url},{added.url}", "SHOP_WEBHOOK_SECRETS": f"{SECRET},{SECRET}"}
        after = service_stack.make_app({**env, **both})
        second, _ = _paid_order(after, fake_stripe)
        outbox.deliver(after.extensions["payments"])
        assert [p["data"]["order_id"] for p in receiver.received] == [first, second]
        assert [p["data"]["order_id"] for p in added.received] == [second]
        feed = after.test_client().get("/admin/order-events", headers=ADMIN).get_json()
        assert [e["data"]["order_id"] for e in feed["events"]] == [first, second]
    finally:
        added.close()
