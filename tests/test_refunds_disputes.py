"""Refunds and disputes annotate a paid order through the inbox, in any delivery order,
with duplicates, without ever undoing the payment."""

import itertools

import pytest

from service import handlers
from tests.support.helpers import deliver, new_order, transitions
from tests.support.money import dispute_events


def deliver_all(client, events):
    """Deliver every event and assert each is acknowledged."""
    for event in events:
        response = deliver(client, event)
        assert response.status_code == 200, response.get_json()


def with_duplicates(events):
    """Each event twice: in the given order, then again in reverse."""
    return list(events) + list(reversed(events))


def refund_flow(client, fake, amounts):
    """A paid order's events: succeeded, then one charge.refunded per amount (None: the rest)."""
    order_id, pi_id = new_order(client)
    return order_id, pi_id, [fake.succeed(pi_id)] + [fake.refund(pi_id, amount) for amount in amounts]


@pytest.mark.parametrize(
    "amounts,status,total",
    [
        ([500, 700], "partially_refunded", 1200),
        ([500, 700, None], "refunded", 2000),
    ],
)
def test_refunds_in_every_delivery_order_end_at_the_cumulative_total(
    client, fake_stripe, raw_db, amounts, status, total
):
    """Every permutation of succeeded + refunds, each delivered twice, ends paid with the refunded total."""
    _, _, reference = refund_flow(client, fake_stripe, amounts)
    for order in itertools.permutations(range(len(reference))):
        order_id, _, events = refund_flow(client, fake_stripe, amounts)
        deliver_all(client, with_duplicates([events[index] for index in order]))
        stored = raw_db.orders.find_one({"_id": order_id})
        assert stored["status"] == "paid", order
        assert (stored["refund"]["status"], stored["refund"]["amount_refunded"]) == (status, total), order
        assert [step[1] for step in transitions(raw_db, order_id)] == ["paid"]


@pytest.mark.parametrize("outcome", ["won", "lost", "prevented"])
def test_disputes_in_every_delivery_order_end_at_the_outcome(client, fake_stripe, raw_db, outcome):
    """succeeded, dispute created and dispute closed in any order, duplicated: paid, disputed, closed outcome."""
    for order in itertools.permutations(range(3)):
        order_id, pi_id = new_order(client)
        events = [fake_stripe.succeed(pi_id), *dispute_events(fake_stripe, pi_id, outcome)]
        deliver_all(client, with_duplicates([events[index] for index in order]))
        stored = raw_db.orders.find_one({"_id": order_id})
        assert stored["status"] == "paid", order
        assert (stored["dispute"]["status"], stored["dispute"]["outcome"]) == ("disputed", outcome), order
        assert stored["dispute"]["amount"] == 2000 and stored["dispute"]["reason"] == "fraudulent"


def test_refund_and_dispute_together_in_every_order(client, fake_stripe, raw_db):
    """A partial refund and a lost dispute on one order, delivered in all 24 orders with duplicates."""
    for order in itertools.permutations(range(4)):
        order_id, pi_id = new_order(client)
        events = [
            fake_stripe.succeed(pi_id),
            fake_stripe.refund(pi_id, 300),
            *dispute_events(fake_stripe, pi_id, "lost"),
        ]
        deliver_all(client, with_duplicates([events[index] for index in order]))
        body = client.get(f"/orders/{order_id}").get_json()
        assert body["status"] == "paid", order
        assert body["refund"] == {"status": "partially_refunded", "amount_refunded": 300, "currency": "usd"}
        assert body["dispute"]["status"] == "disputed" and body["dispute"]["outcome"] == "lost"


def test_refund_before_success_is_kept_and_order_ends_paid(client, fake_stripe, raw_db):
    """A refund delivered before payment_intent.succeeded is recorded at once and the status is
    left alone; the late success then pays the order with the refund in place."""
    order_id, pi_id = new_order(client)
    succeeded = fake_stripe.succeed(pi_id)
    refunded = fake_stripe.refund(pi_id, 800)
    deliver(client, refunded)
    early = raw_db.orders.find_one({"_id": order_id})
    assert early["status"] == "pending" and early["refund"]["amount_refunded"] == 800
    deliver(client, succeeded)
    late = raw_db.orders.find_one({"_id": order_id})
    assert late["status"] == "paid" and late["refund"]["status"] == "partially_refunded"


