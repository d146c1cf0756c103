"""The simulator's browser surface: the Stripe.js stand-in, CORS, and publishable-key access
limited to the PaymentIntent whose client_secret is presented (as api.stripe.com does)."""

import pytest
import requests
import stripe

from service.devtools.fake_stripe import FakeStripe

SECRET, PUBLISHABLE = "sk_test_browser", "pk_test_browser"


@pytest.fixture
def simulator():
    fake = FakeStripe(api_key=SECRET, publishable_key=PUBLISHABLE).start()
    yield fake
    fake.stop()


@pytest.fixture
def intent(simulator):
    client = stripe.StripeClient(SECRET, base_addresses={"api": simulator.url})
    return client.v1.payment_intents.create(params={"amount": 1500, "currency": "usd"})


def browser_post(simulator, path, **params):
    """POST as Stripe.js does: a form body carrying the publishable key, from another origin."""
    return requests.post(
        simulator.url + path,
        data={"key": PUBLISHABLE, **params},
        headers={"Origin": "http://127.0.0.1:8000"},
        timeout=5,
    )


def test_the_stand_in_script_is_served_where_stripe_js_lives(simulator):
    """GET /v3/ and /v3/stripe.js return JavaScript defining window.Stripe."""
    for path in ("/v3/", "/v3/stripe.js"):
        response = requests.get(simulator.url + path, timeout=5)
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/javascript")
        assert "window.Stripe = function" in response.text and "confirmPayment" in response.text


def test_publishable_key_and_client_secret_confirm_a_payment_across_origins(simulator, intent):
    """Confirm with the client_secret succeeds, emits payment_intent.succeeded, and is readable
    cross-origin."""
    response = browser_post(
        simulator,
        f"/v1/payment_intents/{intent.id}/confirm",
        payment_method="pm_card_visa",
        client_secret=intent.client_secret,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "succeeded"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert simulator.events[-1]["type"] == "payment_intent.succeeded"


def test_a_declined_card_answers_402_with_stripes_message(simulator, intent):
    """The browser gets Stripe's card_error and the PI is open for another card."""
    response = browser_post(
        simulator,
        f"/v1/payment_intents/{intent.id}/confirm",
        payment_method="pm_card_chargeDeclined",
        client_secret=intent.client_secret,
    )
    assert response.status_code == 402
    assert response.json()["error"]["message"] == "Your card was declined."
    assert simulator.payment_intents[intent.id]["status"] == "requires_payment_method"


def test_a_wrong_client_secret_is_refused_and_nothing_changes(simulator, intent):
    """Another PaymentIntent's secret (or none) cannot confirm this one."""
    wrong = browser_post(
        simulator,
        f"/v1/payment_intents/{intent.id}/confirm",
        payment_method="pm_card_visa",
        client_secret=intent.id + "_secret_guess",
    )
    missing = browser_post(simulator, f"/v1/payment_intents/{intent.id}/confirm", payment_method="pm_card_visa")
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "client_secret"
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "parameter_missing"
    assert simulator.payment_intents[intent.id]["status"] == "requires_payment_method"


def test_a_publishable_key_cannot_call_secret_key_endpoints(simulator, intent):
    """Creating, listing or canceling with a publishable key is 401."""
    create = browser_post(simulator, "/v1/payment_intents", amount="100", currency="usd")
    cancel = browser_post(simulator, f"/v1/payment_intents/{intent.id}/cancel", client_secret=intent.client_secret)
    listing = requests.get(simulator.url + "/v1/events", auth=(PUBLISHABLE, ""), timeout=5)
    assert [create.status_code, cancel.status_code, listing.status_code] == [401, 401, 401]
    assert simulator.payment_intents_created == 1


def test_the_cors_preflight_is_answered(simulator):
    """OPTIONS gets 204 with the methods and headers a browser may send."""
    response = requests.options(
        simulator.url + "/v1/payment_intents/pi_x/confirm",
        timeout=5,
        headers={"Origin": "http://localhost:8000", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_3d_secure_completed_pays_and_failed_declines_with_stripes_message(simulator, intent):
    """requires_action, then the test helper: fail -> 402 authentication failure (PI open
    again); complete -> succeeded."""
    confirm = f"/v1/payment_intents/{intent.id}/confirm"
    authenticate = f"/v1/test_helpers/payment_intents/{intent.id}/authenticate"
    secret = intent.client_secret
    assert (
        browser_post(simulator, confirm, payment_method="pm_card_authenticationRequired", client_secret=secret).json()[
            "status"
        ]
        == "requires_action"
    )
    failed = browser_post(simulator, authenticate, outcome="fail", client_secret=secret)
    assert failed.status_code == 402
    assert failed.json()["error"]["code"] == "payment_intent_authentication_failure"
    browser_post(simulator, confirm, payment_method="pm_card_authenticationRequired", client_secret=secret)
    done = browser_post(simulator, authenticate, outcome="complete", client_secret=secret)
    assert done.status_code == 200 and done.json()["status"] == "succeeded"
    assert [e["type"] for e in simulator.events if e["type"].startswith("payment_intent.")][-2:] == [
        "payment_intent.requires_action",
        "payment_intent.succeeded",
    ]


def test_authenticating_a_payment_that_needs_no_authentication_is_refused(simulator, intent):
    """The test helper only acts on a PaymentIntent in requires_action."""
    response = browser_post(
        simulator,
        f"/v1/test_helpers/payment_intents/{intent.id}/authenticate",
        outcome="complete",
        client_secret=intent.client_secret,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "payment_intent_unexpected_state"
