"""The money side of the fake Stripe (balance transactions, fees, refunds, disputes, payouts,
the balance), driven through the real stripe-python client and checked against
stripe-python's own generated classes, so the fake can neither omit a field nor accept a
parameter real Stripe would not."""

import json
import time
from decimal import Decimal

import pytest
import requests
import stripe
import stripe.params

from service.devtools.fake_stripe import FakeStripe, FakeStripeError
from service.devtools.fake_stripe import money_api as api
from service.devtools.fake_stripe.pricing import Pricing
from tests.support.fake_clock import FAKE_API_KEY, T0
from tests.support.stripe_types import check_object, literal_values, resolved_hints
from tests.support.webhook_endpoint import Endpoint

API_KEY = FAKE_API_KEY
SECRET = "whsec_test_money"


@pytest.fixture
def make_fake(clock):
    """``make_fake(**options)``: a started fake with other constructor options, stopped after."""
    started = []

    def make(**options):
        options.setdefault("clock", clock)
        started.append(FakeStripe(api_key=API_KEY, **options).start())
        return started[-1]

    clock.now = T0
    yield make
    for one in started:
        one.stop()


def client_for(fake):
    return stripe.StripeClient(API_KEY, base_addresses={"api": fake.url}, max_network_retries=0)


@pytest.fixture
def client(fake):
    return client_for(fake)


def paid(client, fake, amount=1000, currency="usd"):
    """A succeeded PaymentIntent: (pi_id, charge dict as stored)."""
    pi = client.v1.payment_intents.create(params={"amount": amount, "currency": currency})
    fake.succeed(pi.id)
    charge_id = fake.payment_intents[pi.id]["latest_charge"]
    return pi.id, fake.store.snapshot("charges")[charge_id]


def raw_get(fake, path, **params):
    """A GET with arbitrary params (outside stripe-python's typing): (status, JSON body)."""
    response = requests.get(fake.url + path, params=params, auth=(API_KEY, ""), timeout=5)
    return response.status_code, response.json()


def raw_post(fake, path, **params):
    response = requests.post(fake.url + path, data=params, auth=(API_KEY, ""), timeout=5)
    return response.status_code, response.json()


def types_of(fake):
    return [event["type"] for event in fake.events]


# -- fees and charges ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "amount,currency,fee",
    [(1000, "usd", 59), (500, "usd", 45), (50, "usd", 31), (2000, "eur", 88), (10000, "jpy", 290)],
)
def test_charge_fee_is_percent_plus_fixed_rounded_half_up(client, fake, amount, currency, fee):
    """A charge's transaction: 2.9 % rounded halves up plus the currency's fixed part (jpy none)."""
    _, charge = paid(client, fake, amount, currency)
    txn = client.v1.balance_transactions.retrieve(charge["balance_transaction"])
    assert (txn.type, txn.reporting_category, txn.source, txn.currency) == ("charge", "charge", charge["id"], currency)
    assert (txn.amount, txn.fee, txn.net, txn.exchange_rate) == (amount, fee, amount - fee, None)
    assert [(d.amount, d.type, d.currency) for d in txn.fee_details] == [(fee, "stripe_fee", currency)]
    assert txn.status == "available" and txn.available_on == txn.created


def test_pricing_schedule_is_configurable(make_fake):
    """A custom schedule (percent, fixed, per-currency fixed part) prices every charge."""
    pricing = Pricing(percent=Decimal("1.5"), fixed=25, fixed_by_currency={"gbp": 20})
    fake = make_fake(pricing=pricing)
    client = client_for(fake)
    paid(client, fake, 1000, "eur")
    paid(client, fake, 1000, "gbp")
    assert [txn["fee"] for txn in fake.balance_transactions.values()] == [15 + 25, 15 + 20]


def test_charge_events_carry_the_balance_transaction_and_add_no_event(client, fake):
    """charge.succeeded already names the transaction; the event sequence is unchanged."""
    _, charge = paid(client, fake)
    assert types_of(fake) == ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]
    assert fake.events[1]["data"]["object"]["balance_transaction"] == charge["balance_transaction"]
    assert charge["disputed"] is False


def test_deferred_charge_transaction_arrives_later_with_charge_updated(make_fake, clock):
    """With charge_balance_delay the transaction comes once due, with a charge.updated event."""
    fake = make_fake(charge_balance_delay=3600)
    client = client_for(fake)
    pi_id, charge = paid(client, fake)
    assert charge["balance_transaction"] is None and fake.balance_transactions == {}
    clock.now += 3599
    assert client.v1.balance_transactions.list().data == []
    clock.now += 1
    [txn] = client.v1.balance_transactions.list().data
    updated = fake.events[-1]
    assert updated["type"] == "charge.updated" and updated["data"]["previous_attributes"] == {
        "balance_transaction": None
    }
    assert updated["data"]["object"]["balance_transaction"] == txn.id and txn.source == charge["id"]
    expanded = client.v1.payment_intents.retrieve(pi_id, params={"expand": ["latest_charge.balance_transaction"]})
    assert expanded.latest_charge.balance_transaction.id == txn.id


