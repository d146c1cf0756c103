"""Nothing secret at rest: after a full run (checkouts, payments, failures, webhooks with
duplicates, a refund, an event recovered by the sweep, a reconcile pass, a consolidation of
the period) no collection holds a client_secret, a key or a signing secret."""

import json

from service import handlers
from service.domain.events import without_secrets
from service.handlers.intake import stored_payload
from tests.support.helpers import checkout, deliver, new_order
from tests.support.secrets import scan_database, secrets_in


def test_the_inbox_stores_the_event_without_its_client_secret(client, fake_stripe, raw_db):
    """The PaymentIntent in a delivered event carries its client_secret; the stored payload does not."""
    _, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    assert event["data"]["object"]["client_secret"]
    assert deliver(client, event).get_json()["state"] == "applied"
    row = raw_db.stripe_events.find_one({"_id": event["id"]})
    stored = json.loads(row["payload"])
    assert "client_secret" not in stored["data"]["object"]
    assert stored["data"]["object"]["id"] == pi_id and stored["id"] == event["id"]


def test_no_collection_holds_a_secret_after_a_full_run(make_app, fake_stripe, raw_db):
    """Scan every document of every collection after the whole money cycle."""
    app = make_app(STRIPE_READ_RATE=1000, RECONCILE_GRACE_SECONDS=0)
    services, client = app.extensions["payments"], app.test_client()
    db = raw_db.client[services.settings.db_name]
    paid = []
    for index in range(4):
        response = checkout(client, [{"sku": "tee", "quantity": 1 + index}], email=f"c{index}@example.com")
        assert response.status_code == 201 and response.get_json()["client_secret"]
        paid.append(response.get_json())
    deliver(client, fake_stripe.fail(paid[0]["payment_intent_id"]))
    for order in paid[:3]:
        event = fake_stripe.succeed(order["payment_intent_id"])
        deliver(client, event)
        deliver(client, event)  # a duplicate
    fake_stripe.succeed(paid[3]["payment_intent_id"])  # never delivered: the sweep finds it
    refund = app.test_cli_runner().invoke(args=["orders", "refund", paid[1]["order_id"]])
    assert refund.exit_code == 0, refund.output
    deliver(client, fake_stripe.events[-1])  # charge.refunded
    summary = handlers.reconcile(services, older_than=0, consolidate=True)
    assert summary.events_recovered >= 1, summary.line()
    assert db.orders.count_documents({"status": "paid"}) == 4
    assert db.stripe_events.count_documents({}) >= 6
    assert scan_database(db) == {}


def test_the_scan_finds_what_it_looks_for():
    """The scanner itself: a client_secret key, one inside a JSON string, and secret-shaped text."""
    assert secrets_in({"client_secret": "x"}) and secrets_in({"payload": json.dumps({"client_secret": "y"})})
    assert secrets_in({"note": "pi_123_secret_abc"}) and secrets_in({"k": "sk_live_abc"})
    assert not secrets_in({"client_secret": None, "id": "pi_123", "payload": "{}"})


def test_the_stored_payload_drops_a_secret_key_at_any_depth_as_the_full_walk_does():
    """The fast path of the inbox payload (drop the object's client_secret, walk only when a
    secret key still shows) stores exactly what the full walk would, wherever the secret is."""
    base = {"id": "evt_1", "type": "x", "created": 1, "data": {"object": {"id": "pi_1", "amount": 5}}}
    cases = [
        base,
        {**base, "data": {"object": {"id": "pi_1", "client_secret": "pi_1_secret_abc"}}},
        {**base, "data": {"object": {"id": "we_1", "nested": [{"deep": {"secret": "whsec_x"}}]}}},
        {**base, "data": {"object": {"id": "pi_1"}, "previous_attributes": {"client_secret": "pi_1_secret_y"}}},
        {**base, "data": {"object": {"id": "pi_1", "note": 'a "secret": in a value is not a key'}}},
    ]
    for event in cases:
        stored = stored_payload(event)
        assert json.loads(stored) == without_secrets(event)
        assert "_secret_" not in stored and "whsec_" not in stored