def test_closed_dispute_is_not_reopened_by_a_late_created_event(client, fake_stripe, raw_db):
    """charge.dispute.closed before charge.dispute.created: the order stays at the closed outcome."""
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    created, closed = dispute_events(fake_stripe, pi_id, "won")
    deliver(client, closed)
    response = deliver(client, created)
    assert response.get_json()["state"] == "applied"
    dispute = raw_db.orders.find_one({"_id": order_id})["dispute"]
    assert (dispute["outcome"], dispute["stripe_status"], dispute["source"]) == ("won", "won", closed["id"])


def test_refund_annotation_keeps_needs_review_status(client, fake_stripe, raw_db):
    """Money refunded on an order under review annotates it; the review status is not touched."""
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id, amount_received=1500))
    deliver(client, fake_stripe.refund(pi_id))
    stored = raw_db.orders.find_one({"_id": order_id})
    assert stored["status"] == "needs_review"
    assert (stored["refund"]["status"], stored["refund"]["amount_refunded"]) == ("refunded", 1500)


def test_refund_family_events_are_not_counted(client, fake_stripe, raw_db):
    """refund.created is acknowledged and ignored: charge.refunded alone counts refunds, so none is counted twice."""
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    refunded = fake_stripe.refund(pi_id, 400)
    refund_object = {"id": "re_x", "object": "refund", "amount": 400, "payment_intent": pi_id, "status": "succeeded"}
    created = fake_stripe.make_event("refund.created", refund_object)
    assert deliver(client, created).get_json()["state"] == "ignored"
    deliver(client, refunded)
    assert raw_db.orders.find_one({"_id": order_id})["refund"]["amount_refunded"] == 400


def test_refund_for_an_unknown_payment_is_ignored(client, fake_stripe, raw_db):
    """A charge.refunded for a charge that is not ours answers 200 and changes nothing."""
    event = fake_stripe.make_event(
        "charge.refunded",
        {
            "id": "ch_foreign",
            "object": "charge",
            "amount_captured": 100,
            "amount_refunded": 100,
            "currency": "usd",
            "payment_intent": "pi_foreign",
            "metadata": {},
            "refunded": True,
        },
    )
    response = deliver(client, event)
    assert response.status_code == 200 and response.get_json()["state"] == "ignored"
    assert raw_db.stripe_events.find_one({"_id": event["id"]})["payment_intent_id"] == "pi_foreign"


def test_second_dispute_on_one_order_is_flagged_not_overwritten(client, fake_stripe, raw_db, log_lines):
    """A dispute with another id does not replace the recorded one; it is logged for a human."""
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    first, _ = dispute_events(fake_stripe, pi_id)
    second, _ = dispute_events(fake_stripe, pi_id)
    deliver(client, first)
    deliver(client, second)
    assert raw_db.orders.find_one({"_id": order_id})["dispute"]["id"] == first["data"]["object"]["id"]
    assert any(line.get("alert") == "second_dispute" for line in log_lines())


def test_missed_refund_event_is_recovered_by_the_sweep(app, services, client, fake_stripe, raw_db):
    """A charge.refunded that was never delivered is found in the Events API and annotates the order."""
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    fake_stripe.refund(pi_id, 250)
    summary = handlers.reconcile(services)
    # The sweep also brings the charge.succeeded that was never delivered (the ledger's event).
    assert summary.events_recovered == 2
    assert raw_db.stripe_events.count_documents({"type": "charge.refunded"}) == 1
    assert raw_db.orders.find_one({"_id": order_id})["refund"]["amount_refunded"] == 250


def test_refund_of_a_duplicate_payment_intent_is_not_the_orders_refund(
    client, services, fake_stripe, raw_db, log_lines
):
    """A second PI for one order is flagged; refunding that duplicate (the usual fix) does not
    mark the order itself refunded."""
    order_id, pi_id = new_order(client)
    deliver_all(client, [fake_stripe.succeed(pi_id)])
    duplicate = services.gateway.create_payment_intent(
        order_id=order_id, amount=2000, currency="usd", idempotency_key="duplicate-by-mistake"
    )
    deliver_all(client, [fake_stripe.succeed(duplicate["id"]), fake_stripe.refund(duplicate["id"])])
    order = raw_db.orders.find_one({"_id": order_id})
    assert order["status"] == "needs_review" and "refund" not in order
    assert any(line.get("alert") == "money_movement_on_other_payment_intent" for line in log_lines())