def test_attach_balance_transaction_books_a_deferred_charge_at_once(make_fake):
    """The attach_balance_transaction helper books a deferred charge now, and only once."""
    helper = make_fake(charge_balance_delay=3600)
    _, charge = paid(client_for(helper), helper)
    event = helper.attach_balance_transaction(charge["id"])
    assert event["type"] == "charge.updated"
    assert event["data"]["object"]["balance_transaction"] in helper.balance_transactions
    with pytest.raises(FakeStripeError):
        helper.attach_balance_transaction(charge["id"])


def test_a_timer_books_a_deferred_charge_without_any_request(make_fake):
    """With the real clock, a timer books the deferred transaction after the delay."""
    timed = make_fake(charge_balance_delay=0.05, clock=time.time)
    paid(client_for(timed), timed)
    deadline = time.monotonic() + 5
    while "charge.updated" not in types_of(timed):
        assert time.monotonic() < deadline, "the timer never booked the charge"
        time.sleep(0.02)


# -- refunds -------------------------------------------------------------------------------
def test_refund_books_a_negative_transaction_and_stripe_keeps_the_fee(client, fake):
    """A refund: type refund, amount −R, fee 0, net −R; the charge's fee stays."""
    pi_id, _ = paid(client, fake, 2000)
    refund = client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 500})
    txn = client.v1.balance_transactions.retrieve(refund.balance_transaction)
    assert (txn.type, txn.reporting_category, txn.amount, txn.fee, txn.net) == ("refund", "refund", -500, 0, -500)
    assert txn.source == refund.id and txn.fee_details == []
    assert fake.balance()["available"][0]["amount"] == 2000 - 88 - 500


def test_failed_refund_gives_the_money_back(client, fake):
    """fail_refund: status failed, a refund_failure +R, amount_refunded back down, charge.refund.updated."""
    pi_id, charge = paid(client, fake, 2000)
    refund = client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 500})
    event = fake.fail_refund(refund.id)
    assert event["type"] == "charge.refund.updated"
    failed = event["data"]["object"]
    assert (failed["status"], failed["failure_reason"]) == ("failed", "expired_or_canceled_card")
    back = client.v1.balance_transactions.retrieve(failed["failure_balance_transaction"])
    assert (back.type, back.reporting_category, back.amount, back.net) == ("refund_failure", "refund_failure", 500, 500)
    assert fake.store.snapshot("charges")[charge["id"]]["amount_refunded"] == 0
    assert fake.balance()["available"][0]["amount"] == 2000 - 88
    with pytest.raises(FakeStripeError):
        fake.fail_refund(refund.id)


# -- disputes ------------------------------------------------------------------------------
def disputed(client, fake, amount=1000):
    """Confirm with pm_card_createDispute: (pi_id, dispute)."""
    pi = client.v1.payment_intents.create(params={"amount": amount, "currency": "usd"})
    assert client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_createDispute"}).status == (
        "succeeded"
    )
    [dispute] = fake.disputes.values()
    return pi.id, dispute


def test_create_dispute_card_withdraws_the_amount_and_the_dispute_fee(client, fake):
    """pm_card_createDispute succeeds, then a needs_response dispute withdraws −A with a 1500 fee."""
    pi_id, dispute = disputed(client, fake)
    assert types_of(fake)[-2:] == ["charge.dispute.created", "charge.dispute.funds_withdrawn"]
    assert fake.events[-1]["request"]["id"] is None  # the cardholder's bank, not our request
    charge = fake.store.snapshot("charges")[dispute["charge"]]
    assert charge["disputed"] is True and dispute["payment_intent"] == pi_id
    assert (dispute["status"], dispute["reason"], dispute["amount"]) == ("needs_response", "fraudulent", 1000)
    [withdrawal] = dispute["balance_transactions"]
    assert (withdrawal["type"], withdrawal["reporting_category"]) == ("adjustment", "dispute")
    assert (withdrawal["amount"], withdrawal["fee"], withdrawal["net"]) == (-1000, 1500, -2500)
    assert withdrawal["source"] == dispute["id"]
    assert fake.balance()["available"][0]["amount"] == 1000 - 59 - 2500


def test_lost_dispute_keeps_the_withdrawal(client, fake):
    """lose_dispute: status lost, charge.dispute.closed, nothing given back."""
    _, dispute = disputed(client, fake)
    event = fake.lose_dispute(dispute["id"])
    assert event["type"] == "charge.dispute.closed" and event["data"]["object"]["status"] == "lost"
    fetched = client.v1.disputes.retrieve(dispute["id"])
    assert fetched.status == "lost" and len(fetched.balance_transactions) == 1
    assert fake.balance()["available"][0]["amount"] == 1000 - 59 - 2500
    with pytest.raises(FakeStripeError):
        fake.win_dispute(dispute["id"])


