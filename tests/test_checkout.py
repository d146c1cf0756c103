"""POST /checkout and GET /orders: pricing from the catalog, validation, idempotency."""

import pytest

from tests.support.helpers import checkout


def test_checkout_creates_pending_order_priced_from_catalog(client, fake_stripe, raw_db):
    """A valid cart makes a pending order priced from the DB and a PI for exactly that amount."""
    response = checkout(client, [{"sku": "tee", "quantity": 2}, {"sku": "mug", "quantity": 1}], email="ada@example.com")
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending" and body["amount"] == 2 * 2000 + 1250 and body["currency"] == "usd"
    pi = fake_stripe.payment_intents[body["payment_intent_id"]]
    assert pi["amount"] == 5250 and pi["currency"] == "usd"
    assert pi["metadata"] == {"order_id": body["order_id"]}
    assert body["client_secret"] == pi["client_secret"]
    stored = raw_db.orders.find_one({"_id": body["order_id"]})
    assert stored["status"] == "pending" and stored["payment_intent_id"] == pi["id"]
    assert [(i["sku"], i["quantity"], i["unit_amount"]) for i in stored["items"]] == [
        ("mug", 1, 1250),
        ("tee", 2, 2000),
    ]


def test_client_supplied_price_fields_are_rejected(client, raw_db):
    """The client cannot send a price: unknown fields are a 422 and nothing is stored."""
    response = client.post("/checkout", json={"items": [{"sku": "tee", "quantity": 1, "unit_amount": 1}]})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_item"
    response = checkout(client, amount=1)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "unknown_field"
    assert raw_db.orders.count_documents({}) == 0


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({"items": []}, 422, "empty_cart"),
        ({}, 422, "empty_cart"),
        ({"items": "tee"}, 422, "empty_cart"),
        ({"items": [{"sku": "nope", "quantity": 1}]}, 422, "unknown_sku"),
        ({"items": [{"sku": "tee", "quantity": 0}]}, 422, "invalid_quantity"),
        ({"items": [{"sku": "tee", "quantity": -3}]}, 422, "invalid_quantity"),
        ({"items": [{"sku": "tee", "quantity": 1.5}]}, 422, "invalid_quantity"),
        ({"items": [{"sku": "tee", "quantity": "2"}]}, 422, "invalid_quantity"),
        ({"items": [{"sku": "tee", "quantity": True}]}, 422, "invalid_quantity"),
        ({"items": [{"sku": "tee", "quantity": 10**30}]}, 422, "invalid_quantity"),
        ({"items": [{"sku": "tee", "quantity": 600}, {"sku": "tee", "quantity": 600}]}, 422, "invalid_quantity"),
        ({"items": [{"sku": "tee"}]}, 422, "invalid_item"),
        ({"items": [["tee", 1]]}, 422, "invalid_item"),
        ({"items": [{"sku": "", "quantity": 1}]}, 422, "invalid_sku"),
        ({"items": [{"sku": {"$gt": ""}, "quantity": 1}]}, 422, "invalid_sku"),
        ({"items": [{"sku": "tee", "quantity": 1}, {"sku": "print", "quantity": 1}]}, 422, "mixed_currency"),
        ({"items": [{"sku": "tee", "quantity": 1}], "email": "not-an-email"}, 422, "invalid_email"),
        ({"items": [{"sku": "tee", "quantity": 1}] * 51}, 422, "too_many_items"),
        ([1, 2], 422, "invalid_body"),
    ],
)
def test_bad_checkout_input_is_a_clear_4xx_and_stores_nothing(client, raw_db, fake_stripe, body, status, code):
    """Every malformed or unacceptable cart gets a JSON error naming the problem; nothing is saved."""
    response = client.post("/checkout", json=body)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert raw_db.orders.count_documents({}) == 0
    assert fake_stripe.count("POST", "/v1/payment_intents") == 0


