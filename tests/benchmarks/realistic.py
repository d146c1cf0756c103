"""The event stream Stripe really sends for card payments, pre-signed for the load generator.

Per order, three distinct events in Stripe's order: ``payment_intent.created``,
``charge.succeeded``, ``payment_intent.succeeded`` (one third of the stream is the one event
that changes the order). The ``all_events`` variant is an endpoint subscribed to every event
type, a common setup: it adds ``charge.updated`` (the balance transaction landed) and an
account-level ``balance.available`` that the service only stores, redelivers ~10 % of the
events (exact duplicates of an event sent ~LAG requests earlier) and delivers ~10 % of the
orders' events out of order (newest first). Built with the fake Stripe's object builders and
signed before a phase starts, like ``workload.webhook_stream``.
"""

import random
import time

from service.devtools.fake_stripe import objects
from tests.benchmarks.workload import LAG, pi_event, signed_request

SHARE = 0.1  # duplicates, and orders delivered out of order, in the all-events variant


def _order_events(pi, now, all_events):
    """The events of one card payment, oldest first: (kind, event); kind is the delivery's
    cost class: ``applied`` changes the order, ``stored`` is only stored."""
    charge = objects.charge(pi, amount=pi["amount"], created=now - 1, payment_method="pm_card_visa")
    events = [
        ("stored", objects.event("payment_intent.created", pi, created=now - 2)),
        ("stored", objects.event("charge.succeeded", charge, created=now - 1)),
        ("applied", pi_event(pi, "payment_intent.succeeded", "succeeded", now - 1)),
    ]
    if all_events:  # the balance transaction lands: charge.updated names it
        booked = dict(charge, balance_transaction=objects.new_id("txn"))
        events.append(("stored", objects.event("charge.updated", booked, created=now)))
        balance = {"object": "balance", "available": [{"amount": pi["amount"], "currency": pi["currency"]}]}
        events.append(("stored", objects.event("balance.available", balance, created=now)))
    return events


def payment_stream(intents, secret, seed=1, all_events=False):
    """Pre-signed deliveries for ``intents`` (one per pending order). Returns a list of
    (kind, request spec) with kind ``applied`` | ``stored`` | ``duplicate``; in the
    all-events variant ~SHARE of the orders' events come newest first and ~SHARE of the
    deliveries are duplicates."""
    rng, now = random.Random(seed), int(time.time())
    stream, sent = [], []
    for pi in intents:
        events = _order_events(pi, now, all_events)
        if all_events and rng.random() < SHARE:
            events.reverse()  # out of order: the success before the created event
        for kind, event in events:
            spec = signed_request(event, secret, now)
            stream.append((kind, spec))
            sent.append(spec)
            if all_events and len(sent) > 2 * LAG and rng.random() < SHARE / (1 - SHARE):
                stream.append(("duplicate", sent[-LAG - rng.randrange(LAG)]))
    return stream


def events_per_order(all_events):
    """Distinct events per order in the variant (duplicates not counted)."""
    return 5 if all_events else 3