def test_only_a_succeeded_payment_can_be_disputed_and_only_once(client, fake):
    """open_dispute refuses an unpaid PaymentIntent and a charge already disputed."""
    unpaid = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    with pytest.raises(FakeStripeError):
        fake.open_dispute(unpaid.id)
    pi_id, _ = disputed(client, fake)
    with pytest.raises(FakeStripeError):
        fake.open_dispute(pi_id)


def test_won_dispute_reinstates_the_amount_but_not_the_fee(client, fake):
    """win_dispute: a dispute_reversal +A, fee 0, funds_reinstated then closed (won)."""
    _, dispute = disputed(client, fake)
    fake.win_dispute(dispute["id"])
    assert types_of(fake)[-2:] == ["charge.dispute.funds_reinstated", "charge.dispute.closed"]
    fetched = client.v1.disputes.retrieve(dispute["id"])
    reinstated = fetched.balance_transactions[1]
    assert fetched.status == "won"
    assert (reinstated.type, reinstated.reporting_category) == ("adjustment", "dispute_reversal")
    assert (reinstated.amount, reinstated.fee, reinstated.net) == (1000, 0, 1000)
    assert fake.balance()["available"][0]["amount"] == 1000 - 59 - 1500


def test_won_dispute_refunds_the_fee_where_configured(make_fake):
    """With dispute_fee_refunded_on_win the reinstatement carries fee −dispute_fee."""
    fake = make_fake(pricing=Pricing(dispute_fee=2000, dispute_fee_refunded_on_win=True))
    client = client_for(fake)
    pi_id, _ = paid(client, fake)
    dispute = fake.open_dispute(pi_id)
    assert dispute["balance_transactions"][0]["fee"] == 2000
    fake.win_dispute(dispute["id"])
    reinstated = fake.disputes[dispute["id"]]["balance_transactions"][1]
    assert (reinstated["amount"], reinstated["fee"], reinstated["net"]) == (1000, -2000, 3000)
    assert fake.balance()["available"][0]["amount"] == 1000 - 59


# -- payouts -------------------------------------------------------------------------------
def test_manual_payout_debits_the_balance(client, fake):
    """POST /v1/payouts: pending, automatic false, a payout transaction −P, payout.created."""
    paid(client, fake, 2000)
    payout = client.v1.payouts.create(params={"amount": 1000, "currency": "usd", "metadata": {"run": "r1"}})
    assert (payout.status, payout.automatic, payout.reconciliation_status) == ("pending", False, "not_applicable")
    assert payout.metadata.to_dict() == {"run": "r1"} and payout.destination.startswith("ba_")
    txn = client.v1.balance_transactions.retrieve(payout.balance_transaction)
    assert (txn.type, txn.reporting_category, txn.amount, txn.fee, txn.net) == ("payout", "payout", -1000, 0, -1000)
    assert txn.source == payout.id and types_of(fake)[-1] == "payout.created"
    assert fake.balance()["available"][0]["amount"] == 2000 - 88 - 1000
    expanded = client.v1.payouts.create(params={"amount": 10, "currency": "usd", "expand": ["balance_transaction"]})
    assert expanded.balance_transaction.amount == -10


def test_a_retried_payout_with_its_idempotency_key_pays_out_once(client, fake):
    """The same Idempotency-Key replays the payout instead of paying twice."""
    paid(client, fake, 2000)
    first = client.v1.payouts.create(params={"amount": 500, "currency": "usd"}, options={"idempotency_key": "po-1"})
    again = client.v1.payouts.create(params={"amount": 500, "currency": "usd"}, options={"idempotency_key": "po-1"})
    assert first.id == again.id and len(fake.payouts) == 1 and fake.requests[-1].replayed


def test_manual_payout_beyond_the_available_balance_is_balance_insufficient(client, fake):
    """More than the available balance: Stripe's 400 balance_insufficient, nothing created."""
    paid(client, fake, 1000)
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.payouts.create(params={"amount": 942, "currency": "usd"})
    assert error.value.code == "balance_insufficient" and fake.payouts == {}
    assert client.v1.payouts.create(params={"amount": 941, "currency": "usd"}).amount == 941


