"""The journal of outbound Stripe calls: a record before every call, its outcome after, nothing
secret in it, and calls whose outcome we do not know resolved by the reconciler."""

from datetime import timedelta

from service import handlers
from service.clock import utcnow
from tests.support.helpers import checkout, new_order


def calls(raw_db, **query):
    return list(raw_db.stripe_calls.find(query).sort("started_at", 1))


def test_checkout_journals_the_payment_intent_creation_with_what_was_sent_and_received(client, raw_db):
    """One record: sent parameters, the fixed idempotency key, the money fields of the answer."""
    order_id, pi_id = new_order(client)
    [record] = calls(raw_db, order_id=order_id)
    assert (record["method"], record["path"], record["state"]) == ("POST", "/v1/payment_intents", "ok")
    assert record["idempotency_key"] == f"order-{order_id}-payment-intent" and record["money"] is True
    assert record["params"]["amount"] == 2000 and record["params"]["metadata"] == {"order_id": order_id}
    assert record["response"] == {
        "id": pi_id,
        "object": "payment_intent",
        "status": "requires_payment_method",
        "amount": 2000,
        "amount_received": 0,
        "currency": "usd",
    }
    assert record["http_status"] == 200 and record["request_id"].startswith("req_") and record["attempts"] == 1
    assert record["started_at"] < record["expected_end"] and record["completed_at"] >= record["started_at"]


def test_a_refused_call_is_journaled_with_stripes_error(client, raw_db, fake_stripe):
    """A 4xx from Stripe completes the record as failed, with the error's type and code."""
    fake_stripe.inject("POST", "/v1/payment_intents", kind="error", status=400)
    assert checkout(client).status_code == 502
    [record] = calls(raw_db, path="/v1/payment_intents")
    assert record["state"] == "failed" and record["http_status"] == 400 and record["attempts"] == 1
    assert record["error"]["type"] == "invalid_request_error" and record["error"]["message"] == "Injected error"


def test_no_journal_record_holds_a_client_secret_or_a_key(client, raw_db):
    """The PaymentIntent's client_secret and the API key never reach the journal."""
    new_order(client)
    checkout(client, key="retry-key")
    checkout(client, key="retry-key")
    text = repr(calls(raw_db))
    assert "_secret_" not in text and "sk_test_" not in text and "client_secret" not in text
    assert len(calls(raw_db)) >= 3


def test_a_call_whose_outcome_is_unknown_is_resolved_by_asking_stripe(client, services, raw_db):
    """A record left 'sent' past its expected end (the process died mid-call) is resolved by the
    reconciler from what Stripe holds; reads resolve as having changed nothing."""
    order_id, pi_id = new_order(client)
    past = utcnow() - timedelta(hours=1)
    raw_db.stripe_calls.update_many(
        {"order_id": order_id}, {"$set": {"state": "sent", "expected_end": past}, "$unset": {"completed_at": ""}}
    )
    raw_db.stripe_calls.insert_one(
        {
            "_id": "call_read",
            "method": "GET",
            "path": f"/v1/payment_intents/{pi_id}",
            "money": False,
            "state": "sent",
            "started_at": past,
            "expected_end": past,
        }
    )
    summary = handlers.reconcile(services)
    assert summary.calls_resolved == 2 and summary.ok
    create = raw_db.stripe_calls.find_one({"order_id": order_id, "path": "/v1/payment_intents"})
    assert create["state"] == "resolved" and create["resolution"]["found"][0]["id"] == pi_id
    assert raw_db.stripe_calls.find_one({"_id": "call_read"})["resolution"]["outcome"].startswith("a read")
    assert handlers.reconcile(services).calls_resolved == 0
