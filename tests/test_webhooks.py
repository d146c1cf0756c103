"""POST /webhooks/stripe: verification, the inbox, and the reply contract in docs/ARCHITECTURE.md."""

import hashlib
import hmac
import threading
import time

import pytest

from tests.support.helpers import OLD_WEBHOOK_SECRET, WEBHOOK_SECRET, checkout, deliver, new_order, signed, transitions


def order_status(raw_db, order_id):
    return raw_db.orders.find_one({"_id": order_id})["status"]


@pytest.mark.parametrize(
    "action,expected",
    [
        ("succeed", "paid"),
        ("fail", "payment_failed"),
        ("process", "processing"),
        ("cancel", "canceled"),
    ],
)
def test_payment_event_moves_order(client, fake_stripe, raw_db, action, expected):
    """succeeded/payment_failed/processing/canceled each move a pending order as designed."""
    order_id, pi_id = new_order(client)
    event = getattr(fake_stripe, action)(pi_id)
    response = deliver(client, event)
    assert response.status_code == 200 and response.get_json()["state"] == "applied"
    assert order_status(raw_db, order_id) == expected
    row = raw_db.stripe_events.find_one({"_id": event["id"]})
    assert row["state"] == "applied" and row["order_id"] == order_id and row["payload"]


def test_failed_payment_can_still_be_paid(client, fake_stripe, raw_db):
    """payment_failed is not final: the decline is shown, then a success on the same PI pays."""
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.fail(pi_id))
    assert client.get(f"/orders/{order_id}").get_json()["last_payment_error"] == "Your card was declined."
    deliver(client, fake_stripe.succeed(pi_id))
    assert order_status(raw_db, order_id) == "paid"
    assert [step[1] for step in transitions(raw_db, order_id)] == ["payment_failed", "paid"]


def test_duplicate_delivery_has_no_second_effect(client, fake_stripe, raw_db):
    """The same event twice: both 200, the second marked duplicate, one transition recorded."""
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    first, second = deliver(client, event), deliver(client, event)
    assert first.status_code == second.status_code == 200
    assert second.get_json()["duplicate"] is True
    assert transitions(raw_db, order_id) == [("pending", "paid", event["id"])]
    assert raw_db.stripe_events.count_documents({"_id": event["id"]}) == 1


def test_concurrent_duplicates_apply_once(app, fake_stripe, raw_db):
    """Two threads delivering the same event at once: one transition, one inbox row."""
    order_id, pi_id = new_order(app.test_client())
    event = fake_stripe.succeed(pi_id)
    barrier, statuses = threading.Barrier(4), []

    def send():
        client = app.test_client()
        barrier.wait()
        statuses.append(deliver(client, event).status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert statuses == [200, 200, 200, 200]
    assert transitions(raw_db, order_id) == [("pending", "paid", event["id"])]


def test_late_events_never_regress_a_paid_order(client, fake_stripe, raw_db):
    """processing/payment_failed/canceled after paid are ignored; paid stays paid."""
    order_id, pi_id = new_order(client)
    processing = fake_stripe.process(pi_id)
    paid = fake_stripe.succeed(pi_id)
    deliver(client, paid)
    assert deliver(client, processing).status_code == 200
    late_cancel = dict(paid, id="evt_late_cancel", type="payment_intent.canceled")
    assert deliver(client, late_cancel).status_code == 200
    assert order_status(raw_db, order_id) == "paid"
    assert [step[1] for step in transitions(raw_db, order_id)] == ["paid"]


def test_success_after_cancel_needs_review(client, fake_stripe, raw_db):
    """Money taken on a canceled order is flagged for a human, not silently dropped."""
    order_id, pi_id = new_order(client)
    canceled = fake_stripe.cancel(pi_id)
    deliver(client, canceled)
    succeeded = dict(
        canceled,
        id="evt_money_after_cancel",
        type="payment_intent.succeeded",
        data={"object": dict(canceled["data"]["object"], status="succeeded", amount_received=2000)},
    )
    deliver(client, succeeded)
    order = raw_db.orders.find_one({"_id": order_id})
    assert order["status"] == "needs_review" and "canceled" in order["review_reason"]


def test_amount_mismatch_goes_to_needs_review(client, fake_stripe, raw_db):
    """A success for less than the order total is not 'paid'."""
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id, amount_received=1999))
    order = raw_db.orders.find_one({"_id": order_id})
    assert order["status"] == "needs_review" and "amount_received 1999" in order["review_reason"]


@pytest.mark.parametrize("tamper", ["wrong_secret", "other_payload", "no_header", "garbage_header"])
def test_bad_signature_is_400_and_stores_nothing(client, fake_stripe, raw_db, tamper):
    """Unsigned, mis-signed or re-used signatures are refused before anything is stored."""
    _, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    body, header = signed(event, secret="whsec_attacker" if tamper == "wrong_secret" else WEBHOOK_SECRET)
    if tamper == "other_payload":
        body = body.replace(b'"amount_received": 2000', b'"amount_received": 1')
    headers = {"Content-Type": "application/json"}
    if tamper != "no_header":
        headers["Stripe-Signature"] = "t=1,v1=zz" if tamper == "garbage_header" else header
    response = client.post("/webhooks/stripe", data=body, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] in ("invalid_signature", "missing_signature", "stale_signature")
    assert raw_db.stripe_events.count_documents({}) == 0


