"""The pure refund/dispute decisions: monotone, so any order of facts ends the same."""

import itertools

from service.domain.annotations import (
    DisputeFact,
    RefundFact,
    decide_dispute,
    decide_refund,
    event_refs,
    note_from_event,
)


def refund(amount_refunded, source="evt_r", captured=2000):
    return RefundFact(source, "pi_1", "ord_1", "ch_1", amount_refunded, captured, "usd", 0)


def dispute(status, dispute_id="dp_1", source="evt_d"):
    return DisputeFact(source, "pi_1", "ord_1", dispute_id, "ch_1", status, 2000, "usd", "fraudulent", 0)


def fold(decide, facts):
    """Apply facts one by one the way the store does: keep a decision only when there is one."""
    recorded = None
    for fact in facts:
        recorded = decide(recorded, fact) or recorded
    return recorded


def test_refund_total_is_the_largest_cumulative_amount_in_any_order():
    """Cumulative amounts 500, 1200, 2000 in every order end at 2000 refunded."""
    facts = [refund(500), refund(1200), refund(2000)]
    for order in itertools.permutations(facts):
        recorded = fold(lambda current, fact: decide_refund(2000, current, fact), order)
        assert (recorded["status"], recorded["amount_refunded"]) == ("refunded", 2000)


def test_partial_refund_is_partially_refunded():
    """Less than the captured amount refunded is partially_refunded."""
    assert decide_refund(2000, None, refund(1999))["status"] == "partially_refunded"


def test_full_refund_is_measured_against_what_was_captured():
    """A charge that captured 1500 on a 2000 order is fully refunded at 1500."""
    assert decide_refund(2000, None, refund(1500, captured=1500))["status"] == "refunded"


def test_smaller_or_equal_refund_changes_nothing():
    """A stale or duplicate charge.refunded is a no-op."""
    recorded = decide_refund(2000, None, refund(700))
    assert decide_refund(2000, recorded, refund(700)) is None
    assert decide_refund(2000, recorded, refund(500)) is None


def test_dispute_ends_closed_in_any_order():
    """needs_response, under_review and lost in any order end lost."""
    facts = [dispute("needs_response"), dispute("under_review"), dispute("lost")]
    for order in itertools.permutations(facts):
        recorded = fold(decide_dispute, order)
        assert (recorded["outcome"], recorded["status"]) == ("lost", "disputed")


def test_open_dispute_has_no_outcome():
    """A dispute that is still open is disputed with outcome None."""
    recorded = decide_dispute(None, dispute("needs_response"))
    assert (recorded["status"], recorded["outcome"], recorded["rank"]) == ("disputed", None, 1)


def test_another_dispute_id_is_not_recorded_over_the_first():
    """A second dispute does not overwrite the first (the caller flags it)."""
    recorded = decide_dispute(None, dispute("needs_response"))
    assert decide_dispute(recorded, dispute("lost", dispute_id="dp_2")) is None


def test_facts_and_refs_from_events():
    """Charge and dispute events become facts that name their PaymentIntent and order."""
    charge = {
        "id": "ch_1",
        "payment_intent": "pi_1",
        "metadata": {"order_id": "ord_1"},
        "amount_refunded": 5,
        "amount_captured": 10,
        "currency": "USD",
    }
    event = {"id": "evt_1", "type": "charge.refunded", "created": 7, "data": {"object": charge}}
    fact = note_from_event(event)
    assert (fact.amount_refunded, fact.currency, fact.metadata_order_id) == (5, "usd", "ord_1")
    assert event_refs(event) == ("pi_1", "ord_1")
    closed = {
        "id": "evt_2",
        "type": "charge.dispute.closed",
        "created": 8,
        "data": {
            "object": {
                "id": "dp_1",
                "charge": {"id": "ch_1"},
                "payment_intent": "pi_1",
                "status": "won",
                "amount": 10,
                "currency": "usd",
            }
        },
    }
    assert (note_from_event(closed).charge_id, note_from_event(closed).rank) == ("ch_1", 2)
    assert note_from_event({"id": "evt_3", "type": "refund.created", "data": {"object": {}}}) is None
