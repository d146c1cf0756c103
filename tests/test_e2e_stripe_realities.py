"""End to end, under gunicorn with the operator's CLI, for what real Stripe accounts send
(issue 12, parts 2, 3, 4, 6, 7): every dispute status, reads that fail loudly, currency rules,
Radar, and the derived event list (the sweep in groups of at most 20 types)."""

import json

import pytest
import requests

from service.devtools.fake_stripe import Deliverer
from tests.support.helpers import CATALOG, WEBHOOK_SECRET, signed
from tests.support.money import dispute_events
from tests.support.stack import ServiceStack

YEN = {"sku": "tea", "name": "Tea", "unit_amount": 500, "currency": "jpy"}


@pytest.fixture(scope="module")
def stack(mongo, tmp_path_factory):
    """db init + catalog import through the CLI, then gunicorn; its own fake Stripe."""
    with ServiceStack(str(tmp_path_factory.mktemp("realities")), mongo=mongo, catalog=[CATALOG[0], YEN]) as stack:
        stack.start()
        yield stack


def post_checkout(stack, sku, quantity=1):
    return requests.post(stack.web.url + "/checkout", json={"items": [{"sku": sku, "quantity": quantity}]}, timeout=10)


def deliver(stack, event):
    """Deliver one event signed like Stripe; returns the HTTP status."""
    return Deliverer(stack.web.url + "/webhooks/stripe", [WEBHOOK_SECRET]).deliver(event, max_attempts=1)[-1]


def paid(stack):
    body = post_checkout(stack, "tee").json()
    assert deliver(stack, stack.fake.succeed(body["payment_intent_id"])) == 200
    return body["order_id"], body["payment_intent_id"]


def order(stack, order_id):
    return requests.get(f"{stack.web.url}/orders/{order_id}", timeout=5).json()


def test_radar_and_a_prevented_dispute_annotate_a_paid_order(stack):
    """review.opened, an early fraud warning and a dispute that ends `prevented`: the order stays
    paid, shows each annotation, and the Radar alert lines are in gunicorn's log."""
    order_id, pi_id = paid(stack)
    assert deliver(stack, stack.fake.open_review(pi_id)) == 200
    assert deliver(stack, stack.fake.early_fraud_warning(pi_id, "made_with_lost_card")) == 200
    created, prevented = dispute_events(stack.fake, pi_id, "prevented")
    assert deliver(stack, prevented) == 200 and deliver(stack, created) == 200
    body = order(stack, order_id)
    assert body["status"] == "paid"
    assert body["radar_review"]["open"] is True and body["fraud_warning"]["reason"] == "made_with_lost_card"
    assert body["dispute"]["outcome"] == "prevented"
    logs = stack.web.logs()
    assert '"alert":"radar_review_opened"' in logs and '"alert":"early_fraud_warning"' in logs


def test_an_unreadable_event_is_parked_and_a_thin_event_refused(stack):
    """A success without amount_received in another API version: 200, the order stays pending,
    `events list --state failed` names the field and version, the mismatch is on /metrics;
    a thin v2 event is a 400 thin_event."""
    body = post_checkout(stack, "tee").json()
    event = stack.fake.succeed(body["payment_intent_id"])
    del event["data"]["object"]["amount_received"]
    event["api_version"] = "2019-02-19"
    assert deliver(stack, event) == 200
    assert order(stack, body["order_id"])["status"] == "pending"
    listed = stack.cli("events", "list", "--state", "failed", "--json")
    rows = {row["event_id"]: row for row in json.loads(listed.stdout)["events"]}
    row = rows[event["id"]]
    assert row["api_version"] == "2019-02-19" and "amount_received" in row["last_error"]
    assert "2019-02-19" in row["last_error"]
    metrics = requests.get(stack.web.url + "/metrics", timeout=5).text
    assert 'payments_webhook_api_version_mismatches_total{api_version="2019-02-19"}' in metrics
    thin, header = signed({"id": "evt_thin", "object": "v2.core.event", "type": "v1.billing.meter.no_meter_found"})
    answer = requests.post(
        stack.web.url + "/webhooks/stripe",
        data=thin,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        timeout=5,
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "thin_event"


def test_currency_rules_refuse_before_stripe_and_zero_decimal_amounts_stay_whole(stack, tmp_path):
    """The CLI import refuses a 20 JPY price naming the SKU; a 500 JPY order is 500 minor units;
    a cart below the minimum (a product stored before the rule) is a 422 and no PaymentIntent."""
    catalog = tmp_path / "cheap.json"
    catalog.write_text(json.dumps([{"sku": "gum", "name": "Gum", "unit_amount": 20, "currency": "jpy"}]))
    refused = stack.cli("products", "import", str(catalog))
    assert refused.returncode == 1 and "gum: amount_below_minimum" in refused.stderr + refused.stdout
    yen = post_checkout(stack, "tea").json()
    assert (yen["amount"], yen["currency"]) == (500, "jpy")
    assert stack.fake.payment_intents[yen["payment_intent_id"]]["amount"] == 500
    stack.database().products.insert_one({"_id": "pin", "name": "Pin", "unit_amount": 10, "currency": "usd"})
    created = len(stack.fake.payment_intents)
    answer = post_checkout(stack, "pin", 3)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "amount_below_minimum"
    assert len(stack.fake.payment_intents) == created


def test_the_reconcile_cli_sweeps_every_handled_type_in_groups_of_20(stack):
    """A review.closed and a charge.refunded never delivered are both recovered by one
    `reconcile` run, whose sweep lists Stripe's events in more than one request."""
    order_id, pi_id = paid(stack)
    review_id = stack.fake.open_review(pi_id)["data"]["object"]["id"]
    stack.fake.close_review(review_id, "approved")
    stack.fake.refund(pi_id, 300)
    listings = stack.fake.count("GET", "/v1/events")
    result = stack.cli("reconcile")
    assert result.returncode == 0, result.stderr
    assert stack.fake.count("GET", "/v1/events") - listings >= 2
    body = order(stack, order_id)
    assert body["radar_review"]["open"] is False and body["refund"]["amount_refunded"] == 300
