"""Benchmark data: pending orders shaped like checkout's, and pre-signed Stripe event streams.

Orders are built with the service's own ``Order`` document (so they carry exactly the
fields checkout writes) and inserted in bulk. Events are built with the fake Stripe's
object builders (full PaymentIntent snapshots, pretty-printed like Stripe's bodies) and
signed *before* a phase starts; the load generator only replays the bytes.
"""

import copy
import json
import random
import time
import uuid
from datetime import timedelta

from service.clock import utcnow
from service.devtools.fake_stripe import objects, sign_payload
from service.devtools.fake_stripe.webhooks import encode_event
from service.store.documents import Order, OrderItem

AMOUNT, CURRENCY = 2000, "usd"
LAG = 64  # a duplicate / late event refers to an order delivered about this many requests earlier
WEBHOOK_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
}


def order_document(order_id, payment_intent_id, *, status="pending", created_at=None, expected_by=None, history=()):
    """A raw orders-collection document exactly as checkout stores it (plus its PI id)."""
    now = created_at or utcnow()
    order = Order(
        order_id=order_id,
        status=status,
        amount=AMOUNT,
        currency=CURRENCY,
        items=[OrderItem(sku="tee", name="T-shirt", quantity=1, unit_amount=AMOUNT)],
        request_fingerprint=uuid.uuid4().hex * 2,
        payment_intent_id=payment_intent_id,
        history=list(history),
        created_at=now,
        updated_at=now,
        expected_by=expected_by or now + timedelta(seconds=900),
    )
    order.validate()
    return order.to_mongo().to_dict()


def payment_intent(order_id):
    """A PaymentIntent for one order as the fake Stripe would create it (not stored anywhere)."""
    return objects.payment_intent(
        amount=AMOUNT,
        currency=CURRENCY,
        metadata={"order_id": order_id},
        created=int(time.time()),
        automatic_payment_methods={"enabled": True},
        payment_method_types=["card"],
        fields={},
    )


def insert_in_batches(collection, documents, batch=2000):
    """insert_many in batches (unordered); returns the number inserted."""
    for start in range(0, len(documents), batch):
        collection.insert_many(documents[start : start + batch], ordered=False)
    return len(documents)


def seed_pending_orders(db, count):
    """Insert ``count`` pending orders with their PaymentIntents; returns the PI dicts."""
    intents, docs = [], []
    for _ in range(count):
        order_id = "ord_" + uuid.uuid4().hex
        pi = payment_intent(order_id)
        intents.append(pi)
        docs.append(order_document(order_id, pi["id"]))
    insert_in_batches(db.orders, docs)
    return intents


def pi_event(pi, type_, status, created):
    """A ``payment_intent.*`` event carrying a snapshot of ``pi`` in ``status``."""
    snapshot = copy.deepcopy(pi)
    snapshot["status"] = status
    if status == "succeeded":
        snapshot.update(amount_received=pi["amount"], latest_charge=objects.new_id("ch"))
    return objects.event(type_, snapshot, created=created)


def signed_request(event, secret, timestamp):
    """A load-generator request spec for one webhook delivery, signed at ``timestamp``."""
    body = encode_event(event)
    headers = {**WEBHOOK_HEADERS, "Stripe-Signature": sign_payload(body, secret, timestamp=timestamp)}
    return {"m": "POST", "p": "/webhooks/stripe", "h": headers, "b": body.decode("utf-8")}


def webhook_stream(intents, secret, seed=1):
    """Pre-signed deliveries: per 8 new ``payment_intent.succeeded`` events (80 %), one exact
    duplicate (10 %) and one out-of-order ``processing`` event, older than the success
    already delivered (10 %), both for orders delivered ~LAG requests earlier.

    Returns a list of (kind, request spec); kind is new | duplicate | late.
    """
    rng, now = random.Random(seed), int(time.time())
    stream, delivered = [], []
    for number, pi in enumerate(intents):
        spec = signed_request(pi_event(pi, "payment_intent.succeeded", "succeeded", now), secret, now)
        stream.append(("new", spec))
        delivered.append((pi, spec))
        if number % 8 == 7 and len(delivered) > 2 * LAG:
            stream.append(("duplicate", delivered[-LAG - rng.randrange(LAG)][1]))
            old_pi = delivered[-LAG - rng.randrange(LAG)][0]
            late = pi_event(old_pi, "payment_intent.processing", "processing", now - 5)
            stream.append(("late", signed_request(late, secret, now)))
    return stream


def checkout_requests(count):
    """``count`` identical one-tee checkout requests (no Idempotency-Key: each is a new order)."""
    body = json.dumps({"items": [{"sku": "tee", "quantity": 1}], "email": "bench@example.com"})
    return [{"m": "POST", "p": "/checkout", "h": {"Content-Type": "application/json"}, "b": body}] * count


def write_requests(path, specs):
    """Write request specs as JSON lines for the load generator; returns ``path``."""
    with open(path, "w", encoding="utf-8") as handle:
        for spec in specs:
            handle.write(json.dumps(spec) + "\n")
    return path
