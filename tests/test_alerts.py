"""Alerts are log lines with a stable ``alert`` field: money paid at Stripe but not here, parked
inbox events, signature-failure spikes, a stale reconciler."""

import functools
import json
from datetime import timedelta

import pytest

from service import handlers
from service.clock import utcnow
from service.observability import alerts
from tests.support.helpers import deliver, new_order


def alert_lines(log_lines, name):
    return [line for line in log_lines() if line.get("alert") == name]


@pytest.fixture
def make_app(make_app):
    """Build apps with extra settings (no rate pause, no grace period); torn down with the test."""
    return functools.partial(make_app, STRIPE_READ_RATE=1000, RECONCILE_GRACE_SECONDS=0)


def test_paid_at_stripe_not_here_past_deadline_alerts_and_heals(services, client, fake_stripe, raw_db, log_lines):
    """An overdue order whose PaymentIntent succeeded (webhook lost) raises the alert, then is healed."""
    order_id, pi_id = new_order(client)
    fake_stripe.succeed(pi_id)
    raw_db.orders.update_one({"_id": order_id}, {"$set": {"expected_by": utcnow() - timedelta(minutes=20)}})
    handlers.reconcile(services)
    (line,) = alert_lines(log_lines, "paid_at_stripe_not_here")
    assert line["order_id"] == order_id and line["payment_intent_id"] == pi_id and line["overdue_s"] >= 1200
    assert raw_db.orders.find_one({"_id": order_id})["status"] == "paid"


def test_unpaid_overdue_order_does_not_alert(services, client, fake_stripe, raw_db, log_lines):
    """An overdue order whose PaymentIntent has not succeeded is stuck, not money lost: no alert."""
    order_id, _ = new_order(client)
    raw_db.orders.update_one({"_id": order_id}, {"$set": {"expected_by": utcnow() - timedelta(minutes=20)}})
    handlers.reconcile(services)
    assert alert_lines(log_lines, "paid_at_stripe_not_here") == []


def test_parked_events_alert_when_parked_and_at_every_pass(make_app, fake_stripe, request):
    """An event that cannot be applied is parked with an alert; each reconcile pass repeats it with the count."""
    app = make_app(WEBHOOK_MAX_ATTEMPTS=1, RECONCILE_MAX_ATTEMPTS=1)
    log_lines = request.getfixturevalue("log_lines")  # after create_app, which resets the log handlers
    client = app.test_client()
    _, pi_id = new_order(client)
    broken = fake_stripe.succeed(pi_id)
    broken["data"]["object"]["amount_received"] = "not a number"
    assert deliver(client, broken).get_json()["state"] == "failed"
    assert [line["event_id"] for line in alert_lines(log_lines, "failed_inbox_events")] == [broken["id"]]
    handlers.reconcile(app.extensions["payments"])
    assert alert_lines(log_lines, "failed_inbox_events")[-1]["count"] == 1


def test_signature_failure_spike_alerts_once_per_window(make_app, fake_stripe, request):
    """Three bad signatures within the window make one alert line; a fourth in the same window none."""
    app = make_app(SIGNATURE_ALERT_THRESHOLD=3, SIGNATURE_ALERT_WINDOW_SECONDS=60)
    log_lines = request.getfixturevalue("log_lines")  # after create_app, which resets the log handlers
    client = app.test_client()
    event = fake_stripe.make_event("customer.created", {"id": "cus_1", "object": "customer"})
    for _ in range(2):
        assert deliver(client, event, secret="whsec_attacker").status_code == 400
    assert alert_lines(log_lines, "signature_failure_spike") == []
    for _ in range(2):
        deliver(client, event, secret="whsec_attacker")
    (line,) = alert_lines(log_lines, "signature_failure_spike")
    assert line["count"] == 3 and line["scope"] == "this process"
    assert "whsec_attacker" not in json.dumps(log_lines())


def test_sliding_window_forgets_old_failures_and_refires_after_quiet():
    """Failures older than the window do not count; after a quiet window a new spike alerts again."""
    now = [0.0]
    alarm = alerts.SlidingWindowAlarm("signature_failure_spike", threshold=3, window=10, clock=lambda: now[0])
    fired = []
    for at in (0, 1, 11, 12, 13, 14, 30, 31, 32):
        now[0] = at
        fired.append(alarm.record())
    assert fired == [False, False, False, False, True, False, False, False, True]


def test_stale_reconciler_alerts_on_scrape(services, client, raw_db, log_lines):
    """/metrics alerts while no pass has completed, not after one, and again once 2 intervals pass."""
    client.get("/metrics")
    assert alert_lines(log_lines, "reconciler_stale")[-1]["last_completed_at"] == "never"
    handlers.reconcile(services)
    count = len(alert_lines(log_lines, "reconciler_stale"))
    client.get("/metrics")
    assert len(alert_lines(log_lines, "reconciler_stale")) == count
    interval = services.settings.reconcile_interval_seconds
    raw_db.reconcile_stats.update_one({}, {"$set": {"last_completed_at": utcnow() - timedelta(seconds=3 * interval)}})
    client.get("/metrics")
    line = alert_lines(log_lines, "reconciler_stale")[-1]
    assert len(alert_lines(log_lines, "reconciler_stale")) == count + 1 and line["age_s"] >= 3 * interval


def test_reconciler_records_its_loop_interval(services):
    """A pass records the interval it runs at, so staleness is judged against the real schedule."""
    handlers.reconcile(services, interval=600)
    stats = services.store.operations.reconcile_stats()
    assert stats["interval_seconds"] == 600 and stats["runs_ok"] == 1
    later = stats["last_completed_at"] + timedelta(seconds=1000)
    assert alerts.reconciler_health(stats, 60, later)["stale"] is False
    assert alerts.reconciler_health(stats, 60, later + timedelta(seconds=300))["stale"] is True