@pytest.mark.parametrize(
    "params,param",
    [
        ({"currency": "usd"}, "amount"),
        ({"amount": "100"}, "currency"),
        ({"amount": "0", "currency": "usd"}, "amount"),
        ({"amount": "100", "currency": "dollars"}, "currency"),
        ({"amount": "100", "currency": "usd", "method": "teleport"}, "method"),
        ({"amount": "100", "currency": "usd", "destination": "ba_other"}, "destination"),
        ({"amount": "100", "currency": "usd", "transfer_group": "g"}, "transfer_group"),
    ],
)
def test_payout_create_validates_params(fake, params, param):
    """Missing or invalid params and unknown ones answer 400 naming the param."""
    status, body = raw_post(fake, "/v1/payouts", **params)
    assert status == 400 and body["error"]["param"] == param


def test_cancel_returns_a_pending_manual_payout(client, fake):
    """cancel: status canceled, a payout_cancel transaction +P, payout.canceled; twice is 400."""
    paid(client, fake, 2000)
    payout = client.v1.payouts.create(params={"amount": 1000, "currency": "usd"})
    canceled = client.v1.payouts.cancel(payout.id)
    assert canceled.status == "canceled" and types_of(fake)[-1] == "payout.canceled"
    back = client.v1.balance_transactions.retrieve(canceled.failure_balance_transaction)
    assert (back.type, back.reporting_category, back.amount, back.net) == (
        "payout_cancel",
        "payout_reversal",
        1000,
        1000,
    )
    assert fake.balance()["available"][0]["amount"] == 2000 - 88
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payouts.cancel(payout.id)


def test_automatic_payout_sweeps_every_available_transaction_and_lists_them(client, fake, clock):
    """An automatic payout sweeps every unpaid available transaction; ?payout= lists them and its own."""
    pi_id, _ = paid(client, fake, 2000)
    paid(client, fake, 1000, "eur")
    client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 300})
    fake.add_balance_transaction(type="stripe_fee", amount=-150, description="Radar fees")
    payout = fake.run_automatic_payout("usd")
    assert payout["amount"] == 2000 - 88 - 300 - 150
    assert (payout["automatic"], payout["status"], payout["reconciliation_status"]) == (True, "in_transit", "completed")
    assert types_of(fake)[-2:] == ["payout.created", "payout.reconciliation_completed"]
    assert fake.events[-2]["data"]["object"]["reconciliation_status"] == "in_progress"
    listed = client.v1.balance_transactions.list(params={"payout": payout["id"]}).data
    assert sorted(txn.type for txn in listed) == ["charge", "payout", "refund", "stripe_fee"]
    assert sum(txn.net for txn in listed) == 0 and fake.balance()["available"][0]["amount"] == 0
    clock.now += 10
    paid(client, fake, 500)
    second = fake.run_automatic_payout("usd")
    assert second["amount"] == 500 - 45
    assert [txn.type for txn in client.v1.balance_transactions.list(params={"payout": second["id"]}).data] == [
        "payout",
        "charge",
    ]


def test_automatic_payout_short_by_leaves_the_difference_unpaid(client, fake):
    """short_by: the payout is that much short of its transactions, which stays in the balance."""
    paid(client, fake, 1000)
    payout = fake.run_automatic_payout("usd", short_by=1)
    listed = client.v1.balance_transactions.list(params={"payout": payout["id"]}).data
    assert payout["amount"] == 1000 - 59 - 1 and sum(txn.net for txn in listed) == 1
    assert fake.balance()["available"][0]["amount"] == 1
    with pytest.raises(FakeStripeError):
        fake.run_automatic_payout("gbp")


