"""Reconciliation: stuck orders, missing PaymentIntents, abandoned checkouts, inbox replay,
the Events-API gap sweep, and two reconcilers at once."""

import threading
from datetime import timedelta

import pytest

from service import handlers
from service.clock import utcnow
from service.handlers.sweep import SWEEP
from tests.support.helpers import checkout, deliver, new_order, transitions

FAST = {"STRIPE_READ_RATE": 1000, "RECONCILE_GRACE_SECONDS": 0}


@pytest.fixture
def app(make_app):
    """The app with reconciler limits suited to tests (no rate pause, no grace period)."""
    return make_app(**FAST)


def test_order_whose_webhooks_were_all_lost_is_healed(services, client, fake_stripe, raw_db):
    """Stripe took the money but no webhook ever arrived: reconcile marks the order paid once,
    and the late webhook is then a no-op."""
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    summary = handlers.reconcile(services, older_than=0)
    assert (summary.checked, summary.healed, summary.failed) == (1, 1, 0)
    assert raw_db.orders.find_one({"_id": order_id})["status"] == "paid"
    assert deliver(client, event).status_code == 200
    assert transitions(raw_db, order_id) == [("pending", "paid", f"reconcile:{pi_id}:succeeded")]


def test_orders_within_deadline_are_left_alone(services, client, fake_stripe, raw_db):
    """Without --older-than only orders past expected_by are checked; Stripe is not called."""
    new_order(client)
    before = fake_stripe.count("GET", "/v1/payment_intents/")
    summary = handlers.reconcile(services)
    assert summary.checked == 0 and fake_stripe.count("GET", "/v1/payment_intents/") == before


def test_database_failure_after_stripe_created_pi_heals_without_second_pi(
    services, client, fake_stripe, raw_db, fail_point
):
    """The PI id never reached our database: reconcile finds the same PI through the fixed
    idempotency key, attaches it and applies its status; Stripe still has one PI."""
    # skip the call journal's update after the Stripe call: fail the PI id's attach (an update)
    fail_point({"skip": 1, "times": 3}, {"failCommands": ["update"], "closeConnection": True})
    assert checkout(client).status_code == 503
    order = raw_db.orders.find_one({})
    assert order.get("payment_intent_id") is None and len(fake_stripe.payment_intents) == 1
    (pi_id,) = fake_stripe.payment_intents
    fake_stripe.succeed(pi_id)
    summary = handlers.reconcile(services, older_than=0)
    assert summary.healed == 1 and fake_stripe.payment_intents_created == 1
    healed = raw_db.orders.find_one({"_id": order["_id"]})
    assert healed["payment_intent_id"] == pi_id and healed["status"] == "paid"


def test_stripe_failure_at_checkout_is_finished_by_reconcile(services, client, fake_stripe, raw_db):
    """Stripe was down at checkout: reconcile creates the PI (exactly one) and the order waits."""
    fake_stripe.inject("POST", "/v1/payment_intents", "error", times=3, status=503)
    assert checkout(client).status_code == 503
    summary = handlers.reconcile(services, older_than=0)
    assert (summary.checked, summary.still_pending, summary.failed) == (1, 1, 0)
    order = raw_db.orders.find_one({})
    assert order["payment_intent_id"] in fake_stripe.payment_intents and fake_stripe.payment_intents_created == 1


def test_abandoned_checkout_is_canceled_at_stripe_and_here(services, client, fake_stripe, raw_db):
    """Past the checkout expiry an unpaid PI is canceled at Stripe and the order canceled; a
    success arriving afterwards would go to needs_review (state machine)."""
    order_id, pi_id = new_order(client)
    past = utcnow() - timedelta(days=2)
    raw_db.orders.update_one({"_id": order_id}, {"$set": {"created_at": past, "expected_by": past}})
    summary = handlers.reconcile(services)
    assert summary.healed == 1
    assert fake_stripe.payment_intents[pi_id]["status"] == "canceled"
    assert raw_db.orders.find_one({"_id": order_id})["status"] == "canceled"


def test_old_order_without_pi_id_finds_its_pi_by_search(services, client, fake_stripe, raw_db):
    """Beyond the 24 h key window the PI is found by metadata search, never created again."""
    order_id, pi_id = new_order(client)
    past = utcnow() - timedelta(days=2)
    raw_db.orders.update_one(
        {"_id": order_id}, {"$set": {"created_at": past, "expected_by": past}, "$unset": {"payment_intent_id": ""}}
    )
    handlers.reconcile(services)
    assert fake_stripe.payment_intents_created == 1
    order = raw_db.orders.find_one({"_id": order_id})
    assert order["payment_intent_id"] == pi_id and order["status"] == "canceled"


