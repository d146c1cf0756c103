"""Radar: reviews and early fraud warnings annotate the order and raise an alert line; they
never change the payment status. The fake emits them like Stripe (checked against
stripe-python's Review and EarlyFraudWarning classes)."""

import itertools

import pytest
import stripe

from service.devtools.fake_stripe import FakeStripeError
from service.domain.radar import FRAUD_WARNING, REVIEW, RadarFact, decide_radar, radar_from_event
from service.errors import EventUnreadable
from tests.support.helpers import deliver, new_order
from tests.support.stripe_types import check_object


def paid_order(client, fake_stripe):
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    return order_id, pi_id


# -- the pure rules -------------------------------------------------------------------------
def review(is_open, at, reason="rule"):
    return RadarFact(f"evt_{at}", "review.opened", REVIEW, "prv_1", "pi_1", "ch_1", is_open, reason, at)


def test_a_review_moves_forward_only():
    """open -> closed is recorded; a late open after the close is not; a duplicate adds nothing."""
    opened = decide_radar(None, review(True, 10))
    closed = decide_radar(opened, review(False, 20, "approved"))
    assert opened["open"] is True and closed is not None and closed["open"] is False
    assert decide_radar(closed, review(True, 30)) is None
    assert decide_radar(closed, review(False, 20, "approved")) is None


def test_an_early_fraud_warning_is_recorded_once():
    """The first warning is kept; a second one adds nothing."""
    warning = RadarFact(
        "evt_1", "radar.early_fraud_warning.created", FRAUD_WARNING, "issfr_1", "pi_1", "ch_1", True, "misc", 5
    )
    recorded = decide_radar(None, warning)
    assert recorded["reason"] == "misc" and decide_radar(recorded, warning) is None


def test_a_review_event_without_its_open_flag_is_unreadable():
    """A review.opened whose object lacks ``open`` raises EventUnreadable naming the field."""
    event = {
        "id": "evt_1",
        "type": "review.opened",
        "created": 1,
        "api_version": "2019-01-01",
        "data": {"object": {"id": "prv_1"}},
    }
    with pytest.raises(EventUnreadable) as caught:
        radar_from_event(event)
    assert caught.value.field == "open" and "2019-01-01" in caught.value.message


# -- the fake -------------------------------------------------------------------------------
def test_the_fakes_radar_objects_fit_stripe_pythons_classes(client, fake_stripe):
    """review.opened/closed and radar.early_fraud_warning.created carry Review / EarlyFraudWarning objects."""
    _, pi_id = paid_order(client, fake_stripe)
    opened = fake_stripe.open_review(pi_id)
    closed = fake_stripe.close_review(opened["data"]["object"]["id"], "refunded_as_fraud")
    warning = fake_stripe.early_fraud_warning(pi_id)
    for event, cls in ((opened, stripe.Review), (closed, stripe.Review), (warning, stripe.radar.EarlyFraudWarning)):
        check_object(stripe.Event, event, event["type"])
        check_object(cls, event["data"]["object"], event["type"])
    assert (
        closed["data"]["object"]["open"] is False and closed["data"]["object"]["closed_reason"] == "refunded_as_fraud"
    )


def test_the_fake_refuses_to_close_a_closed_review(fake_stripe, client):
    """A second close is a 400 like Stripe's; an unpaid PaymentIntent has no charge to review."""
    _, pi_id = new_order(client)
    with pytest.raises(FakeStripeError, match="no charge"):
        fake_stripe.open_review(pi_id)
    deliver(client, fake_stripe.succeed(pi_id))
    review_id = fake_stripe.open_review(pi_id)["data"]["object"]["id"]
    fake_stripe.close_review(review_id)
    with pytest.raises(FakeStripeError, match="already closed"):
        fake_stripe.close_review(review_id)


# -- handler level --------------------------------------------------------------------------
def test_a_review_annotates_a_paid_order_and_alerts_without_changing_its_status(client, fake_stripe, raw_db, log_lines):
    """review.opened then review.closed: the order stays paid, its review goes open -> closed, two alert lines."""
    order_id, pi_id = paid_order(client, fake_stripe)
    opened = fake_stripe.open_review(pi_id)
    assert deliver(client, opened).get_json()["state"] == "applied"
    body = client.get(f"/orders/{order_id}").get_json()
    assert body["status"] == "paid" and body["radar_review"] == {
        "id": opened["data"]["object"]["id"],
        "open": True,
        "reason": "rule",
    }
    deliver(client, fake_stripe.close_review(opened["data"]["object"]["id"], "approved"))
    body = client.get(f"/orders/{order_id}").get_json()
    assert (
        body["status"] == "paid"
        and body["radar_review"]["open"] is False
        and body["radar_review"]["reason"] == "approved"
    )
    alerts = [line["alert"] for line in log_lines() if line.get("order_id") == order_id and line.get("alert")]
    assert alerts == ["radar_review_opened", "radar_review_closed"]


def test_review_events_in_any_order_end_closed(client, fake_stripe, raw_db):
    """review.closed delivered before review.opened (and duplicated) still ends closed."""
    order_id, pi_id = paid_order(client, fake_stripe)
    opened = fake_stripe.open_review(pi_id)
    closed = fake_stripe.close_review(opened["data"]["object"]["id"], "refunded")
    for sequence in itertools.permutations([opened, closed, closed]):
        raw_db.orders.update_one({"_id": order_id}, {"$set": {"radar_review": None}})
        raw_db.stripe_events.delete_many({"type": {"$in": ["review.opened", "review.closed"]}})
        for event in sequence:
            deliver(client, event)
        assert raw_db.orders.find_one({"_id": order_id})["radar_review"]["open"] is False


def test_an_early_fraud_warning_on_a_pending_order_never_changes_its_status(client, fake_stripe, raw_db, log_lines):
    """A warning before the success is recorded at once; the order stays pending, then pays normally."""
    order_id, pi_id = new_order(client)
    succeeded = fake_stripe.succeed(pi_id)
    warning = fake_stripe.early_fraud_warning(pi_id, "made_with_stolen_card")
    deliver(client, warning)
    stored = raw_db.orders.find_one({"_id": order_id})
    assert stored["status"] == "pending"
    assert (stored["fraud_warning"]["open"], stored["fraud_warning"]["reason"]) == (True, "made_with_stolen_card")
    deliver(client, succeeded)
    assert raw_db.orders.find_one({"_id": order_id})["status"] == "paid"
    assert any(line.get("alert") == "early_fraud_warning" for line in log_lines())


def test_a_radar_event_for_no_order_of_ours_is_ignored(client, fake_stripe):
    """A review of another integration's payment is acknowledged and ignored."""
    event = fake_stripe.make_event(
        "review.opened",
        {
            "id": "prv_x",
            "object": "review",
            "open": True,
            "reason": "rule",
            "payment_intent": "pi_notours",
            "charge": "ch_x",
        },
    )
    assert deliver(client, event).get_json()["state"] == "ignored"


def test_a_missed_radar_event_is_recovered_by_the_sweep(services, client, fake_stripe, raw_db):
    """A review.opened never delivered is found by the Events-API sweep (in the last group of
    20 types, so the second request is made) and applied."""
    from service import handlers
    from service.handlers.sweep import SWEPT_GROUPS

    assert "review.opened" in SWEPT_GROUPS[-1] and len(SWEPT_GROUPS) > 1
    order_id, pi_id = paid_order(client, fake_stripe)
    fake_stripe.open_review(pi_id)  # emitted, never delivered
    handlers.reconcile(services)
    assert raw_db.orders.find_one({"_id": order_id})["radar_review"]["open"] is True