def test_payout_filter_refuses_a_manual_payout_or_an_unknown_one(client, fake):
    """Stripe lists balance transactions by payout only for automatic payouts."""
    paid(client, fake, 2000)
    manual = client.v1.payouts.create(params={"amount": 100, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError, match="automatic transfers"):
        client.v1.balance_transactions.list(params={"payout": manual.id})
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.balance_transactions.list(params={"payout": "po_missing"})
    assert error.value.http_status == 404


def test_pay_payout_marks_it_paid(client, fake):
    """pay_payout: status paid and a payout.paid event; a paid payout cannot be paid again."""
    paid(client, fake, 2000)
    first = fake.run_automatic_payout("usd")
    assert fake.pay_payout(first["id"])["type"] == "payout.paid" and fake.payouts[first["id"]]["status"] == "paid"
    with pytest.raises(FakeStripeError):
        fake.pay_payout(first["id"])


def test_failed_payout_returns_the_money_for_the_next_payout(client, fake):
    """fail_payout: failed, failure code/message, a payout_failure +P swept by the next payout."""
    paid(client, fake, 2000)
    first = fake.run_automatic_payout("usd")
    fake.pay_payout(first["id"])
    event = fake.fail_payout(first["id"])
    failed = event["data"]["object"]
    assert event["type"] == "payout.failed" and failed["status"] == "failed"
    assert (failed["failure_code"], failed["failure_message"]) == (
        "account_closed",
        "The bank account has been closed.",
    )
    back = fake.balance_transactions[failed["failure_balance_transaction"]]
    assert (back["type"], back["reporting_category"], back["amount"]) == ("payout_failure", "payout_reversal", 1912)
    assert fake.run_automatic_payout("usd")["amount"] == 1912
    with pytest.raises(FakeStripeError):
        fake.pay_payout(first["id"])


def test_automatic_payouts_cannot_be_canceled(client, fake):
    """POST /v1/payouts/:id/cancel refuses an automatic payout, as Stripe does."""
    paid(client, fake, 2000)
    payout = fake.run_automatic_payout("usd")
    with pytest.raises(stripe.InvalidRequestError, match="automatic"):
        client.v1.payouts.cancel(payout["id"])
    assert fake.payouts[payout["id"]]["status"] == "in_transit"


# -- the balance ---------------------------------------------------------------------------
def test_balance_is_the_sum_of_nets_by_status(make_fake, clock):
    """Payment funds are pending until available_on, then available; a refund debits at once."""
    fake = make_fake(available_delay=86400)
    client = client_for(fake)
    pi_id, charge = paid(client, fake, 1000)
    txn = fake.balance_transactions[charge["balance_transaction"]]
    assert (txn["status"], txn["available_on"]) == ("pending", int(T0) + 86400)
    client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 100})
    balance = client.v1.balance.retrieve()
    assert [(f.currency, f.amount, f.source_types.card) for f in balance.pending] == [("usd", 941, 941)]
    assert [(f.currency, f.amount) for f in balance.available] == [("usd", -100)]
    clock.now += 86400
    balance = client.v1.balance.retrieve()
    assert [(f.amount, f.currency) for f in balance.available] == [(841, "usd")] and balance.pending[0].amount == 0
    nets = {}
    for one in fake.balance_transactions.values():
        nets[one["status"]] = nets.get(one["status"], 0) + one["net"]
    assert nets == {"available": 841}


def test_balance_lists_every_currency_with_the_default_first(client, fake):
    """One entry per currency seen, usd (the default) first even when empty."""
    paid(client, fake, 1000, "eur")
    balance = client.v1.balance.retrieve()
    assert [(f.currency, f.amount) for f in balance.available] == [("usd", 0), ("eur", 941)]
    assert balance.object == "balance" and balance.livemode is False


def test_add_balance_transaction_books_a_movement_without_any_event(client, fake):
    """add_balance_transaction: listed and counted in the balance, no event emitted."""
    txn = fake.add_balance_transaction(type="adjustment", amount=-250, description="Correction")
    assert fake.events == [] and txn["reporting_category"] == "other_adjustment" and txn["source"] is None
    fee = fake.add_balance_transaction(type="stripe_fee", amount=-100, reporting_category="fee", description="Billing")
    assert [one.id for one in client.v1.balance_transactions.list().data] == [fee["id"], txn["id"]]
    assert fake.balance()["available"][0]["amount"] == -350


# -- lists, cursors and expand -------------------------------------------------------------
def test_balance_transactions_filters(client, fake, clock):
    """created (exact and ranges), currency, source, type; newest first."""
    _, first = paid(client, fake, 1000)
    clock.now += 100
    pi_id, second = paid(client, fake, 2000, "eur")
    refund = client.v1.refunds.create(params={"payment_intent": pi_id})
    listing = client.v1.balance_transactions

    def ids(**params):
        return [txn.id for txn in listing.list(params=params).data]

    txns = [first["balance_transaction"], second["balance_transaction"], refund.balance_transaction]
    assert ids() == txns[::-1]
    assert ids(created=int(T0)) == txns[:1]
    assert ids(created={"gt": int(T0)}) == txns[:0:-1] == ids(created={"gte": int(T0) + 100, "lte": int(T0) + 100})
    assert ids(created={"lt": int(T0) + 100}) == txns[:1]
    assert ids(currency="eur") == txns[:0:-1] and ids(type="refund") == txns[2:]
    assert ids(source=second["id"]) == txns[1:2]


@pytest.mark.parametrize("params", [{"customer": "cus_1"}, {"limit": "101"}, {"limit": "0"}, {"created[after]": "1"}])
def test_balance_transactions_list_refuses_unknown_params_and_bad_values(fake, params):
    """Unknown params, a limit outside 1..100 and an unknown created operator are 400s."""
    status, body = raw_get(fake, "/v1/balance_transactions", **params)
    assert status == 400 and body["error"]["type"] == "invalid_request_error"