def test_stale_timestamp_is_rejected(client, fake_stripe, raw_db):
    """A correctly signed delivery older than the 300 s tolerance is a replay: 400."""
    _, pi_id = new_order(client)
    response = deliver(client, fake_stripe.succeed(pi_id), timestamp=int(time.time()) - 301)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "stale_signature"
    assert raw_db.stripe_events.count_documents({}) == 0


def test_rotated_secrets_are_both_accepted(client, fake_stripe, raw_db):
    """During a secret roll, a delivery signed with the old secret alone is still accepted."""
    order_id, pi_id = new_order(client)
    assert deliver(client, fake_stripe.process(pi_id), secret=OLD_WEBHOOK_SECRET).status_code == 200
    assert deliver(client, fake_stripe.succeed(pi_id), secret=WEBHOOK_SECRET).status_code == 200
    assert order_status(raw_db, order_id) == "paid"


def test_malformed_json_with_valid_signature_is_400(client, raw_db):
    """A signed body that is not JSON, or not an event, is refused and nothing is stored."""
    for body in (b"{not json", b'{"id": "evt_1"}', b"[]", b"\xff\xfe"):
        now = int(time.time())
        digest = hmac.new(WEBHOOK_SECRET.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()
        response = client.post(
            "/webhooks/stripe",
            data=body,
            headers={"Stripe-Signature": f"t={now},v1={digest}", "Content-Type": "application/json"},
        )
        assert response.status_code == 400, body
        assert response.get_json()["error"]["code"] in ("malformed_event", "invalid_signature")
    assert raw_db.stripe_events.count_documents({}) == 0


def test_unknown_event_type_is_stored_and_ignored(client, fake_stripe, raw_db):
    """An event type we do not handle answers 200 so Stripe stops, and is kept as ignored."""
    event = fake_stripe.make_event("customer.created", {"id": "cus_1", "object": "customer"})
    response = deliver(client, event)
    assert response.status_code == 200 and response.get_json()["state"] == "ignored"
    assert raw_db.stripe_events.find_one({"_id": event["id"]})["state"] == "ignored"


def test_event_for_unknown_order_is_ignored(client, fake_stripe, raw_db):
    """A PaymentIntent that is not ours (no matching order) is acknowledged and ignored."""
    event = fake_stripe.make_event(
        "payment_intent.succeeded",
        {
            "id": "pi_foreign",
            "object": "payment_intent",
            "amount": 5,
            "amount_received": 5,
            "currency": "usd",
            "status": "succeeded",
            "metadata": {},
        },
    )
    response = deliver(client, event)
    assert response.status_code == 200 and response.get_json()["state"] == "ignored"
    assert raw_db.orders.count_documents({}) == 0


def test_order_found_by_payment_intent_when_metadata_missing(client, fake_stripe, raw_db):
    """Without metadata.order_id the order is found through its PaymentIntent id."""
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    event["data"]["object"]["metadata"] = {}
    deliver(client, event)
    assert order_status(raw_db, order_id) == "paid"


def test_stored_but_unapplied_event_is_applied_on_redelivery(client, fake_stripe, raw_db):
    """A row left 'received' (crash between inbox insert and order update) is applied by the
    next delivery of that event."""
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    deliver(client, event)
    raw_db.stripe_events.update_one({"_id": event["id"]}, {"$set": {"state": "received"}})
    raw_db.orders.update_one({"_id": order_id}, {"$set": {"status": "pending", "history": []}})
    response = deliver(client, event)
    assert response.status_code == 200 and response.get_json()["duplicate"] is False
    assert order_status(raw_db, order_id) == "paid"


def test_checkout_page_flow_reads_order_over_http(client, fake_stripe):
    """The frontend's poll sees pending, then paid once the webhook has arrived."""
    body = checkout(client).get_json()
    assert client.get(f"/orders/{body['order_id']}").get_json()["status"] == "pending"
    deliver(client, fake_stripe.succeed(body["payment_intent_id"]))
    assert client.get(f"/orders/{body['order_id']}").get_json()["status"] == "paid"


def test_transition_never_overwrites_a_payment_intent_attached_meanwhile(client, services, raw_db):
    """A transition computed on an order read without a PI id does not land if another PI was
    attached in the meantime (the caller re-reads and decides again)."""
    from service.domain.orders import Decision, PaymentFact

    order_id, _ = new_order(client)
    raw_db.orders.update_one({"_id": order_id}, {"$unset": {"payment_intent_id": ""}})
    stale_read = raw_db.orders.find_one({"_id": order_id})
    services.store.orders.attach_payment_intent(order_id, "pi_attached_meanwhile")
    fact = PaymentFact("evt_x", "succeeded", "pi_other", 2000, "usd", order_id, 1)
    assert services.store.orders.apply_transition(stale_read, Decision("paid", "test"), fact) is False
    order = raw_db.orders.find_one({"_id": order_id})
    assert order["payment_intent_id"] == "pi_attached_meanwhile" and order["status"] == "pending"
