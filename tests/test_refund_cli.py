"""``flask orders refund``: money back at Stripe with a fixed idempotency key, also kept in the
refund's metadata, so a rerun after a failure never refunds twice (even after Stripe forgot the
key) while a deliberate second refund still works."""

import time

import pymongo
import pytest

from service.devtools.fake_stripe import FakeStripe
from tests.support.helpers import API_KEY, deliver, new_order

DAY_AND_AN_HOUR = 25 * 3600


class Clock:
    """Real time plus an offset the test moves forward."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self):
        return time.time() + self.offset

    def advance(self, seconds):
        self.offset += seconds


@pytest.fixture
def clocked(make_app):
    """(app, fake, clock): an app wired to a FakeStripe whose clock (and so its 24 h
    idempotency-key memory) the test controls."""
    clock = Clock()
    fake = FakeStripe(api_key=API_KEY, clock=clock).start()
    yield make_app(fake=fake), fake, clock
    fake.stop()


@pytest.fixture
def raw_db_of():
    """A function giving a separate pymongo handle on an app's database, for assertions only."""
    clients = []

    def open_db(app):
        settings = app.extensions["payments"].settings
        clients.append(pymongo.MongoClient(settings.mongodb_uri, serverSelectionTimeoutMS=5000))
        return clients[-1][settings.db_name]

    yield open_db
    for client in clients:
        client.close()


def paid_order(client, fake):
    order_id, pi_id = new_order(client)
    deliver(client, fake.succeed(pi_id))
    return order_id, pi_id


def refund_requests(fake):
    return [record for record in fake.requests if record.method == "POST" and record.path == "/v1/refunds"]


def test_partial_refund_uses_a_fixed_key_and_the_webhook_annotates(app, client, fake_stripe, raw_db):
    """A partial refund is created with key order-<id>-refund-1-500, recorded, then annotated by charge.refunded."""
    order_id, _ = paid_order(client, fake_stripe)
    result = app.test_cli_runner().invoke(args=["orders", "refund", order_id, "--amount", "500"])
    assert result.exit_code == 0, result.output
    assert f"order-{order_id}-refund-1-500" in result.output
    (request,) = refund_requests(fake_stripe)
    assert request.idempotency_key == f"order-{order_id}-refund-1-500"
    assert [r["amount"] for r in raw_db.orders.find_one({"_id": order_id})["refunds"]] == [500]
    deliver(client, fake_stripe.events[-1])
    assert client.get(f"/orders/{order_id}").get_json()["refund"]["status"] == "partially_refunded"


# The database fails every update of the refund command: the journal's completions of its two
# Stripe calls (list refunds, create refund; each given up after 3 attempts, the records stay
# "sent"), then recording the refund on the order (3 attempts): the command fails after Stripe refunded.
RECORDING_FAILS = ({"times": 9}, {"failCommands": ["update"], "closeConnection": True})


def test_rerun_after_database_failure_does_not_refund_twice(app, client, fake_stripe, raw_db, fail_point):
    """Stripe refunded but recording it failed (exit 1); the rerun replays the same key: one refund."""
    order_id, _ = paid_order(client, fake_stripe)
    runner = app.test_cli_runner()
    fail_point(*RECORDING_FAILS)
    failed = runner.invoke(args=["orders", "refund", order_id, "--amount", "500"])
    assert failed.exit_code == 1 and "database unavailable" in failed.output
    assert raw_db.orders.find_one({"_id": order_id})["refunds"] == []
    rerun = runner.invoke(args=["orders", "refund", order_id, "--amount", "500"])
    assert rerun.exit_code == 0, rerun.output
    assert len(fake_stripe.store.refunds) == 1
    assert len({r.idempotency_key for r in refund_requests(fake_stripe)}) == 1
    assert len(raw_db.orders.find_one({"_id": order_id})["refunds"]) == 1


def test_rerun_a_day_after_database_failure_finds_the_refund_at_stripe(clocked, fail_point, raw_db_of):
    """Recording failed, Stripe forgot the key 25 h later: the rerun records Stripe's refund, no second one."""
    app, fake, clock = clocked
    order_id, _ = paid_order(app.test_client(), fake)
    runner = app.test_cli_runner()
    fail_point(*RECORDING_FAILS)
    failed = runner.invoke(args=["orders", "refund", order_id, "--amount", "500"])
    assert failed.exit_code == 1 and "database unavailable" in failed.output
    clock.advance(DAY_AND_AN_HOUR)
    rerun = runner.invoke(args=["orders", "refund", order_id, "--amount", "500"])
    assert rerun.exit_code == 0, rerun.output
    (refund,) = fake.store.refunds.values()
    assert refund["amount"] == 500 and refund["metadata"]["refund_key"] == f"order-{order_id}-refund-1-500"
    assert len(refund_requests(fake)) == 1
    assert [r["amount"] for r in raw_db_of(app).orders.find_one({"_id": order_id})["refunds"]] == [500]