def test_balance_transactions_cursors(client, fake):
    """starting_after/ending_before pages, has_more, and stripe-python's auto-pagination."""
    made = [fake.add_balance_transaction(amount=index + 1)["id"] for index in range(5)][::-1]
    page = client.v1.balance_transactions.list(params={"limit": 2})
    assert [txn.id for txn in page.data] == made[:2] and page.has_more
    after = client.v1.balance_transactions.list(params={"limit": 2, "starting_after": made[1]})
    assert [txn.id for txn in after.data] == made[2:4]
    before = client.v1.balance_transactions.list(params={"limit": 2, "ending_before": made[4]})
    assert [txn.id for txn in before.data] == made[2:4]
    assert [txn.id for txn in page.auto_paging_iter()] == made


def test_payouts_list_filters_and_cursors(client, fake, clock):
    """created, arrival_date, status filters and cursors on GET /v1/payouts; retrieve by id."""
    paid(client, fake, 5000)
    first = client.v1.payouts.create(params={"amount": 100, "currency": "usd"})
    clock.now += 86400
    second = fake.run_automatic_payout("usd")
    listing = client.v1.payouts

    def ids(**params):
        return [po.id for po in listing.list(params=params).data]

    assert ids() == [second["id"], first.id]
    assert ids(status="pending") == [first.id] and ids(status="in_transit") == [second["id"]]
    assert ids(created={"gte": int(T0) + 86400}) == [second["id"]]
    assert ids(arrival_date=first.arrival_date) == [first.id]
    assert ids(arrival_date={"gt": first.arrival_date}) == [second["id"]]
    assert ids(limit=1, starting_after=second["id"]) == [first.id]
    assert ids(limit=1, ending_before=first.id) == [second["id"]]
    assert listing.retrieve(first.id).amount == 100
    with pytest.raises(stripe.InvalidRequestError) as error:
        listing.retrieve("po_missing")
    assert error.value.http_status == 404


def test_expand_source_on_balance_transactions(client, fake):
    """expand[]=data.source (list) and source (retrieve) give the charge, refund, dispute or payout."""
    pi_id, _ = paid(client, fake, 2000)
    client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 100})
    disputed(client, fake)
    client.v1.payouts.create(params={"amount": 100, "currency": "usd"})
    data = client.v1.balance_transactions.list(params={"expand": ["data.source"]}).data
    assert [txn.source.object for txn in data] == ["payout", "dispute", "charge", "refund", "charge"]
    assert all(txn.source.id for txn in data)
    one = client.v1.balance_transactions.retrieve(data[-1].id, params={"expand": ["source"]})
    assert one.source.payment_intent == pi_id
    assert isinstance(client.v1.balance_transactions.retrieve(data[-1].id).source, str)


def test_expand_latest_charge_on_payment_intents(client, fake):
    """retrieve, list and search expand latest_charge and latest_charge.balance_transaction."""
    pi_id, charge = paid(client, fake)
    pis = client.v1.payment_intents
    one = pis.retrieve(pi_id, params={"expand": ["latest_charge.balance_transaction"]})
    assert one.latest_charge.id == charge["id"] and one.latest_charge.balance_transaction.net == 941
    assert pis.retrieve(pi_id, params={"expand": ["latest_charge"]}).latest_charge.balance_transaction.startswith(
        "txn_"
    )
    listed = pis.list(params={"expand": ["data.latest_charge.balance_transaction"]}).data[0]
    assert listed.latest_charge.balance_transaction.fee == 59
    found = pis.search(params={"query": "status:'succeeded'", "expand": ["data.latest_charge"]}).data[0]
    assert found.latest_charge.amount == 1000
    assert fake.payment_intents[pi_id]["latest_charge"] == charge["id"]  # the store is untouched


@pytest.mark.parametrize(
    "path,params",
    [
        ("/v1/balance_transactions", {"expand[]": "source"}),
        ("/v1/balance_transactions", {"expand[]": "data.fee"}),
        ("/v1/payment_intents", {"expand[]": "data.latest_charge.fee"}),
        ("/v1/payment_intents", {"expand[]": "data.a.b.c.d.e"}),
        ("/v1/balance", {"expand[]": "available"}),
    ],
)
def test_expand_refuses_what_stripe_cannot_expand(fake, path, params):
    """An expand path that is not expandable (or lacks data. on a list) is a 400."""
    status, body = raw_get(fake, path, **params)
    assert status == 400 and "cannot" in body["error"]["message"]


