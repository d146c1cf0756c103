"""Test helpers: checkout calls, signed webhook deliveries, database assertions."""

import json
import time

from service.devtools.fake_stripe import sign_payload

API_KEY = "sk_test_fakeKey123"
WEBHOOK_SECRET = "whsec_testCurrentSecret"
OLD_WEBHOOK_SECRET = "whsec_testOldSecret"
CATALOG = [
    {"sku": "tee", "name": "T-shirt", "unit_amount": 2000, "currency": "usd"},
    {"sku": "mug", "name": "Mug", "unit_amount": 1250, "currency": "usd"},
    {"sku": "print", "name": "Art print", "unit_amount": 3000, "currency": "eur"},
]


def checkout(client, items=None, key=None, **body):
    """POST /checkout; returns the Flask test response."""
    payload = {"items": items if items is not None else [{"sku": "tee", "quantity": 1}], **body}
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/checkout", json=payload, headers=headers)


def signed(event, secret=WEBHOOK_SECRET, timestamp=None):
    """(body bytes, Stripe-Signature header) for an event dict, signed like Stripe."""
    body = json.dumps(event).encode()
    return body, sign_payload(body, secret, timestamp=timestamp)


def deliver(client, event, secret=WEBHOOK_SECRET, timestamp=None):
    """Deliver one event to the webhook with a fresh signature; returns the response."""
    body, header = signed(event, secret, timestamp)
    return client.post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": header, "Content-Type": "application/json"}
    )


def new_order(client, quantity=1):
    """Check out ``quantity`` tees; returns (order_id, payment_intent_id)."""
    body = checkout(client, [{"sku": "tee", "quantity": quantity}]).get_json()
    return body["order_id"], body["payment_intent_id"]


def transitions(raw_db, order_id):
    """The (from, to, source) steps of an order's history."""
    order = raw_db.orders.find_one({"_id": order_id})
    return [(step["from"], step["to"], step["source"]) for step in order.get("history", [])]


def wait_for(predicate, timeout=10.0, interval=0.05):
    """Poll until predicate() is truthy; returns its value or raises AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout:.1f}s")
