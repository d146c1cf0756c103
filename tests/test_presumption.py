"""The presumed transition (domain/presumption.py) never disagrees with the state machine:
on every order its conditions hold for, ``decide`` makes exactly the presumed decision."""

from hypothesis import given
from hypothesis import strategies as st

from service.domain.orders import STATUSES, OrderView, PaymentFact, decide
from service.domain.presumption import presume
from service.store.presumed import presumed_filter

TRIGGERS = ("processing", "payment_failed", "succeeded", "canceled")
ids = st.sampled_from(["a", "b", None])

facts = st.builds(
    PaymentFact,
    source_id=st.sampled_from(["evt_1", "evt_2"]),
    trigger=st.sampled_from(TRIGGERS),
    payment_intent_id=st.sampled_from(["pi_a", "pi_b", None]),
    amount_received=st.sampled_from([0, 2000, 2500]),
    currency=st.sampled_from(["usd", "eur"]),
    metadata_order_id=ids,
    occurred_at=st.integers(0, 4),
    failure_message=st.sampled_from([None, "declined"]),
)
orders = st.builds(
    OrderView,
    order_id=st.sampled_from(["a", "b"]),
    status=st.sampled_from(STATUSES),
    amount=st.sampled_from([2000, 2500]),
    currency=st.sampled_from(["usd", "eur"]),
    payment_intent_id=st.sampled_from(["pi_a", "pi_b", None]),
    last_event_at=st.integers(0, 4),
    applied_sources=st.frozensets(st.sampled_from(["evt_1", "evt_2"])),
)


@given(facts, orders)
def test_a_presumption_is_what_decide_does_wherever_its_conditions_hold(fact, order):
    """For any fact and order: if the presumption's conditions hold, decide() agrees exactly."""
    presumption = presume(fact)
    if presumption is not None and presumption.holds_for(order):
        assert decide(order, fact) == presumption.decision
        assert presumption.decision.changes


def test_a_card_success_is_presumed_pending_to_paid_with_the_payment_checked_in_the_filter():
    """The common case carries the amount, currency and PI in the update's filter."""
    fact = PaymentFact("evt_1", "succeeded", "pi_a", 2000, "usd", "ord_1", 10)
    presumption = presume(fact)
    assert presumption is not None and presumption.decision.to_status == "paid"
    assert presumed_filter(presumption) == {"payment_intent_id": "pi_a", "amount": 2000, "currency": "usd"}


def test_a_processing_fact_carries_the_staleness_check_and_no_amount():
    """A non-terminal fact may not overtake a newer one: last_event_at <= its time is in the filter."""
    presumption = presume(PaymentFact("evt_1", "processing", "pi_a", 0, "usd", "ord_1", 10))
    assert presumption is not None
    assert presumed_filter(presumption) == {"payment_intent_id": "pi_a", "last_event_at": {"$lte": 10}}


def test_nothing_is_presumed_without_an_order_id_and_a_payment_intent():
    """A fact that names no order or no PI is always read and decided."""
    assert presume(PaymentFact("evt_1", "succeeded", "pi_a", 2000, "usd", None, 10)) is None
    assert presume(PaymentFact("evt_1", "succeeded", None, 2000, "usd", "ord_1", 10)) is None


@given(
    facts, st.integers(0, 4), st.frozensets(st.sampled_from(["evt_1", "evt_2", "evt_3"])), st.sampled_from([2000, 2500])
)
def test_every_order_the_filter_matches_gets_the_presumed_decision(fact, clock, sources, amount):
    """Built to satisfy the conditions (other fields free): decide() agrees with the presumption."""
    presumption = presume(fact)
    if presumption is None:
        return
    order = OrderView(
        order_id=presumption.order_id,
        status=presumption.from_status,
        amount=presumption.amount if presumption.amount is not None else amount,
        currency=presumption.currency or "eur",
        payment_intent_id=presumption.payment_intent_id,
        last_event_at=min(clock, presumption.not_before) if presumption.not_before is not None else clock,
        applied_sources=sources - {fact.source_id},
    )
    assert presumption.holds_for(order)
    assert decide(order, fact) == presumption.decision
