"""Money-recording writes are acknowledged by a majority of the replica set and journaled
(a ``w: 1`` write can be rolled back on failover); SecantusDB, a single-node replica set,
keeps both, so every test of the suite runs with them."""

import pytest
from pymongo import monitoring

from service.config import ConfigError, Settings
from service.store import documents
from tests.support.helpers import checkout, deliver

BASE = {"MONGODB_URI": "mongodb://127.0.0.1:9/x", "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}


class Writes(monitoring.CommandListener):
    """The write concern of every write command the process sends."""

    def __init__(self):
        self.concerns = {}

    def started(self, event):
        if event.command_name in ("insert", "update", "findAndModify", "delete"):
            collection = event.command.get(event.command_name)
            concern = tuple(sorted((event.command.get("writeConcern") or {}).items()))
            self.concerns.setdefault(collection, set()).add(concern)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture(scope="module")
def writes():
    listener = Writes()
    monitoring.register(listener)  # applies to clients created after this (the apps' below)
    return listener


def test_every_money_write_is_majority_and_journaled(writes, make_app, fake_stripe):
    """Checkout, the webhook and its inbox row, and the journal of Stripe calls all send
    ``{w: "majority", j: true}``; the rate-limit counters send ``w: 1``; the server accepts both."""
    app = make_app()
    client = app.test_client()
    body = checkout(client).get_json()
    assert deliver(client, fake_stripe.succeed(body["payment_intent_id"])).get_json()["state"] == "applied"
    majority = (("j", True), ("w", "majority"), ("wtimeout", 1000))
    for collection in ("orders", "stripe_events", "stripe_calls"):
        assert writes.concerns.get(collection) == {majority}, (collection, writes.concerns.get(collection))
    assert writes.concerns.get("rate_limits") == {(("w", 1),)}
    assert documents.Order._get_collection().write_concern.document["w"] == "majority"


def test_the_write_concern_is_configurable_and_checked():
    """DB_WRITE_CONCERN takes "majority" or a member count; anything else names the variable."""
    assert Settings.from_env(BASE).write_concern == "majority"
    assert Settings.from_env({**BASE, "DB_WRITE_CONCERN": "2"}).write_concern == 2
    for bad in ("0", "all", "-1", "majority "):
        with pytest.raises(ConfigError, match="DB_WRITE_CONCERN"):
            Settings.from_env({**BASE, "DB_WRITE_CONCERN": bad})
