"""A seeded month consolidated day by day and as a month with nothing unmatched, then each
injected discrepancy reported exactly, with nothing else.

The fake Stripe runs on a simulated clock in November 2025: ~7 card payments a day through
the real checkout, refunds, a lost and a won dispute, a Payment Link payment that is not
ours, and a daily automatic payout that reaches the bank. Every event is delivered to the
webhook; the reconciler's passes post the ledger. Then six days of December each carry one
discrepancy.
"""

from datetime import UTC, datetime, timedelta

import pymongo
import pytest
import stripe

from service import handlers
from service.clock import utcnow
from service.devtools.fake_stripe import FakeStripe
from tests.support.helpers import API_KEY, deliver, new_order
from tests.support.stack import ServiceStack

MONTH_START = datetime(2025, 11, 1, tzinfo=UTC)
ORDERS_PER_DAY = 7


class SimClock:
    """The fake's clock: a simulated time the test moves forward."""

    def __init__(self, start):
        self.now = start.timestamp()

    def __call__(self):
        return self.now

    def set(self, when):
        self.now = max(self.now, when.timestamp())


class Month:
    """The seeded service: app, fake, clock, and what was seeded where."""

    def __init__(self, stack, fake, clock):
        self.stack, self.fake, self.clock = stack, fake, clock
        self.app = stack.make_app(fake=fake)
        self.client = self.app.test_client()
        self.services = handlers.services_of(self.app)
        self.stripe = stripe.StripeClient(API_KEY, base_addresses={"api": fake.url})
        self.delivered = 0
        self.raw = pymongo.MongoClient(self.services.settings.mongodb_uri)[self.services.settings.db_name]
        self.orders = {}  # day -> [(order_id, pi_id)]

    def pay(self, day, hour, method="pm_card_visa"):
        self.clock.set(day + timedelta(hours=hour))
        order_id, pi_id = new_order(self.client)
        self.fake.confirm(pi_id, method)
        self.orders.setdefault(day, []).append((order_id, pi_id))
        return order_id, pi_id

    def deliver_new(self, skip=lambda event: False):
        """Deliver, like Stripe, every event since the last call (except those ``skip`` drops)."""
        events = self.fake.events[self.delivered :]
        self.delivered += len(events)
        for event in events:
            if not skip(event):
                assert deliver(self.client, event).status_code == 200

    def payout(self, day, short_by=0):
        self.clock.set(day + timedelta(hours=23))
        payout = self.fake.run_automatic_payout("usd", short_by=short_by)
        self.fake.pay_payout(payout["id"])
        return payout

    def post_ledger(self):
        """Reconcile passes until no event waits for the ledger."""
        for _ in range(10):
            summary = handlers.reconcile(self.services)
            assert summary.ok, summary.line()
            if not self.raw.stripe_events.count_documents({"ledger": "pending"}):
                return
        raise AssertionError("the ledger queue did not drain")

    def consolidate(self, period_type, day):
        run = handlers.consolidate_period(self.services, period_type, day + timedelta(hours=12), utcnow(), lambda: None)
        assert run is not None
        return run


def seed_month(month):
    """November: payments every day, refunds, disputes, a foreign payment, daily payouts."""
    disputes = {}
    for index in range(30):
        day = MONTH_START + timedelta(days=index)
        for hour in range(ORDERS_PER_DAY):
            month.pay(day, hour + 1)
        if index == 3:
            month.fake.refund(month.orders[day][0][1], 500)
        if index == 5:
            month.fake.refund(month.orders[day][1][1])
        if index in (8, 12):
            month.clock.set(day + timedelta(hours=10))
            _, pi_id = month.pay(day, 10, method="pm_card_createDispute")
            disputes[index] = next(d for d in month.fake.disputes.values() if d["payment_intent"] == pi_id)
        if index == 11:
            month.fake.lose_dispute(disputes[8]["id"])
        if index == 16:
            month.fake.win_dispute(disputes[12]["id"])
        if index == 10:  # a Payment Link payment: another integration's, no order of ours
            month.clock.set(day + timedelta(hours=11))
            pi = month.stripe.v1.payment_intents.create(params={"amount": 4200, "currency": "usd"})
            month.fake.confirm(pi.id, "pm_card_visa")
        if index < 29:  # the last day's money stays on the Stripe balance
            month.payout(day)
        month.deliver_new()
    month.post_ledger()


@pytest.fixture(scope="module")
def month(mongo):
    clock = SimClock(MONTH_START)
    fake = FakeStripe(api_key=API_KEY, clock=clock).start()
    with ServiceStack(mongo=mongo, fake=fake) as stack:
        seeded = Month(stack, fake, clock)
        seed_month(seeded)
        seeded.clean_days = [seeded.consolidate("day", MONTH_START + timedelta(days=i)) for i in range(30)]
        seeded.clean_month = seeded.consolidate("month", MONTH_START)
        seeded.balance_after_month = dict(seeded.clean_month["balance"])
        yield seeded
    fake.stop()


