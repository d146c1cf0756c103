"""Helpers for money that moves after the payment: the charge behind a PaymentIntent and
Stripe-shaped dispute events (the fake emits charge.refunded itself)."""

from service.devtools.fake_stripe.objects import new_id


def charge_of(fake, pi_id):
    """The latest succeeded Charge snapshot of a PaymentIntent, from the fake's events."""
    charges = [
        event["data"]["object"]
        for event in fake.events
        if event["type"] == "charge.succeeded" and event["data"]["object"]["payment_intent"] == pi_id
    ]
    return charges[-1]


def dispute_events(fake, pi_id, outcome="lost", reason="fraudulent"):
    """(charge.dispute.created, charge.dispute.closed) for one dispute of the PI's charge,
    closed with ``outcome`` (won, lost or warning_closed)."""
    charge = charge_of(fake, pi_id)
    dispute = {
        "id": new_id("dp"),
        "object": "dispute",
        "amount": charge["amount_captured"],
        "charge": charge["id"],
        "currency": charge["currency"],
        "payment_intent": pi_id,
        "reason": reason,
        "status": "needs_response",
        "metadata": {},
        "livemode": False,
        "is_charge_refundable": False,
    }
    created = fake.make_event("charge.dispute.created", dispute)
    closed = fake.make_event("charge.dispute.closed", dict(dispute, status=outcome))
    return created, closed