# -- multi-currency ------------------------------------------------------------------------
def test_settlement_currency_converts_at_the_fixed_rate(make_fake):
    """With settlement_currency usd, eur/jpy charges, fees, refunds, disputes settle in usd at a rate."""
    fake = make_fake(settlement_currency="usd")
    client = client_for(fake)
    pi_id, eur = paid(client, fake, 1000, "eur")
    txn = fake.balance_transactions[eur["balance_transaction"]]
    assert (txn["currency"], txn["amount"], txn["exchange_rate"], txn["fee"]) == ("usd", 1080, 1.08, 61)
    refund = client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 500})
    refund_txn = fake.balance_transactions[refund.balance_transaction]
    assert (refund_txn["currency"], refund_txn["amount"], refund_txn["exchange_rate"]) == ("usd", -540, 1.08)
    _, yen = paid(client, fake, 10000, "jpy")
    yen_txn = fake.balance_transactions[yen["balance_transaction"]]
    assert (yen_txn["currency"], yen_txn["amount"], yen_txn["exchange_rate"], yen_txn["fee"]) == (
        "usd",
        6700,
        0.0067,
        224,
    )
    dispute = fake.open_dispute(pi_id)
    assert dispute["currency"] == "eur" and dispute["balance_transactions"][0]["amount"] == -1080
    assert [(f.currency, f.amount) for f in client.v1.balance.retrieve().available] == [
        ("usd", 1080 - 61 - 540 + 6700 - 224 - 1080 - 1500)
    ]


def test_exchange_rates_are_configurable(make_fake):
    """settlement_currency eur with a custom table: a usd charge settles at usd/eur."""
    fake = make_fake(settlement_currency="eur", exchange_rates={"eur": 1.25, "usd": 1})
    _, charge = paid(client_for(fake), fake, 1000, "usd")
    txn = fake.balance_transactions[charge["balance_transaction"]]
    assert (txn["currency"], txn["amount"], txn["exchange_rate"]) == ("eur", 800, 0.8)
    with pytest.raises(ValueError):
        FakeStripe(api_key=API_KEY, settlement_currency="xyz")


def test_reset_forgets_the_money_side(client, fake):
    """reset() empties transactions, payouts and disputes, and the balance is zero again."""
    paid(client, fake, 5000)
    client.v1.payouts.create(params={"amount": 100, "currency": "usd"})
    disputed(client, fake)
    fake.reset()
    assert (fake.balance_transactions, fake.payouts, fake.disputes) == ({}, {}, {})
    assert fake.balance()["available"] == [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}]


# -- events and their delivery -------------------------------------------------------------
def money_story(client, fake):
    """Every money movement once: charge, refund and its failure, a dispute won and one lost,
    a manual payout canceled, an automatic payout paid and one failed."""
    pi_id, _ = paid(client, fake, 5000)
    refund = client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 100})
    fake.fail_refund(refund.id)
    fake.win_dispute(disputed(client, fake)[1]["id"])
    fake.lose_dispute(fake.open_dispute(paid(client, fake, 3000)[0])["id"])
    client.v1.payouts.cancel(client.v1.payouts.create(params={"amount": 100, "currency": "usd"}).id)
    fake.pay_payout(fake.run_automatic_payout("usd")["id"])
    paid(client, fake, 2000)
    fake.fail_payout(fake.run_automatic_payout("usd")["id"])


def test_money_events_are_delivered_signed_by_the_existing_deliverer(make_fake):
    """Every money event reaches the webhook endpoint, signed, in the log's order of types."""
    hook = Endpoint(())
    try:
        fake = make_fake(webhook_url=hook.url, webhook_secrets=[SECRET], auto_deliver=True)
        money_story(client_for(fake), fake)
        assert fake.drain_deliveries(10)
        delivered = {}
        for headers, body in hook.received:
            signature = headers["Stripe-Signature"]
            event = stripe.Webhook.construct_event(body, signature, SECRET)
            delivered[event.id] = event.type
        assert delivered == {event["id"]: event["type"] for event in fake.events}
        assert {
            "charge.refund.updated",
            "charge.dispute.created",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.funds_reinstated",
            "charge.dispute.closed",
            "payout.created",
            "payout.canceled",
            "payout.reconciliation_completed",
            "payout.paid",
            "payout.failed",
        } <= set(delivered.values())
    finally:
        hook.close()


def test_every_event_type_is_one_stripe_python_knows(client, fake):
    """Each emitted event type is a value of stripe.Event.type's Literal."""
    money_story(client, fake)
    assert set(types_of(fake)) <= literal_values(resolved_hints(stripe.Event)["type"])


# -- the fake against stripe-python's generated classes ------------------------------------
def story_objects(client, fake):
    """Every object the money story leaves, as the API returns it, with its stripe class."""
    money_story(client, fake)
    fake.add_balance_transaction(type="stripe_fee", amount=-100)
    objects = [(stripe.Balance, raw_get(fake, "/v1/balance")[1])]
    for name, cls in (("balance_transactions", stripe.BalanceTransaction), ("payouts", stripe.Payout)):
        for object_id in getattr(fake, name):
            path = f"/v1/{name}/{object_id}"
            objects.append((cls, raw_get(fake, path)[1]))
    for dispute_id in fake.disputes:
        objects.append((stripe.Dispute, raw_get(fake, f"/v1/disputes/{dispute_id}")[1]))
    objects += [(stripe.Refund, refund) for refund in fake.store.snapshot("refunds").values()]
    objects += [(stripe.Charge, charge) for charge in fake.store.snapshot("charges").values()]
    expanded = raw_get(fake, "/v1/balance_transactions", **{"expand[]": "data.source", "limit": "100"})[1]["data"]
    objects += [(stripe.BalanceTransaction, txn) for txn in expanded]
    return objects


