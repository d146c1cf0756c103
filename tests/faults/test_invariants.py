"""The invariant checker itself: it passes a healthy state and catches each kind of breakage
(so a fault scenario that passes really did keep the invariants)."""

import copy
import uuid
from dataclasses import dataclass, field

import pymongo
import pytest

from tests.faults.invariants import violations

T0 = "2026-01-01T00:00:00Z"


@dataclass
class StripeSide:
    """What the checker reads from the fake: PaymentIntents by id and the event list."""

    payment_intents: dict = field(default_factory=dict)
    events: list = field(default_factory=list)


def _baseline():
    pis = {
        "pi_paid": {
            "id": "pi_paid",
            "status": "succeeded",
            "amount_received": 2000,
            "currency": "usd",
            "metadata": {"order_id": "ord_paid"},
        },
        "pi_open": {
            "id": "pi_open",
            "status": "requires_payment_method",
            "amount_received": 0,
            "currency": "usd",
            "metadata": {"order_id": "ord_open"},
        },
    }
    orders = [
        {
            "_id": "ord_paid",
            "status": "paid",
            "amount": 2000,
            "currency": "usd",
            "payment_intent_id": "pi_paid",
            "history": [
                {"source": "evt_1", "from": "pending", "to": "payment_failed", "at": T0},
                {"source": "evt_2", "from": "payment_failed", "to": "paid", "at": T0},
            ],
        },
        {
            "_id": "ord_open",
            "status": "pending",
            "amount": 2000,
            "currency": "usd",
            "payment_intent_id": "pi_open",
            "history": [],
        },
    ]
    events = [
        {"id": "evt_1", "type": "payment_intent.payment_failed"},
        {"id": "evt_2", "type": "payment_intent.succeeded"},
        {"id": "evt_3", "type": "charge.succeeded"},
    ]
    inbox = [{"_id": "evt_1", "state": "applied"}, {"_id": "evt_2", "state": "applied"}]
    return pis, orders, events, inbox


def _second_pi(pis, orders, events, inbox):
    pis["pi_dup"] = dict(pis["pi_open"], id="pi_dup")


def _order_holds_other_pi(pis, orders, events, inbox):
    orders[1]["payment_intent_id"] = "pi_paid"


def _succeeded_but_pending(pis, orders, events, inbox):
    pis["pi_open"].update(status="succeeded", amount_received=2000)


def _paid_without_success(pis, orders, events, inbox):
    pis["pi_paid"]["status"] = "processing"


def _paid_wrong_amount(pis, orders, events, inbox):
    pis["pi_paid"]["amount_received"] = 1999


def _duplicate_transition(pis, orders, events, inbox):
    orders[1]["status"] = "processing"
    orders[1]["history"] = [
        {"source": "evt_9", "from": "pending", "to": "processing", "at": T0},
        {"source": "evt_9", "from": "processing", "to": "processing", "at": T0},
    ]


def _regression(pis, orders, events, inbox):
    orders[0]["history"].append({"source": "evt_4", "from": "paid", "to": "payment_failed", "at": T0})
    orders[0]["status"] = "payment_failed"


def _status_off_history(pis, orders, events, inbox):
    orders[1]["status"] = "processing"


def _unapplied_row(pis, orders, events, inbox):
    inbox[0]["state"] = "received"


def _event_never_stored(pis, orders, events, inbox):
    inbox.pop()


def _order_without_pi(pis, orders, events, inbox):
    del pis["pi_open"]
    orders[1]["payment_intent_id"] = None


BREAKAGES = [  # (breakage, what the report must say)
    (_second_pi, "2 PaymentIntents"),
    (_order_holds_other_pi, "holds pi_paid"),
    (_succeeded_but_pending, "PI succeeded but order is pending"),
    (_paid_without_success, "order paid but PI is processing"),
    (_paid_wrong_amount, "paid with 1999 usd"),
    (_duplicate_transition, "evt_9 applied 2 times"),
    (_regression, "regressed paid -> payment_failed"),
    (_status_off_history, "but history ends at pending"),
    (_unapplied_row, "inbox evt_1 is received"),
    (_event_never_stored, "evt_2 (payment_intent.succeeded) never reached the inbox"),
    (_order_without_pi, "has no PaymentIntent after reconcile"),
]


@pytest.fixture
def scratch(mongo):
    """An empty database on the session server, dropped afterwards."""
    client = pymongo.MongoClient(mongo.uri(), serverSelectionTimeoutMS=5000)
    name = "inv_" + uuid.uuid4().hex[:10]
    yield client[name]
    client.drop_database(name)
    client.close()


def _check(db, pis, orders, events, inbox):
    if orders:
        db.orders.insert_many(copy.deepcopy(orders))
    if inbox:
        db.stripe_events.insert_many(copy.deepcopy(inbox))
    return violations(db, StripeSide(pis, events))


def test_healthy_state_passes(scratch):
    """Paid after a failed attempt, one open order, every event applied: no violation."""
    assert _check(scratch, *_baseline()) == []


def test_needs_review_with_a_reason_is_accepted_for_a_mismatch(scratch):
    """A succeeded PI whose order went to needs_review (with its reason) is not a violation."""
    pis, orders, events, inbox = _baseline()
    pis["pi_paid"]["amount_received"] = 1
    orders[0].update(status="needs_review", review_reason="amount_received 1 differs")
    orders[0]["history"][1]["to"] = "needs_review"
    assert _check(scratch, pis, orders, events, inbox) == []


@pytest.mark.parametrize("breakage,report", BREAKAGES, ids=[b.__name__.strip("_") for b, _ in BREAKAGES])
def test_each_breakage_is_reported(scratch, breakage, report):
    """Each way of losing or doubling money, or regressing an order, is reported by name."""
    state = _baseline()
    breakage(*state)
    problems = _check(scratch, *state)
    assert any(report in problem for problem in problems), problems