def test_a_seeded_month_consolidates_day_by_day_and_as_a_month_with_nothing_unmatched(month):
    """Every balance transaction has its entry, every payment its paid order, every payout its sum."""
    for run in [*month.clean_days, month.clean_month]:
        assert run["ok"] and run["unmatched"] == 0 and run["items"] == [], (run["period"], run["items"])
    counts = month.clean_month["counts"]
    assert counts["balance_transactions"] == counts["matched"] > 30 * ORDERS_PER_DAY
    assert counts["healed"] == 0 and counts["payouts"] == 29 and counts["payouts_matched"] == 29
    assert counts["payments"] == 30 * ORDERS_PER_DAY + 3 and counts["payments_matched"] == 30 * ORDERS_PER_DAY + 2
    assert counts["not_ours"] == {"usd": {"count": 1, "amount": 4200}}
    usd = month.clean_month["totals"]["usd"]
    assert usd["dispute"]["count"] == 2 and usd["dispute_reversal"]["count"] == 1 and usd["refund"]["count"] == 2
    assert usd["payout"]["count"] == 29


def test_the_ledgers_stripe_balance_equals_stripes_own_and_every_entry_balances(month):
    """With nothing in flight, the ledger's Stripe balance is Stripe's available + pending (the
    last day's payments, not yet paid out)."""
    usd = month.balance_after_month["usd"]
    assert usd["equal"] and usd["ledger"] == usd["stripe"] > 0
    for doc in month.raw.ledger.find({}, {"lines": 1}):
        assert sum(line["amount"] for line in doc["lines"]) == 0, doc


def december(month, day):
    """A December day after the month: two ordinary payments, delivered; returns the day."""
    when = datetime(2025, 12, day, tzinfo=UTC)
    month.pay(when, 1)
    month.pay(when, 2)
    return when


def only_item(run, kind):
    assert not run["ok"] and run["unmatched"] == 1, run["items"]
    [item] = run["items"]
    assert item["kind"] == kind
    return item


def test_a_lost_webhook_is_healed_and_reported(month):
    """A charge.succeeded never delivered: its balance transaction is posted by consolidation and reported."""
    day = december(month, 1)
    order_id, pi_id = month.pay(day, 3)
    month.payout(day)
    month.deliver_new(
        skip=lambda event: event["type"] == "charge.succeeded" and event["data"]["object"]["payment_intent"] == pi_id
    )
    month.post_ledger()
    item = only_item(month.consolidate("day", day), "balance_transaction_without_entry")
    assert item["healed"] and item["order_id"] == order_id
    assert month.raw.ledger.find_one({"_id": f"bt:{item['balance_transaction_id']}"})["order_id"] == order_id
    assert month.consolidate("day", day)["ok"]


def test_a_fee_that_differs_is_reported(month):
    """Our entry's fee differs from Stripe's balance transaction."""
    day = december(month, 2)
    month.payout(day)
    month.deliver_new()
    month.post_ledger()
    entry = month.raw.ledger.find_one({"kind": "payment", "created": {"$gte": int(day.timestamp())}})
    month.raw.ledger.update_one({"_id": entry["_id"]}, {"$inc": {"fee": 1}})
    item = only_item(month.consolidate("day", day), "entry_differs")
    assert item["entry_id"] == entry["_id"] and set(item["differences"]) == {"fee"}


def test_a_payout_one_cent_short_is_reported(month):
    """The payout is one cent less than the balance transactions it settles."""
    day = december(month, 3)
    payout = month.payout(day, short_by=1)
    month.deliver_new()
    month.post_ledger()
    item = only_item(month.consolidate("day", day), "payout_mismatch")
    assert item["payout_id"] == payout["id"] and item["stripe_net"] - item["payout_amount"] == 1


def test_an_order_amount_tampered_in_the_database_is_reported(month):
    """The paid order no longer says what Stripe charged."""
    day = december(month, 4)
    month.payout(day)
    month.deliver_new()
    month.post_ledger()
    order_id, _ = month.orders[day][0]
    month.raw.orders.update_one({"_id": order_id}, {"$set": {"amount": 1999}})
    item = only_item(month.consolidate("day", day), "amount_mismatch")
    assert item["order_id"] == order_id


def test_a_deleted_ledger_entry_is_posted_again_and_reported(month):
    """An entry removed from the ledger is found missing, posted again and reported."""
    day = december(month, 5)
    month.payout(day)
    month.deliver_new()
    month.post_ledger()
    entry = month.raw.ledger.find_one({"kind": "payment", "created": {"$gte": int(day.timestamp())}})
    month.raw.ledger.delete_one({"_id": entry["_id"]})
    item = only_item(month.consolidate("day", day), "balance_transaction_without_entry")
    assert f"bt:{item['balance_transaction_id']}" == entry["_id"] and item["healed"]
    assert month.raw.ledger.find_one({"_id": entry["_id"]})["fee"] == entry["fee"]


def test_a_balance_transaction_stripe_sent_no_event_for_is_posted_and_reported(month):
    """A Stripe fee with no event: consolidation posts it to the fees account and reports it."""
    day = december(month, 6)
    month.clock.set(day + timedelta(hours=5))
    txn = month.fake.add_balance_transaction(type="stripe_fee", amount=-200, currency="usd")
    month.payout(day)
    month.deliver_new()
    month.post_ledger()
    item = only_item(month.consolidate("day", day), "balance_transaction_without_entry")
    assert item["balance_transaction_id"] == txn["id"]
    posted = month.raw.ledger.find_one({"_id": f"bt:{txn['id']}"})
    assert posted["kind"] == "fee" and {line["account"] for line in posted["lines"]} == {
        "stripe_fees",
        "stripe_balance",
    }