def test_every_object_matches_stripe_python_classes(client, fake):
    """Every money object has only stripe-python's fields, all its required ones, Literal values only."""
    objects = story_objects(client, fake)
    kinds = {(cls.__name__, obj.get("type") if cls is stripe.BalanceTransaction else None) for cls, obj in objects}
    assert {("BalanceTransaction", kind) for kind in ("charge", "refund", "refund_failure", "adjustment")} <= kinds
    assert {
        ("BalanceTransaction", kind) for kind in ("payout", "payout_cancel", "payout_failure", "stripe_fee")
    } <= kinds
    for cls, obj in objects:
        check_object(cls, json.loads(json.dumps(obj)), f"{cls.__name__}({obj.get('id')})")


def test_event_payloads_match_stripe_python_classes(client, fake):
    """Each money event is a stripe Event whose data.object fits its object's class."""
    money_story(client, fake)
    classes = {"charge": stripe.Charge, "refund": stripe.Refund, "dispute": stripe.Dispute, "payout": stripe.Payout}
    for event in fake.events:
        check_object(stripe.Event, event, event["type"])
        obj = event["data"]["object"]
        if obj["object"] in classes:
            check_object(classes[obj["object"]], obj, f"{event['type']}.data.object")


REQUEST_OPTIONS = set(stripe.RequestOptions.__annotations__)
ENDPOINT_PARAMS = [
    ("GET", "/v1/balance", api.BALANCE_PARAMS, stripe.params.BalanceRetrieveParams),
    (
        "GET",
        "/v1/balance_transactions",
        api.BALANCE_TRANSACTION_LIST_PARAMS,
        stripe.params.BalanceTransactionListParams,
    ),
    (
        "GET",
        "/v1/balance_transactions/{id}",
        api.BALANCE_TRANSACTION_RETRIEVE_PARAMS,
        stripe.params.BalanceTransactionRetrieveParams,
    ),
    ("POST", "/v1/payouts", api.PAYOUT_CREATE_PARAMS, stripe.params.PayoutCreateParams),
    ("GET", "/v1/payouts", api.PAYOUT_LIST_PARAMS, stripe.params.PayoutListParams),
    ("GET", "/v1/payouts/{id}", api.PAYOUT_RETRIEVE_PARAMS, stripe.params.PayoutRetrieveParams),
    ("POST", "/v1/payouts/{id}/cancel", api.PAYOUT_CANCEL_PARAMS, stripe.params.PayoutCancelParams),
    ("GET", "/v1/disputes/{id}", api.DISPUTE_RETRIEVE_PARAMS, stripe.params.DisputeRetrieveParams),
]


@pytest.mark.parametrize("method,path,accepted,typed", ENDPOINT_PARAMS, ids=lambda v: getattr(v, "__name__", None))
def test_accepted_params_are_stripe_params(method, path, accepted, typed):
    """Every param an endpoint accepts is a key of its stripe.params TypedDict (required ones included)."""
    keys = set(typed.__annotations__) - REQUEST_OPTIONS
    assert set(accepted) <= keys, sorted(set(accepted) - keys)
    assert set(typed.__required_keys__) - REQUEST_OPTIONS <= set(accepted)


@pytest.mark.parametrize("method,path,accepted,typed", ENDPOINT_PARAMS, ids=lambda v: getattr(v, "__name__", None))
def test_endpoints_accept_exactly_their_declared_params(client, fake, method, path, accepted, typed):
    """Each declared param passes the unknown-parameter check; any other name is a 400 parameter_unknown."""
    paid(client, fake, 5000)
    dispute = fake.open_dispute(paid(client, fake, 1000)[0])
    payout = client.v1.payouts.create(params={"amount": 10, "currency": "usd"})
    ids = {
        "/v1/disputes/": dispute["id"],
        "/v1/payouts/": payout.id,
        "/v1/balance_transactions/": payout.balance_transaction,
    }
    url = path.replace("{id}", next((value for prefix, value in ids.items() if path.startswith(prefix)), ""))
    send = raw_get if method == "GET" else raw_post
    for name in sorted(accepted):
        status, body = send(fake, url, **{name: "x"})
        assert body.get("error", {}).get("code") != "parameter_unknown", (name, body)
    for name in sorted((set(typed.__annotations__) - REQUEST_OPTIONS - set(accepted)) | {"bogus"}):
        status, body = send(fake, url, **{name: "x"})
        assert (status, body["error"]["code"], body["error"]["param"]) == (400, "parameter_unknown", name)
