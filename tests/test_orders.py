"""The pure order state machine: every row of the state machine table in docs/ARCHITECTURE.md, stale facts, amounts."""

import pytest

from service.domain import payment_facts
from service.domain.orders import OrderView, PaymentFact, decide


def view(status, **kw):
    base = {"order_id": "ord_1", "status": status, "amount": 2000, "currency": "usd", "payment_intent_id": "pi_1"}
    base.update(kw)
    return OrderView(**base)


def fact(trigger, source="evt_1", at=100, amount=2000, currency="usd", order_id="ord_1", pi="pi_1"):
    return PaymentFact(
        source_id=source,
        trigger=trigger,
        payment_intent_id=pi,
        amount_received=amount,
        currency=currency,
        metadata_order_id=order_id,
        occurred_at=at,
    )


TABLE = [
    ("pending", "requires_action", "awaiting_customer"),
    ("awaiting_customer", "requires_action", None),
    ("awaiting_customer", "processing", "processing"),
    ("awaiting_customer", "payment_failed", "payment_failed"),
    ("awaiting_customer", "succeeded", "paid"),
    ("awaiting_customer", "canceled", "canceled"),
    ("processing", "requires_action", None),
    ("payment_failed", "requires_action", "awaiting_customer"),
    ("paid", "requires_action", None),
    ("canceled", "requires_action", None),
    ("pending", "processing", "processing"),
    ("pending", "payment_failed", "payment_failed"),
    ("pending", "succeeded", "paid"),
    ("pending", "canceled", "canceled"),
    ("processing", "processing", None),
    ("processing", "payment_failed", "payment_failed"),
    ("processing", "succeeded", "paid"),
    ("processing", "canceled", "canceled"),
    ("payment_failed", "processing", "processing"),
    ("payment_failed", "payment_failed", None),
    ("payment_failed", "succeeded", "paid"),
    ("payment_failed", "canceled", "canceled"),
    ("paid", "processing", None),
    ("paid", "payment_failed", None),
    ("paid", "succeeded", None),
    ("paid", "canceled", None),
    ("canceled", "processing", None),
    ("canceled", "payment_failed", None),
    ("canceled", "succeeded", "needs_review"),
    ("canceled", "canceled", None),
    ("needs_review", "succeeded", None),
    ("needs_review", "payment_failed", None),
]


@pytest.mark.parametrize("status,trigger,expected", TABLE)
def test_transition_table_matches_design(status, trigger, expected):
    """Each (status, trigger) pair moves exactly as the state machine table in docs/ARCHITECTURE.md says."""
    assert decide(view(status), fact(trigger)).to_status == expected


def test_already_applied_fact_is_a_noop():
    """A fact whose source is in the order's history changes nothing, whatever the status."""
    decision = decide(view("pending", applied_sources=frozenset({"evt_1"})), fact("succeeded"))
    assert decision.to_status is None and decision.reason == "already applied"


@pytest.mark.parametrize("trigger", ["requires_action", "processing", "payment_failed"])
def test_older_non_terminal_fact_is_stale(trigger):
    """requires_action/processing/payment_failed older than the last applied fact are ignored."""
    assert decide(view("payment_failed", last_event_at=200), fact("processing", at=199)).to_status is None
    assert decide(view("processing", last_event_at=200), fact(trigger, at=150)).to_status is None


def test_older_succeeded_still_pays():
    """Success is terminal: it applies even when older than the last fact seen."""
    assert decide(view("payment_failed", last_event_at=500), fact("succeeded", at=10)).to_status == "paid"


@pytest.mark.parametrize(
    "change,reason_part",
    [
        ({"amount": 1999}, "amount_received"),
        ({"currency": "eur"}, "currency"),
        ({"order_id": "ord_other"}, "metadata.order_id"),
    ],
)
def test_mismatched_success_needs_review(change, reason_part):
    """A success whose amount, currency or order id differs goes to needs_review, not paid."""
    decision = decide(view("pending"), fact("succeeded", **change))
    assert decision.to_status == "needs_review" and reason_part in decision.reason


def test_success_on_a_second_payment_intent_needs_review():
    """Money taken on a PI other than the order's is flagged, even on a paid order."""
    assert decide(view("paid"), fact("succeeded", pi="pi_2")).to_status == "needs_review"
    assert decide(view("pending"), fact("payment_failed", pi="pi_2")).to_status is None


def test_order_without_payment_intent_accepts_its_first():
    """An order whose PI id was never stored (DB failed after Stripe answered) still pays."""
    assert decide(view("pending", payment_intent_id=None), fact("succeeded")).to_status == "paid"


def test_fact_from_event_reads_the_snapshot():
    """Event -> fact carries amount_received, currency, order id and the decline message."""
    event = {
        "id": "evt_9",
        "type": "payment_intent.payment_failed",
        "created": 77,
        "data": {
            "object": {
                "id": "pi_9",
                "amount_received": 0,
                "currency": "USD",
                "metadata": {"order_id": "ord_9"},
                "last_payment_error": {"message": "Your card was declined."},
            }
        },
    }
    got = payment_facts.fact_from_event(event)
    assert (
        got.trigger,
        got.payment_intent_id,
        got.currency,
        got.metadata_order_id,
        got.occurred_at,
        got.failure_message,
    ) == ("payment_failed", "pi_9", "usd", "ord_9", 77, "Your card was declined.")
    assert payment_facts.fact_from_event({"type": "customer.created"}) is None


def test_fact_from_retrieved_payment_intent_has_a_stable_source():
    """A retrieved PI yields one source id per (PI, status), so reconciling twice is a no-op."""
    pi = {"id": "pi_5", "status": "succeeded", "amount_received": 100, "currency": "usd", "metadata": {}}
    first, second = payment_facts.fact_from_payment_intent(pi, 1), payment_facts.fact_from_payment_intent(pi, 2)
    assert first.source_id == second.source_id == "reconcile:pi_5:succeeded"
    assert payment_facts.fact_from_payment_intent({**pi, "status": "requires_payment_method"}, 1) is None
    waiting = {**pi, "status": "requires_action", "next_action": {"type": "oxxo_display_details"}}
    source = payment_facts.fact_from_payment_intent(waiting, 1).source_id
    assert source == "reconcile:pi_5:requires_action:oxxo_display_details"