def test_non_json_bodies_are_rejected(client, raw_db):
    """A wrong content type is a 415 and invalid JSON a 400, both as JSON errors."""
    response = client.post("/checkout", data="items=tee", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and response.get_json()["error"]["code"] == "unsupported_media_type"
    response = client.post("/checkout", data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"
    assert raw_db.orders.count_documents({}) == 0


def test_order_total_above_stripe_limit_is_rejected(client, services, raw_db):
    """A total above Stripe's eight-digit limit is refused before anything is stored."""
    from service.handlers import import_products

    import_products(services, [{"sku": "car", "name": "Car", "unit_amount": 99_000_000, "currency": "usd"}])
    response = checkout(client, [{"sku": "car", "quantity": 2}])
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "amount_too_large"
    assert raw_db.orders.count_documents({}) == 0


def test_same_idempotency_key_returns_same_order_and_one_payment_intent(client, fake_stripe, raw_db):
    """A repeated Idempotency-Key returns the first order; Stripe sees one PaymentIntent."""
    first = checkout(client, key="cart-123")
    second = checkout(client, key="cart-123")
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.get_json() == second.get_json()
    assert raw_db.orders.count_documents({}) == 1
    assert len(fake_stripe.payment_intents) == 1


def test_idempotency_key_reused_with_different_cart_conflicts(client, raw_db):
    """The same key with a different body is a 409, not a silent different order."""
    assert checkout(client, key="cart-9").status_code == 201
    response = checkout(client, [{"sku": "mug", "quantity": 3}], key="cart-9")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "idempotency_conflict"
    assert raw_db.orders.count_documents({}) == 1


def test_stripe_outage_leaves_pending_order_and_retry_finishes_with_one_pi(client, fake_stripe, raw_db):
    """Stripe 500s: the order stays pending without a PI; the retry with the same key completes
    it and Stripe still holds exactly one PaymentIntent for the order."""
    fake_stripe.inject("POST", "/v1/payment_intents", "error", times=3, status=500)
    failed = checkout(client, key="retry-me")
    assert failed.status_code == 503
    assert failed.get_json()["error"]["code"] == "payment_provider_unavailable"
    order = raw_db.orders.find_one({})
    assert order["status"] == "pending" and order.get("payment_intent_id") is None
    retried = checkout(client, key="retry-me")
    assert retried.status_code == 201 and retried.get_json()["order_id"] == order["_id"]
    assert len(fake_stripe.payment_intents) == 1


def test_lost_stripe_response_is_replayed_not_duplicated(client, fake_stripe, raw_db):
    """Stripe created the PI but the answer was lost: the bounded retry replays the same key."""
    fake_stripe.inject("POST", "/v1/payment_intents", "after", times=1)
    response = checkout(client)
    assert response.status_code == 201
    assert len(fake_stripe.payment_intents) == 1
    assert raw_db.orders.find_one({})["payment_intent_id"] == response.get_json()["payment_intent_id"]


def test_transient_stripe_errors_are_retried_within_budget(client, fake_stripe):
    """One 429 and one connection reset are absorbed by the bounded retry."""
    fake_stripe.inject("POST", "/v1/payment_intents", "error", times=1, status=429)
    fake_stripe.inject("POST", "/v1/payment_intents", "reset", times=1)
    assert checkout(client).status_code == 201
    assert len(fake_stripe.payment_intents) == 1


def test_stripe_saying_do_not_retry_is_not_retried(client, fake_stripe):
    """A 500 with Stripe-Should-Retry: false is answered at once (no second attempt)."""
    fake_stripe.inject("POST", "/v1/payment_intents", "error", times=1, status=500, should_retry=False)
    assert checkout(client).status_code == 502
    assert fake_stripe.count("POST", "/v1/payment_intents") == 1


def test_get_order_returns_public_fields_only(client):
    """GET /orders/<id> shows status and amounts, never the client_secret; unknown is 404."""
    order_id = checkout(client).get_json()["order_id"]
    body = client.get(f"/orders/{order_id}").get_json()
    assert body["order_id"] == order_id and body["status"] == "pending" and "client_secret" not in body
    missing = client.get("/orders/ord_" + "0" * 32)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "order_not_found"
    assert client.get("/orders/$where").status_code == 404


def test_client_secret_and_keys_never_reach_the_logs(client, log_lines):
    """Checkout logs the request and the Stripe call, with no client_secret or API key."""
    body = checkout(client).get_json()
    text = "\n".join(map(str, log_lines()))
    assert body["client_secret"] not in text and "sk_test_" not in text
    stripe_calls = [line for line in log_lines() if line["msg"] == "stripe call"]
    assert stripe_calls and stripe_calls[0]["idempotency_key"].startswith("order-")
    assert stripe_calls[0]["request_id"].startswith("req_")
    requests = [line for line in log_lines() if line["msg"] == "request"]
    assert requests[-1]["status"] == 201 and requests[-1]["order_id"] == body["order_id"]


def test_concurrent_checkouts_with_one_key_make_one_order(app, fake_stripe, raw_db):
    """Four simultaneous requests with the same Idempotency-Key: one order, one PaymentIntent,
    and every caller gets that order."""
    import threading

    barrier, answers = threading.Barrier(4), []

    def send():
        client = app.test_client()
        barrier.wait()
        answers.append(checkout(client, key="double-click"))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert [answer.status_code for answer in answers] == [201] * 4
    assert len({answer.get_json()["order_id"] for answer in answers}) == 1
    assert raw_db.orders.count_documents({}) == 1 and fake_stripe.payment_intents_created == 1


def test_retry_after_the_key_window_finds_the_pi_instead_of_creating_one(client, fake_stripe, raw_db):
    """A same-key retry more than 23 h after checkout (Stripe has forgotten the key) finds the
    order's PaymentIntent by metadata search and never creates a second one."""
    from datetime import timedelta

    from service.clock import utcnow

    first = checkout(client, key="old-cart").get_json()
    raw_db.orders.update_one(
        {"_id": first["order_id"]},
        {"$set": {"created_at": utcnow() - timedelta(days=2)}, "$unset": {"payment_intent_id": ""}},
    )
    retried = checkout(client, key="old-cart")
    assert retried.status_code == 201 and retried.get_json()["payment_intent_id"] == first["payment_intent_id"]
    assert fake_stripe.payment_intents_created == 1
    assert fake_stripe.count("GET", "/v1/payment_intents/search") == 1