def test_late_rerun_finds_its_refund_beyond_the_first_page(clocked, fail_point, raw_db_of):
    """The refund to find is older than the 100 newest at Stripe: the rerun pages on and still finds it."""
    app, fake, clock = clocked
    order_id, pi_id = paid_order(app.test_client(), fake)
    runner = app.test_cli_runner()
    fail_point(*RECORDING_FAILS)
    assert runner.invoke(args=["orders", "refund", order_id, "--amount", "500"]).exit_code == 1
    for _ in range(120):  # refunds made elsewhere (dashboard), newer than ours
        fake.refund(pi_id, 1)
    clock.advance(DAY_AND_AN_HOUR)
    rerun = runner.invoke(args=["orders", "refund", order_id, "--amount", "500"])
    assert rerun.exit_code == 0, rerun.output
    assert sorted(r["amount"] for r in fake.store.refunds.values()).count(500) == 1
    assert [r["amount"] for r in raw_db_of(app).orders.find_one({"_id": order_id})["refunds"]] == [500]


def test_second_refund_of_the_same_amount_a_day_later_is_still_made(clocked, raw_db_of):
    """Refund 500, then 500 again on purpose 25 h later: two refunds at Stripe, both recorded."""
    app, fake, clock = clocked
    order_id, _ = paid_order(app.test_client(), fake)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["orders", "refund", order_id, "--amount", "500"]).exit_code == 0
    clock.advance(DAY_AND_AN_HOUR)
    assert runner.invoke(args=["orders", "refund", order_id, "--amount", "500"]).exit_code == 0
    assert sorted(r["amount"] for r in fake.store.refunds.values()) == [500, 500]
    assert [r["amount"] for r in raw_db_of(app).orders.find_one({"_id": order_id})["refunds"]] == [500, 500]


def test_explicit_key_reused_for_another_amount_is_refused(clocked):
    """--key already used for a 300 refund, then asked for 400 after 25 h: exit 1, nothing more refunded."""
    app, fake, clock = clocked
    order_id, _ = paid_order(app.test_client(), fake)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["orders", "refund", order_id, "--amount", "300", "--key", "t-7"]).exit_code == 0
    clock.advance(DAY_AND_AN_HOUR)
    again = runner.invoke(args=["orders", "refund", order_id, "--amount", "400", "--key", "t-7"])
    assert again.exit_code == 1 and "already used" in again.output
    assert [r["amount"] for r in fake.store.refunds.values()] == [300]


def test_lost_stripe_answer_is_retried_with_the_same_key(app, client, fake_stripe, raw_db):
    """Stripe did the refund but the answer was lost: the gateway's retry replays it, one refund."""
    order_id, _ = paid_order(client, fake_stripe)
    fake_stripe.inject("POST", "/v1/refunds", "after", times=1)
    result = app.test_cli_runner().invoke(args=["orders", "refund", order_id])
    assert result.exit_code == 0, result.output
    assert len(refund_requests(fake_stripe)) == 2 and len(fake_stripe.store.refunds) == 1
    assert raw_db.orders.find_one({"_id": order_id})["refunds"][0]["amount"] == 2000


def test_refunding_the_same_amount_twice_on_purpose_makes_two_refunds(app, client, fake_stripe, raw_db):
    """Once the first refund is recorded the derived key moves on: refund 500, then 500 again."""
    order_id, _ = paid_order(client, fake_stripe)
    runner = app.test_cli_runner()
    for _ in range(2):
        assert runner.invoke(args=["orders", "refund", order_id, "--amount", "500"]).exit_code == 0
    assert [r.idempotency_key for r in refund_requests(fake_stripe)] == [
        f"order-{order_id}-refund-1-500",
        f"order-{order_id}-refund-2-500",
    ]
    assert sorted(r["amount"] for r in fake_stripe.store.refunds.values()) == [500, 500]


def test_explicit_key_makes_reruns_replays(app, client, fake_stripe, raw_db):
    """With --key the same command twice is one refund at Stripe and one record here."""
    order_id, _ = paid_order(client, fake_stripe)
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["orders", "refund", order_id, "--amount", "300", "--key", "ticket-42"])
        assert result.exit_code == 0, result.output
    assert len(fake_stripe.store.refunds) == 1
    assert len(raw_db.orders.find_one({"_id": order_id})["refunds"]) == 1


def test_unpaid_order_is_refused_without_calling_stripe(app, client, fake_stripe):
    """A pending order has no money to refund: exit 1, no request to Stripe."""
    order_id, _ = new_order(client)
    result = app.test_cli_runner().invoke(args=["orders", "refund", order_id])
    assert result.exit_code == 1 and "only money taken can be refunded" in result.output
    assert refund_requests(fake_stripe) == []
    assert app.test_cli_runner().invoke(args=["orders", "refund", "ord_missing"]).exit_code == 1


def test_refund_beyond_what_is_left_is_refused_by_stripe(app, client, fake_stripe):
    """After a full refund, another one is refused (exit 1) and nothing more is refunded."""
    order_id, _ = paid_order(client, fake_stripe)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["orders", "refund", order_id]).exit_code == 0
    again = runner.invoke(args=["orders", "refund", order_id, "--amount", "1"])
    assert again.exit_code == 1 and "refused" in again.output
    assert len(fake_stripe.store.refunds) == 1
