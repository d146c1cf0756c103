"""Reads that fail loudly: a field the service needs that is missing or mistyped parks the event
with an error naming the field and the event's api_version, never a default that looks like
money; events in another API version are stored with it, counted and alerted once; thin v2
events are refused."""

import json

import pytest
import stripe
from prometheus_client import REGISTRY

from service import handlers
from service.config import STRIPE_API_VERSION
from service.domain import reading
from service.domain.stripe_statuses import DISPUTE
from service.errors import EventUnreadable
from tests.support.helpers import deliver, new_order, signed

EVENT = {"id": "evt_1", "type": "charge.refunded", "api_version": "2020-08-27"}


def test_the_pinned_api_version_is_stripe_pythons():
    """config.STRIPE_API_VERSION (what the README tells the endpoint to use) is the library's pin."""
    assert stripe.api_version == STRIPE_API_VERSION


@pytest.mark.parametrize("value", [None, "100", 1.5, True])
def test_read_int_refuses_anything_but_an_integer(value):
    """Missing, a string, a float or a bool: EventUnreadable naming the field and the api_version."""
    obj = {} if value is None else {"amount": value}
    with pytest.raises(EventUnreadable) as caught:
        reading.read_int(obj, "amount", EVENT)
    assert caught.value.field == "amount" and caught.value.api_version == "2020-08-27"
    assert "'amount'" in caught.value.message and "2020-08-27" in caught.value.message


def test_readers_return_what_is_there():
    """Present and well typed values come back as they are (currency lower-cased, refs unexpanded)."""
    obj = {
        "amount": 0,
        "currency": "EUR",
        "charge": {"id": "ch_1"},
        "status": "prevented",
        "metadata": {"order_id": "o"},
    }
    assert reading.read_int(obj, "amount", EVENT) == 0
    assert reading.read_currency(obj, "currency", EVENT) == "eur"
    assert reading.read_ref(obj, "charge", EVENT) == "ch_1"
    assert reading.read_status(obj, "status", DISPUTE, EVENT) == "prevented"
    assert reading.read_metadata_order_id(obj, EVENT) == "o"


def test_an_unknown_status_is_unreadable_not_guessed():
    """A dispute status the pinned tables do not list raises instead of ranking it open."""
    with pytest.raises(EventUnreadable, match="status"):
        reading.read_status({"status": "brand_new"}, "status", DISPUTE, EVENT)


def test_a_currency_that_is_not_a_code_is_unreadable():
    """A currency of the wrong shape is refused (a money field must never be guessed)."""
    with pytest.raises(EventUnreadable, match="currency"):
        reading.read_currency({"currency": "euro"}, "currency", EVENT)


def test_metadata_of_the_wrong_type_is_unreadable():
    """metadata that is not an object raises; absent metadata is simply no order id."""
    with pytest.raises(EventUnreadable, match="metadata"):
        reading.read_metadata_order_id({"metadata": "ord_1"}, EVENT)
    assert reading.read_metadata_order_id({}, EVENT) is None


def without(event, field):
    event = json.loads(json.dumps(event))
    del event["data"]["object"][field]
    event["api_version"] = "2019-02-19"
    return event


def test_a_success_without_amount_received_is_parked_not_paid(client, fake_stripe, raw_db):
    """payment_intent.succeeded lacking amount_received: 200 state failed at once, the row names
    the field and api_version, the order stays pending (never paid or reviewed on a default 0)."""
    order_id, pi_id = new_order(client)
    event = without(fake_stripe.succeed(pi_id), "amount_received")
    body = deliver(client, event).get_json()
    assert body["state"] == "failed"
    row = raw_db.stripe_events.find_one({"_id": event["id"]})
    assert row["state"] == "failed" and row["attempts"] == 1 and row["api_version"] == "2019-02-19"
    assert "amount_received" in row["last_error"] and "2019-02-19" in row["last_error"]
    assert raw_db.orders.find_one({"_id": order_id})["status"] == "pending"


def test_a_refund_without_amount_refunded_is_parked_and_replayable(client, services, fake_stripe, raw_db):
    """charge.refunded lacking amount_refunded records no refund; the parked row is redone by
    `events replay` (and parks again with the same error while the payload stays unreadable)."""
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    event = without(fake_stripe.refund(pi_id, 500), "amount_refunded")
    assert deliver(client, event).get_json()["state"] == "failed"
    assert raw_db.orders.find_one({"_id": order_id}).get("refund") is None
    preview = handlers.preview_replay(services, event["id"])
    assert preview["would"].startswith("be parked again") and "amount_refunded" in preview["would"]
    outcome = handlers.replay_event(services, event["id"])
    row = raw_db.stripe_events.find_one({"_id": event["id"]})
    assert outcome.state == "failed" and row["attempts"] == 2 and "amount_refunded" in row["last_error"]


def test_events_of_another_api_version_are_stored_with_it_counted_and_alerted_once(
    client, fake_stripe, raw_db, log_lines
):
    """Two events in 2018-05-21: both rows keep the version, the counter rises by 2, one alert line."""
    labels = {"api_version": "2018-05-21"}
    before = REGISTRY.get_sample_value("payments_webhook_api_version_mismatches_total", labels) or 0
    ids = []
    for _ in range(2):
        _, pi_id = new_order(client)
        event = dict(fake_stripe.succeed(pi_id), api_version="2018-05-21")
        assert deliver(client, event).get_json()["state"] == "applied"
        ids.append(event["id"])
    assert [raw_db.stripe_events.find_one({"_id": i})["api_version"] for i in ids] == ["2018-05-21"] * 2
    assert REGISTRY.get_sample_value("payments_webhook_api_version_mismatches_total", labels) == before + 2
    alerts = [line for line in log_lines() if line.get("alert") == "api_version_mismatch"]
    assert len(alerts) == 1 and alerts[0]["api_version"] == "2018-05-21" and alerts[0]["pinned"] == STRIPE_API_VERSION


def test_events_in_the_pinned_version_raise_no_alert(client, fake_stripe, raw_db, log_lines):
    """The fake renders events in the pinned version: stored with it, no mismatch alert."""
    _, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    deliver(client, event)
    assert raw_db.stripe_events.find_one({"_id": event["id"]})["api_version"] == STRIPE_API_VERSION
    assert not [line for line in log_lines() if line.get("alert") == "api_version_mismatch"]


@pytest.mark.parametrize(
    "thin",
    [
        {
            "id": "evt_thin1",
            "object": "v2.core.event",
            "type": "v1.billing.meter.error_report_triggered",
            "created": "2026-01-01T00:00:00Z",
        },
        {
            "id": "evt_thin2",
            "type": "payment_intent.succeeded",
            "created": 1,
            "related_object": {"id": "pi_1", "type": "payment_intent"},
        },
    ],
)
def test_a_thin_event_is_refused_with_a_400_that_says_what_to_configure(client, raw_db, thin):
    """A v2 thin event: 400 thin_event naming the snapshot payload; nothing stored."""
    body, header = signed(thin)
    response = client.post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": header, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "thin_event" and "snapshot" in error["message"]
    assert raw_db.stripe_events.count_documents({"_id": thin["id"]}) == 0