def test_stored_but_unapplied_event_is_reapplied(services, client, fake_stripe, raw_db, fail_point):
    """An event stored in the inbox whose apply failed is re-applied by the next pass."""
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    # the presumed order update, then the read-and-decide one after the row is stored
    fail_point({"times": 2}, {"failCommands": ["update"], "errorCode": 2})
    assert deliver(client, event).status_code == 500
    summary = handlers.reconcile(services)
    assert summary.events_replayed == 1 and summary.failed == 0
    assert raw_db.stripe_events.find_one({"_id": event["id"]})["state"] == "applied"
    assert transitions(raw_db, order_id) == [("pending", "paid", event["id"])]


def test_gap_sweep_recovers_an_event_that_was_never_delivered(services, client, fake_stripe, raw_db):
    """An event Stripe never delivered is found in the Events API, stored and applied."""
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    summary = handlers.reconcile(services)
    # Two events were never delivered: payment_intent.succeeded and the ledger's charge.succeeded.
    assert summary.sweep == "done" and summary.events_recovered == 2 and summary.checked == 0
    assert raw_db.stripe_events.find_one({"_id": event["id"]})["state"] == "applied"
    assert raw_db.stripe_events.count_documents({"type": "charge.succeeded"}) == 1
    assert raw_db.orders.find_one({"_id": order_id})["status"] == "paid"
    assert raw_db.checkpoints.find_one({"_id": "events-sweep"})["value"] >= event["created"]
    assert handlers.reconcile(services).events_recovered == 0


def test_failed_sweep_leaves_the_checkpoint_and_retries_next_pass(services, client, fake_stripe, raw_db):
    """If the Events API fails, the checkpoint does not move and the next pass recovers the event."""
    handlers.reconcile(services)
    checkpoint = raw_db.checkpoints.find_one({"_id": "events-sweep"})["value"]
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    fake_stripe.inject("GET", "/v1/events", "error", times=3, status=500)
    failed = handlers.reconcile(services)
    assert failed.sweep == "failed" and not failed.ok
    assert raw_db.checkpoints.find_one({"_id": "events-sweep"})["value"] == checkpoint
    assert raw_db.stripe_events.count_documents({"_id": event["id"]}) == 0
    assert handlers.reconcile(services).events_recovered == 2  # with the ledger's charge.succeeded
    assert raw_db.orders.find_one({"_id": order_id})["status"] == "paid"


def test_two_reconcilers_in_parallel_apply_everything_once(services, client, fake_stripe, raw_db):
    """Two passes at once over the same stuck orders and lost events: every order changes once."""
    orders = [new_order(client) for _ in range(8)]
    for _, pi_id in orders:
        fake_stripe.succeed(pi_id)
    barrier, summaries = threading.Barrier(2), []

    def run():
        barrier.wait()
        summaries.append(handlers.reconcile(services, older_than=0))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(summaries) == 2 and all(summary.ok for summary in summaries)
    for order_id, _ in orders:
        assert [step[1] for step in transitions(raw_db, order_id)] == ["paid"]
    assert fake_stripe.payment_intents_created == 8


def test_sweep_lease_admits_one_holder(services):
    """The sweep lease is exclusive until it expires, and renewable by its holder."""
    store, now = services.store.recovery, utcnow()
    assert store.acquire_lease("x", "a", now, now + timedelta(minutes=1))
    assert not store.acquire_lease("x", "b", now, now + timedelta(minutes=1))
    assert store.acquire_lease("x", "a", now, now + timedelta(minutes=2))
    assert store.acquire_lease("x", "b", now + timedelta(minutes=3), now + timedelta(minutes=4))


def test_a_dead_sweepers_lease_holds_the_sweep_off_only_until_it_expires(services):
    """A worker that died mid-sweep (its release lost with the database) blocks the sweep for
    one lease (SWEEP_LEASE_SECONDS) at most; then the next pass sweeps and lets go."""
    recovery, now = services.store.recovery, utcnow()
    lease = timedelta(seconds=services.settings.sweep_lease_seconds)
    assert recovery.acquire_lease(SWEEP, "dead", now, now + lease)
    assert handlers.reconcile(services, older_than=0).sweep == "skipped (another reconciler holds the lease)"
    # The same lease, taken a whole lease ago: expired now.
    recovery.release_lease(SWEEP, "dead")
    assert recovery.acquire_lease(SWEEP, "dead", now - lease - lease, now - timedelta(seconds=1))
    assert handlers.reconcile(services, older_than=0).sweep == "done"
    assert recovery.acquire_lease(SWEEP, "next", utcnow(), utcnow() + lease)  # it let go
