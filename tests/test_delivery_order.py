"""Out-of-order and duplicated delivery: a property test over one PaymentIntent's events."""

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.helpers import deliver, new_order, transitions

LIFECYCLES = [
    ["processing", "payment_failed", "processing", "succeeded"],
    ["payment_failed", "payment_failed", "succeeded"],
    ["processing", "payment_failed"],
    ["payment_failed", "processing"],
    ["processing", "succeeded"],
    ["payment_failed", "processing", "canceled"],
    ["processing", "payment_failed", "processing"],
]
TYPES = {
    "processing": "payment_intent.processing",
    "payment_failed": "payment_intent.payment_failed",
    "succeeded": "payment_intent.succeeded",
    "canceled": "payment_intent.canceled",
}


def lifecycle_events(fake, pi_id, kinds, tag):
    """The events Stripe would send for ``kinds`` on one PI, one second apart."""
    pi = copy.deepcopy(fake.payment_intents[pi_id])
    events = []
    for index, kind in enumerate(kinds):
        snapshot = dict(
            pi,
            status="requires_payment_method" if kind == "payment_failed" else kind,
            amount_received=pi["amount"] if kind == "succeeded" else 0,
        )
        events.append(
            {
                "id": f"evt_{tag}_{index}",
                "object": "event",
                "type": TYPES[kind],
                "created": 1_700_000_000 + index,
                "livemode": False,
                "data": {"object": snapshot},
            }
        )
    return events


@st.composite
def deliveries(draw):
    kinds = draw(st.sampled_from(LIFECYCLES))
    order = draw(st.permutations(range(len(kinds))))
    extra = draw(st.lists(st.integers(0, len(kinds) - 1), max_size=3))
    positions = draw(st.lists(st.integers(0, len(order)), min_size=len(extra), max_size=len(extra)))
    sequence = list(order)
    for event_index, position in zip(extra, positions, strict=True):
        sequence.insert(position, event_index)
    return kinds, sequence


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=deliveries())
def test_any_delivery_order_ends_like_in_order_delivery(client, fake_stripe, raw_db, case):
    """Permuted and duplicated deliveries of one PI's events end in the in-order state, with
    no duplicate transition in the order's history."""
    kinds, sequence = case
    reference_id, reference_pi = new_order(client)
    for event in lifecycle_events(fake_stripe, reference_pi, kinds, reference_pi):
        assert deliver(client, event).status_code == 200
    order_id, pi_id = new_order(client)
    events = lifecycle_events(fake_stripe, pi_id, kinds, pi_id)
    for index in sequence:
        assert deliver(client, events[index]).status_code == 200
    expected = raw_db.orders.find_one({"_id": reference_id})["status"]
    assert raw_db.orders.find_one({"_id": order_id})["status"] == expected
    sources = [source for _, _, source in transitions(raw_db, order_id)]
    assert len(sources) == len(set(sources))
