"""`--dry-run` for everything that changes Stripe or money: it says what it would do, decided
by the same code as the real run, and changes nothing at Stripe or in the database."""

import json
from datetime import timedelta

import pytest

from service.clock import utcnow
from tests.support.helpers import deliver, new_order, signed

FAST = {"STRIPE_READ_RATE": 1000, "RECONCILE_GRACE_SECONDS": 0}


@pytest.fixture
def app(make_app):
    return make_app(**FAST)


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def stripe_posts(fake_stripe):
    return [request for request in fake_stripe.requests if request.method == "POST"]


def test_a_refund_dry_run_names_the_refund_and_makes_none(app, client, fake_stripe, raw_db):
    """`orders refund --dry-run`: the amount and key it would use; Stripe gets no POST and the
    order records nothing. After a real refund, a dry run with the same key finds it at Stripe."""
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    before = len(stripe_posts(fake_stripe))
    result = cli(app, "orders", "refund", order_id, "--amount", "500", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"dry run: would refund 500 usd of {order_id} (idempotency key order-{order_id}-refund-1-500); "
        "nothing was changed"
    )
    assert len(stripe_posts(fake_stripe)) == before
    assert not raw_db.orders.find_one({"_id": order_id}).get("refunds")
    assert cli(app, "orders", "refund", order_id, "--amount", "500", "--key", "k-1").exit_code == 0
    again = cli(app, "orders", "refund", order_id, "--amount", "500", "--key", "k-1", "--dry-run", "--json")
    plan = json.loads(again.stdout)
    assert plan["action"] == "record_existing" and plan["refund_id"].startswith("re_") and plan["dry_run"]


def test_an_event_replay_dry_run_says_what_the_state_machine_would_do(app, client, fake_stripe, raw_db, services):
    """`events replay --dry-run` on a stored, unapplied success: "would move the order from
    pending to paid"; the order and the row stay as they were."""
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    body, _ = signed(event)
    services.store.inbox.insert_or_get(
        {
            "_id": event["id"],
            "type": event["type"],
            "state": "received",
            "attempts": 0,
            "payload": body.decode(),
            "created": event["created"],
            "order_id": order_id,
            "received_at": utcnow(),
        }
    )
    result = cli(app, "events", "replay", event["id"], "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would move the order from pending to paid" in result.output
    assert raw_db.orders.find_one({"_id": order_id})["status"] == "pending"
    assert raw_db.stripe_events.find_one({"_id": event["id"]})["state"] == "received"
    assert cli(app, "events", "replay", event["id"]).exit_code == 0
    done = json.loads(cli(app, "events", "replay", event["id"], "--dry-run", "--json").stdout)
    assert done["state"] == "applied" and done["would"] == "change nothing (already applied)"


def test_a_reconcile_dry_run_lists_cancels_heals_and_recoveries_without_making_them(app, client, fake_stripe, raw_db):
    """`reconcile --dry-run --older-than 0`: an abandoned checkout it would cancel at Stripe, an
    order paid at Stripe it would mark paid, an event it would recover; nothing changes."""
    abandoned_id, abandoned_pi = new_order(client)
    past = utcnow() - timedelta(days=2)
    raw_db.orders.update_one({"_id": abandoned_id}, {"$set": {"created_at": past, "expected_by": past}})
    paid_id, paid_pi = new_order(client)
    missing = fake_stripe.succeed(paid_pi)
    before = len(stripe_posts(fake_stripe))
    result = cli(app, "reconcile", "--dry-run", "--older-than", "0", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    would = {order["order_id"]: order["would"] for order in plan["orders"]}
    assert would[abandoned_id] == [
        f"cancel PaymentIntent {abandoned_pi} at Stripe (abandoned checkout), then the order"
    ]
    assert would[paid_id] == ["move the order from pending to paid (succeeded: pending -> paid)"]
    assert missing["id"] in plan["recover"]
    assert len(stripe_posts(fake_stripe)) == before
    assert fake_stripe.payment_intents[abandoned_pi]["status"] == "requires_payment_method"
    assert {o["_id"]: o["status"] for o in raw_db.orders.find()} == {abandoned_id: "pending", paid_id: "pending"}
    assert raw_db.stripe_events.count_documents({}) == 0
    text = cli(app, "reconcile", "--dry-run", "--older-than", "0")
    assert text.output.startswith("dry run: nothing was changed\n"), text.output
    recover = next(line for line in text.output.splitlines() if line.startswith("would recover"))
    assert recover.startswith(f"would recover event(s) missing from the inbox: {len(plan['recover'])} (")
    assert missing["id"] in recover
