"""The fake Stripe API, exercised through the real stripe-python client, and its webhook
signing and redelivery. If these pass, the service's tests talk to a faithful Stripe."""

import json
import threading
import time

import pytest
import requests
import stripe

from service.devtools.fake_stripe import Deliverer, FakeStripe, FakeStripeError, sign_payload
from service.devtools.fake_stripe.forms import parse_form
from tests.support.fake_clock import FAKE_API_KEY
from tests.support.webhook_endpoint import Endpoint

API_KEY = FAKE_API_KEY
SECRET = "whsec_test_current"
OLD_SECRET = "whsec_test_old"


def make_client(fake, timeout=2.0, api_key=API_KEY):
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": fake.url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


@pytest.fixture
def client(fake):
    return make_client(fake)


def create_pi(client, order_id="o1", key=None, amount=1500, **extra):
    params = {
        "amount": amount,
        "currency": "usd",
        "metadata": {"order_id": order_id},
        "automatic_payment_methods": {"enabled": True},
        **extra,
    }
    return client.v1.payment_intents.create(params=params, options={"idempotency_key": key or f"order-{order_id}-pi"})


def wait_until(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# --- PaymentIntents and idempotency -----------------------------------------------------


def test_create_returns_a_new_payment_intent_that_retrieve_finds(fake, client):
    """A created PI has Stripe's shape and status; retrieve returns the same object."""
    pi = create_pi(client)
    assert pi.id.startswith("pi_") and pi.object == "payment_intent"
    assert (pi.amount, pi.currency, pi.status) == (1500, "usd", "requires_payment_method")
    assert pi.client_secret.startswith(pi.id + "_secret_")
    assert pi.metadata["order_id"] == "o1" and pi.amount_received == 0 and not pi.livemode
    assert pi.automatic_payment_methods.enabled is True
    assert pi.last_response.headers["Request-Id"].startswith("req_")
    again = client.v1.payment_intents.retrieve(pi.id)
    assert again.to_dict() == pi.to_dict()
    assert [e["type"] for e in fake.events] == ["payment_intent.created"]


def test_same_idempotency_key_replays_the_stored_response(fake, client):
    """Same key and params: the original bytes come back, marked replayed, one PI exists."""
    first, second = create_pi(client), create_pi(client)
    assert second.id == first.id
    assert second.last_response.body == first.last_response.body
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert fake.payment_intents_created == 1
    assert fake.count("POST", "/v1/payment_intents") == 2
    assert [r.replayed for r in fake.requests] == [False, True]


def test_same_idempotency_key_with_other_params_is_an_idempotency_error(fake, client):
    """Reusing a key for a different request raises stripe.IdempotencyError."""
    create_pi(client, key="k1")
    with pytest.raises(stripe.IdempotencyError):
        create_pi(client, key="k1", amount=999)
    assert fake.payment_intents_created == 1


def test_idempotency_keys_expire_after_24_hours(fake, client, clock):
    """Stripe prunes keys after 24 h: a reused key then executes again and creates a second PI."""
    first = create_pi(client)
    clock.now += 24 * 3600 + 1
    assert create_pi(client).id != first.id and fake.payment_intents_created == 2


def test_concurrent_requests_with_one_key_create_one_payment_intent(fake, client):
    """While a keyed request runs, another with the key gets 409; only one PI is made."""
    fake.inject("POST", "/v1/payment_intents", "delay", delay=0.3)
    results = []
    slow = threading.Thread(target=lambda: results.append(create_pi(client, key="same")))
    slow.start()
    wait_until(lambda: fake.count("POST", "/v1/payment_intents") == 1)
    with pytest.raises(stripe.APIError) as conflict:
        create_pi(client, key="same")
    slow.join()
    assert conflict.value.http_status == 409
    assert conflict.value.json_body["error"]["code"] == "idempotency_key_in_use"
    assert create_pi(client, key="same").id == results[0].id
    assert fake.payment_intents_created == 1


@pytest.mark.parametrize(
    "params, param",
    [
        ({"amount": 0}, "amount"),
        ({"amount": "12.5"}, "amount"),
        ({"currency": "dollars"}, "currency"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_create_rejects_invalid_params_without_saving_the_key(fake, client, params, param):
    """Bad amount/currency/unknown params are 400s naming the param; the key stays usable."""
    with pytest.raises(stripe.InvalidRequestError) as error:
        create_pi(client, key="k", **params)
    assert error.value.http_status == 400 and error.value.param == param
    assert create_pi(client, key="k").status == "requires_payment_method"


def test_wrong_api_key_is_an_authentication_error(fake):
    """A key other than the fake's gets 401 -> stripe.AuthenticationError."""
    with pytest.raises(stripe.AuthenticationError) as error:
        create_pi(make_client(fake, api_key="sk_test_wrong"))
    assert error.value.http_status == 401 and fake.payment_intents_created == 0


def test_unknown_payment_intent_is_resource_missing(client):
    """Retrieving an unknown id is a 404 InvalidRequestError with code resource_missing."""
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.payment_intents.retrieve("pi_nope")
    assert (error.value.http_status, error.value.code) == (404, "resource_missing")


def test_cancel_sets_reason_and_refuses_a_terminal_payment_intent(fake, client):
    """API cancel records the reason and event; canceling again is payment_intent_unexpected_state."""
    pi = create_pi(client)
    canceled = client.v1.payment_intents.cancel(
        pi.id, params={"cancellation_reason": "abandoned"}, options={"idempotency_key": "c1"}
    )
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    event = fake.events[-1]
    assert event["type"] == "payment_intent.canceled"
    assert event["request"]["idempotency_key"] == "c1"
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.payment_intents.cancel(pi.id)
    assert error.value.code == "payment_intent_unexpected_state"


# --- faults -------------------------------------------------------------------------------


def test_error_fault_5xx_is_an_api_error_carrying_should_retry(fake, client):
    """An injected 500 raises stripe.APIError with the Stripe-Should-Retry header; nothing runs."""
    fake.inject("POST", "/v1/payment_intents", "error", status=500, should_retry=False)
    with pytest.raises(stripe.APIError) as error:
        create_pi(client)
    assert error.value.http_status == 500
    assert error.value.headers["Stripe-Should-Retry"] == "false"
    assert fake.payment_intents_created == 0 and fake.count("POST", "/v1/payment_intents") == 1
    assert create_pi(client).status == "requires_payment_method"  # the key was not saved


def test_error_fault_429_is_a_rate_limit_error(fake, client):
    """An injected 429 raises stripe.RateLimitError."""
    fake.inject("GET", "/v1/payment_intents", "error", status=429)
    with pytest.raises(stripe.RateLimitError):
        client.v1.payment_intents.list()


def test_reset_fault_is_a_connection_error_and_creates_nothing(fake, client):
    """A dropped connection raises stripe.APIConnectionError; no PI was created."""
    fake.inject("POST", "/v1/payment_intents", "reset")
    with pytest.raises(stripe.APIConnectionError):
        create_pi(client)
    assert fake.payment_intents_created == 0
    assert fake.requests[-1].fault == "reset" and fake.requests[-1].status is None


def test_delay_beyond_client_timeout_is_a_connection_error_but_stripe_did_the_work(fake):
    """A slow answer times the client out (APIConnectionError); the PI exists, and a retry
    with the same key replays it."""
    fake.inject("POST", "/v1/payment_intents", "delay", delay=0.5)
    impatient = make_client(fake, timeout=0.2)
    with pytest.raises(stripe.APIConnectionError):
        create_pi(impatient)
    wait_until(lambda: fake.requests[-1].status == 200)
    retry = create_pi(impatient)
    assert retry.last_response.headers["Idempotent-Replayed"] == "true"
    assert list(fake.payment_intents) == [retry.id]


def test_after_fault_stores_the_result_so_a_keyed_retry_gets_it_back(fake, client):
    """ "after" runs the request but drops the answer; the retry is a replay of that PI."""
    fake.inject("POST", "/v1/payment_intents", "after")
    with pytest.raises(stripe.APIConnectionError):
        create_pi(client)
    assert fake.payment_intents_created == 1
    retry = create_pi(client)
    assert retry.id in fake.payment_intents
    assert retry.last_response.headers["Idempotent-Replayed"] == "true"
    assert fake.payment_intents_created == 1


def test_faults_are_consumed_in_order_and_only_by_matching_requests(fake, client):
    """Faults match method and path prefix, oldest first, each for its `times`."""
    fake.inject("POST", "/v1/refunds", "error", status=500)
    fake.inject("POST", "/v1/payment_intents", "error", status=429, times=2)
    fake.inject("POST", "/v1/payment_intents", "reset")
    client.v1.payment_intents.list()
    for expected in (stripe.RateLimitError, stripe.RateLimitError, stripe.APIConnectionError):
        with pytest.raises(expected):
            create_pi(client)
    assert create_pi(client).status == "requires_payment_method"
    assert [f.path_prefix for f in fake.faults.pending()] == ["/v1/refunds"]


# --- state changes and their events -------------------------------------------------------


def test_fail_then_succeed_on_the_same_payment_intent(fake, client):
    """A decline returns the PI to requires_payment_method; a later success is allowed."""
    pi = create_pi(client)
    failed = fake.fail(pi.id)
    assert failed["type"] == "payment_intent.payment_failed"
    snapshot = failed["data"]["object"]
    assert snapshot["status"] == "requires_payment_method"
    assert snapshot["last_payment_error"]["decline_code"] == "generic_decline"
    succeeded = fake.succeed(pi.id)
    assert succeeded["data"]["object"]["amount_received"] == 1500
    assert succeeded["data"]["object"]["latest_charge"].startswith("ch_")
    assert failed["data"]["object"]["status"] == "requires_payment_method"  # snapshots are frozen
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
    assert [e["type"] for e in fake.events] == [
        "payment_intent.created",
        "charge.failed",
        "payment_intent.payment_failed",
        "charge.succeeded",
        "payment_intent.succeeded",
    ]
    with pytest.raises(FakeStripeError):
        fake.cancel(pi.id)


def test_process_cancel_and_partial_success_produce_their_events(fake, client):
    """process -> processing, cancel -> canceled with reason, succeed may receive less."""
    a, b = create_pi(client, "a"), create_pi(client, "b")
    assert fake.process(a.id)["data"]["object"]["status"] == "processing"
    assert fake.succeed(a.id, amount_received=1000)["data"]["object"]["amount_received"] == 1000
    canceled = fake.cancel(b.id)["data"]["object"]
    assert (canceled["status"], canceled["cancellation_reason"]) == ("canceled", "abandoned")


def test_confirm_with_test_cards_behaves_like_stripe(fake, client):
    """pm_card_visa succeeds, chargeDeclined is a 402 CardError, authenticationRequired waits."""
    paid, declined, challenged = (create_pi(client, n) for n in ("p", "d", "c"))
    assert fake.confirm(paid.id, "pm_card_visa")["status"] == "succeeded"
    with pytest.raises(stripe.CardError) as error:
        client.v1.payment_intents.confirm(declined.id, params={"payment_method": "pm_card_chargeDeclined"})
    assert error.value.code == "card_declined"
    assert error.value.json_body["error"]["payment_intent"]["status"] == "requires_payment_method"
    assert fake.confirm(challenged.id, "pm_card_authenticationRequired")["status"] == "requires_action"
    assert fake.events[-1]["type"] == "payment_intent.requires_action"


def test_refunds_annotate_the_charge_and_refuse_more_than_was_paid(fake, client):
    """A partial refund emits charge.refunded; refunding beyond the rest is a 400."""
    pi = create_pi(client)
    fake.succeed(pi.id)
    refund = client.v1.refunds.create(
        params={"payment_intent": pi.id, "amount": 500}, options={"idempotency_key": "r1"}
    )
    assert (refund.object, refund.amount, refund.status) == ("refund", 500, "succeeded")
    charge = fake.events[-1]["data"]["object"]
    assert fake.events[-1]["type"] == "charge.refunded"
    assert (charge["amount_refunded"], charge["refunded"]) == (500, False)
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1001})
    assert error.value.code == "amount_too_large"
    assert fake.refund(pi.id)["data"]["object"]["refunded"] is True


def test_make_event_records_an_arbitrary_event(fake, client):
    """make_event appends any type with a snapshot of the given object."""
    event = fake.make_event("customer.created", {"id": "cus_1", "object": "customer"})
    assert client.v1.events.retrieve(event["id"]).type == "customer.created"


# --- Events API ---------------------------------------------------------------------------


def test_events_list_filters_by_types_and_created(fake, client, clock):
    """types[], type wildcards and created[gt|lt] select events; results are newest first."""
    pi = create_pi(client)
    clock.now += 10
    fake.fail(pi.id)
    clock.now += 10
    fake.succeed(pi.id)
    listed = client.v1.events.list(
        params={
            "types": ["payment_intent.succeeded", "payment_intent.payment_failed"],
            "created": {"gt": int(clock.now) - 10},
            "limit": 100,
        }
    )
    assert [e.type for e in listed.data] == ["payment_intent.succeeded"]
    older = client.v1.events.list(params={"type": "payment_intent.*", "created": {"lt": int(clock.now)}})
    assert [e.type for e in older.data] == ["payment_intent.payment_failed", "payment_intent.created"]
    assert listed.url == "/v1/events" and listed.has_more is False


def test_events_list_paginates_with_cursors(fake, client):
    """limit/starting_after/ending_before page newest first; auto-paging sees each event once."""
    for index in range(7):
        fake.make_event("test.event", {"id": f"obj_{index}", "object": "thing"})
    ids = [e["id"] for e in reversed(fake.events)]
    first = client.v1.events.list(params={"limit": 3})
    assert [e.id for e in first.data] == ids[:3] and first.has_more
    second = client.v1.events.list(params={"limit": 3, "starting_after": ids[2]})
    assert [e.id for e in second.data] == ids[3:6] and second.has_more
    before = client.v1.events.list(params={"limit": 2, "ending_before": ids[3]})
    assert [e.id for e in before.data] == ids[1:3] and before.has_more
    assert [e.id for e in first.auto_paging_iter()] == ids
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.events.list(params={"limit": 101})


def test_events_delivery_success_filter_follows_mark_delivered(fake, client):
    """delivery_success=false lists pending and failed events; true lists delivered ones."""
    a = fake.make_event("test.a", {"id": "a"})
    b = fake.make_event("test.b", {"id": "b"})
    fake.mark_delivered(a["id"], True)
    fake.mark_delivered(b["id"], False)
    c = fake.make_event("test.c", {"id": "c"})
    undelivered = client.v1.events.list(params={"delivery_success": False})
    assert [e.id for e in undelivered.data] == [c["id"], b["id"]]
    delivered = client.v1.events.list(params={"delivery_success": True})
    assert [(e.id, e.pending_webhooks) for e in delivered.data] == [(a["id"], 0)]


def test_event_has_stripe_shape(fake, client):
    """Events carry id, type, api_version, pending_webhooks, request and a data snapshot."""
    pi = create_pi(client)
    event = client.v1.events.retrieve(fake.events[0]["id"])
    assert event.id.startswith("evt_") and event.object == "event"
    assert event.api_version == stripe.api_version and event.pending_webhooks == 1
    assert event.request.idempotency_key == "order-o1-pi"
    assert event.data.object.id == pi.id


# --- list and search ----------------------------------------------------------------------


def test_search_finds_payment_intents_by_metadata_and_status(fake, client):
    """metadata['order_id']:'X' finds that order's PI; AND status narrows it."""
    mine, other = create_pi(client, "o1"), create_pi(client, "o2")
    fake.succeed(other.id)
    found = client.v1.payment_intents.search(params={"query": "metadata['order_id']:'o1'"})
    assert [pi.id for pi in found.data] == [mine.id]
    assert found.object == "search_result" and found.next_page is None
    paid = client.v1.payment_intents.search(params={"query": "metadata['order_id']:'o2' AND status:'succeeded'"})
    assert [pi.id for pi in paid.data] == [other.id]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.search(params={"query": "email~'x'"})


def test_search_is_eventually_consistent_when_lag_is_set(clock):
    """With search_lag, a fresh PI is retrievable at once but not yet searchable."""
    with FakeStripe(api_key=API_KEY, clock=clock, search_lag=60) as lagging:
        client = make_client(lagging)
        pi = create_pi(client)
        query = {"query": "metadata['order_id']:'o1'"}
        assert client.v1.payment_intents.search(params=query).data == []
        clock.now += 61
        assert [p.id for p in client.v1.payment_intents.search(params=query).data] == [pi.id]


def test_list_payment_intents_pages_newest_first(fake, client, clock):
    """GET /v1/payment_intents honours created filters and cursors."""
    ids = []
    for index in range(4):
        ids.append(create_pi(client, f"o{index}").id)
        clock.now += 1
    page = client.v1.payment_intents.list(params={"limit": 2, "created": {"gte": 1_700_000_001}})
    assert [pi.id for pi in page.data] == [ids[3], ids[2]] and page.has_more
    rest = client.v1.payment_intents.list(
        params={"limit": 2, "starting_after": ids[2], "created": {"gte": 1_700_000_001}}
    )
    assert [pi.id for pi in rest.data] == [ids[1]] and not rest.has_more


def test_form_parsing_accepts_stripe_python_and_curl_array_styles():
    """Indexed and empty-bracket arrays, nested dicts and blank values all decode."""
    parsed = parse_form("types[0]=a&types[1]=b&x[]=1&x[]=2&created[gte]=5&metadata[k]=&q=a+b")
    assert parsed == {"types": ["a", "b"], "x": ["1", "2"], "created": {"gte": "5"}, "metadata": {"k": ""}, "q": "a b"}


# --- webhooks -------------------------------------------------------------------------------


def test_signed_payload_verifies_with_each_live_secret_only():
    """sign_payload output passes construct_event for each secret and fails for others."""
    body = json.dumps({"id": "evt_1", "object": "event", "type": "x", "data": {"object": {}}}).encode()
    header = sign_payload(body, [SECRET, OLD_SECRET])
    assert header.count("v1=") == 2
    for secret in (SECRET, OLD_SECRET):
        assert stripe.Webhook.construct_event(body, header, secret).id == "evt_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, header, "whsec_wrong")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, sign_payload(body, SECRET, timestamp=1), SECRET)


@pytest.fixture
def endpoint():
    made = []
    yield lambda statuses=(): made.append(Endpoint(statuses)) or made[-1]
    for item in made:
        item.close()


def test_deliverer_redelivers_until_the_endpoint_answers_2xx(fake, client, endpoint):
    """Non-2xx answers are retried with a fresh valid signature; success marks delivery."""
    hook = endpoint([500, 503])
    event = fake.succeed(create_pi(client).id)
    deliverer = Deliverer(hook.url, [SECRET], backoff=(0, 0), on_result=fake.mark_delivered)
    assert deliverer.deliver(event, max_attempts=5) == [500, 503, 200]
    for headers, body in hook.received:
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert headers["User-Agent"] == "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
        assert stripe.Webhook.construct_event(body, headers["Stripe-Signature"], SECRET).id == event["id"]
    assert fake.event(event["id"])["pending_webhooks"] == 0


def test_deliverer_gives_up_after_max_attempts_and_counts_no_answer_as_zero(fake, endpoint):
    """A refused connection is status 0; failures leave the event undelivered."""
    event = fake.make_event("test.event", {"id": "x"})
    hook = endpoint([500, 500, 500])
    assert Deliverer(hook.url, SECRET, on_result=fake.mark_delivered).deliver(event, 2) == [500, 500]
    hook.close()
    assert Deliverer(hook.url, SECRET).deliver_once(event) == 0
    assert fake.event(event["id"])["pending_webhooks"] == 1


def test_auto_deliver_posts_every_new_event_signed(clock, endpoint):
    """With auto_deliver on, each event is delivered in the background and marked delivered."""
    hook = endpoint([500])
    with FakeStripe(
        api_key=API_KEY, clock=clock, webhook_url=hook.url, webhook_secrets=[SECRET], auto_deliver=True
    ) as auto:
        create_pi(make_client(auto))
        assert auto.drain_deliveries(5)
        assert auto.events[0]["pending_webhooks"] == 0
        assert len(hook.received) == 2


def test_every_answer_has_a_request_id_even_unknown_routes(fake):
    """Unknown URLs are 404 invalid_request_error with a Request-Id, like Stripe."""
    response = requests.get(fake.url + "/v1/nothing", headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 404 and response.headers["Request-Id"].startswith("req_")
    assert response.json()["error"]["type"] == "invalid_request_error"
