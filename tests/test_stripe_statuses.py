"""The status tables against the pinned stripe-python: every status it declares has a row, and
the rules that read the tables (disputes, the reconciler's PaymentIntent facts) follow them."""

import pytest
import stripe

from service.domain import stripe_statuses as statuses
from service.domain.annotations import CLOSED_DISPUTE_STATUSES, DisputeFact, decide_dispute
from service.domain.orders import PI_CANCELABLE, PI_STATUS_TRIGGERS
from service.domain.payment_facts import fact_from_payment_intent
from tests.support.stripe_types import declared_values

CLASSES = {
    "payment_intent": stripe.PaymentIntent,
    "dispute": stripe.Dispute,
    "refund": stripe.Refund,
    "payout": stripe.Payout,
    "charge": stripe.Charge,
}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_every_status_the_pinned_library_declares_has_a_row(name):
    """A status stripe-python knows for the pinned API version but the table lacks fails here."""
    declared = declared_values(CLASSES[name], "status")
    assert declared, f"stripe.{CLASSES[name].__name__}.status declares no values"
    missing = declared - set(statuses.TABLES[name])
    assert not missing, f"{name} statuses without a row in domain/stripe_statuses.py: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_no_table_invents_a_status(name):
    """Every row is a status the pinned library declares (no typo hides a real one)."""
    assert set(statuses.TABLES[name]) <= declared_values(CLASSES[name], "status")


def test_the_pinned_dispute_statuses_include_prevented_warnings_and_appeals():
    """The statuses issue 12 names are all in the pinned library and in the table."""
    named = {"prevented", "warning_needs_response", "warning_under_review", "warning_closed"}
    named |= {"appeal_needs_response", "appeal_under_review"}
    assert named <= declared_values(stripe.Dispute, "status") <= set(statuses.DISPUTE)


def test_closed_dispute_statuses_come_from_the_table():
    """won, lost, prevented and warning_closed end a dispute; appeals and open ones do not."""
    assert set(CLOSED_DISPUTE_STATUSES) == {"won", "lost", "prevented", "warning_closed"}
    assert not statuses.dispute_closed("appeal_needs_response")
    assert statuses.dispute_rank("appeal_under_review") == statuses.dispute_rank("lost") == 2
    assert statuses.dispute_rank("warning_needs_response") == 1


def dispute(status, at):
    return DisputeFact(f"evt_{status}_{at}", "pi_1", "ord_1", "dp_1", "ch_1", status, 1000, "usd", "fraudulent", at)


def test_prevented_closes_the_orders_dispute():
    """A dispute recorded open, then ``prevented``, is closed with outcome prevented."""
    opened = decide_dispute(None, dispute("needs_response", 10))
    closed = decide_dispute(opened, dispute("prevented", 20))
    assert closed is not None and closed["outcome"] == "prevented" and closed["rank"] == 2


def test_an_appeal_reopens_a_lost_dispute_and_its_outcome_closes_it_again():
    """lost -> appeal_needs_response (no outcome) -> won: each recorded, in that order."""
    lost = decide_dispute(None, dispute("lost", 10))
    appeal = decide_dispute(lost, dispute("appeal_needs_response", 20))
    assert appeal is not None and appeal["outcome"] is None and appeal["stripe_status"] == "appeal_needs_response"
    won = decide_dispute(appeal, dispute("won", 30))
    assert won is not None and won["outcome"] == "won"


def test_a_late_open_status_never_reopens_a_closed_dispute():
    """needs_response delivered after warning_closed/won (even if newer) is not recorded."""
    closed = decide_dispute(None, dispute("won", 10))
    assert decide_dispute(closed, dispute("needs_response", 20)) is None
    assert decide_dispute(closed, dispute("lost", 5)) is None  # an older close is not newer


def test_an_inquiry_escalating_to_a_chargeback_is_recorded():
    """warning_under_review then needs_response (same dispute, later) moves the record on."""
    inquiry = decide_dispute(None, dispute("warning_under_review", 10))
    chargeback = decide_dispute(inquiry, dispute("needs_response", 20))
    assert chargeback is not None and chargeback["stripe_status"] == "needs_response"


@pytest.mark.parametrize("status", sorted(statuses.PAYMENT_INTENT))
def test_payment_intent_rows_match_what_the_reconciler_does(status):
    """FACT rows (and only they) give a fact without a decline; a cancelable one is WAITING, or
    requires_action (a wait on the customer, canceled only after its own end: deadlines.may_cancel)."""
    pi = {"id": "pi_1", "status": status, "amount_received": 0, "currency": "usd", "metadata": {}}
    fact = fact_from_payment_intent(pi, 100)
    assert (fact is not None) == (statuses.PAYMENT_INTENT[status] == statuses.FACT)
    assert (status in PI_STATUS_TRIGGERS) == (statuses.PAYMENT_INTENT[status] == statuses.FACT)
    if status in PI_CANCELABLE:
        assert statuses.PAYMENT_INTENT[status] == statuses.WAITING or status == "requires_action"
