"""Inbox retention: a partial TTL index expires applied/ignored rows after the configured period
(90 days by default) and never failed or unapplied ones."""

import pymongo
import pytest

from service.config import ConfigError, Settings
from service.store.retention import ensure_inbox_retention
from tests.support.helpers import deliver, new_order

NINETY_DAYS = 90 * 86400


def retention_index(raw_db):
    return raw_db.stripe_events.index_information()["inbox_retention"]


def test_default_index_expires_only_finished_rows_after_ninety_days(raw_db):
    """The index is on applied_at, 90 days, and filtered to applied/ignored rows."""
    index = retention_index(raw_db)
    assert index["key"] == [("applied_at", 1)] and index["expireAfterSeconds"] == NINETY_DAYS
    assert index["partialFilterExpression"] == {"state": {"$in": ["applied", "ignored"]}}


def test_parked_rows_carry_no_expiry_date(app, client, fake_stripe, raw_db):
    """Only finished rows get applied_at, the field the TTL index reads; a parked row keeps none."""
    _, pi_id = new_order(client)
    good = fake_stripe.succeed(pi_id)
    deliver(client, good)
    broken = fake_stripe.make_event("payment_intent.canceled", dict(good["data"]["object"], amount_received="x"))
    for _ in range(app.extensions["payments"].settings.webhook_max_attempts):
        deliver(client, broken)
    assert raw_db.stripe_events.find_one({"_id": good["id"]})["applied_at"] is not None
    parked = raw_db.stripe_events.find_one({"_id": broken["id"]})
    assert parked["state"] == "failed" and "applied_at" not in parked


def test_db_init_changes_the_period_in_place(make_app):
    """db init with a new INBOX_RETENTION_SECONDS updates the existing index; a rerun leaves it alone."""
    app = make_app(INBOX_RETENTION_SECONDS=40 * 86400)
    settings = app.extensions["payments"].settings
    raw = pymongo.MongoClient(settings.mongodb_uri)[settings.db_name]
    try:
        runner = app.test_cli_runner()
        first = runner.invoke(args=["db", "init"])
        assert first.exit_code == 0 and "inbox retention index updated" in first.output
        assert retention_index(raw)["expireAfterSeconds"] == 40 * 86400
        assert "inbox retention index unchanged" in runner.invoke(args=["db", "init"]).output
    finally:
        raw.client.close()


def test_index_with_another_filter_is_recreated(raw_db):
    """An index of that name but without the state filter is dropped and rebuilt with it."""
    raw_db.stripe_events.drop_index("inbox_retention")
    raw_db.stripe_events.create_index([("applied_at", 1)], name="inbox_retention", expireAfterSeconds=60)
    assert ensure_inbox_retention(raw_db.stripe_events, NINETY_DAYS) == "recreated"
    assert retention_index(raw_db)["partialFilterExpression"] == {"state": {"$in": ["applied", "ignored"]}}


def test_retention_shorter_than_stripes_thirty_days_is_refused():
    """INBOX_RETENTION_SECONDS below 30 days fails at start-up, naming the variable."""
    env = {"MONGODB_URI": "mongodb://127.0.0.1/x", "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}
    with pytest.raises(ConfigError, match="INBOX_RETENTION_SECONDS"):
        Settings.from_env({**env, "INBOX_RETENTION_SECONDS": str(29 * 86400)})
    assert Settings.from_env(env).inbox_retention_seconds == NINETY_DAYS
