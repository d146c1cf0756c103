"""The fake Stripe's payments that take days (OXXO voucher, SEPA debit), through the real
stripe-python client, checked against stripe-python's own typed classes and params."""

import json

import pytest
import stripe
import stripe.params

from service.devtools.fake_stripe import async_methods
from tests.support.fake_clock import FAKE_API_KEY, T0
from tests.test_fake_stripe_money import check_object

DAY = 86400


@pytest.fixture
def client(fake):
    return stripe.StripeClient(
        FAKE_API_KEY, base_addresses={"api": fake.url}, max_network_retries=0, http_client=stripe.RequestsClient()
    )


def new_pi(client, currency="mxn", amount=5000):
    params = {"amount": amount, "currency": currency, "metadata": {"order_id": "ord_1"}}
    return client.v1.payment_intents.create(params=params, options={"idempotency_key": f"k-{currency}-{amount}"})


def oxxo(client, pi_id, email="customer@example.com", **billing):
    data = {"type": "oxxo", "billing_details": {"name": "Ana López", "email": email, **billing}}
    return client.v1.payment_intents.confirm(pi_id, params={"payment_method_data": data})


def sepa(client, pi_id, iban=async_methods.SEPA_SUCCEEDING_IBAN):
    data = {
        "type": "sepa_debit",
        "sepa_debit": {"iban": iban},
        "billing_details": {"name": "Jenny Rosen", "email": "jenny@example.com"},
    }
    return client.v1.payment_intents.confirm(pi_id, params={"payment_method_data": data})


def later(fake, clock, seconds):
    """Advance the fake's clock and let it do what fell due."""
    clock.now += seconds
    return fake.tick()


def types_of(fake):
    return [event["type"] for event in fake.events]


def test_oxxo_waits_in_requires_action_with_a_voucher_that_fits_stripe_python(fake, client):
    """Confirming with OXXO gives requires_action and oxxo_display_details (number, hosted
    voucher URL, expiry three days out); the PI and its event fit stripe.PaymentIntent."""
    pi = oxxo(client, new_pi(client).id)
    assert pi.status == "requires_action" and pi.next_action.type == "oxxo_display_details"
    details = pi.next_action.oxxo_display_details
    assert details.hosted_voucher_url.startswith("https://") and details.number.isdigit()
    assert details.expires_after == int(T0) + 3 * DAY
    assert types_of(fake)[-1] == "payment_intent.requires_action"
    raw = json.loads(json.dumps(fake.payment_intents[pi.id]))
    check_object(stripe.PaymentIntent, raw, "PaymentIntent")
    check_object(stripe.PaymentMethod, fake.store.payment_methods[pi.payment_method], "PaymentMethod")
    check_object(stripe.Event, fake.events[-1], "Event")


def test_oxxo_takes_pesos_only_and_needs_the_billing_name_and_email(fake, client):
    """Another currency, a missing email or a missing name is Stripe's 400; the PI is unchanged."""
    with pytest.raises(stripe.InvalidRequestError) as error:
        oxxo(client, new_pi(client, "usd").id)
    assert "Payments with oxxo support the following currencies: mxn" in error.value.user_message
    pi_id = new_pi(client).id
    with pytest.raises(stripe.InvalidRequestError) as error:
        oxxo(client, pi_id, email="")
    assert error.value.code == "parameter_missing"
    assert error.value.param == "payment_method_data[billing_details][email]"
    assert fake.payment_intents[pi_id]["status"] == "requires_payment_method"


def test_succeed_immediately_is_paid_after_the_short_delay(fake, client, clock):
    """succeed_immediately@…: still waiting before the delay, succeeded (with a charge) after it."""
    pi_id = oxxo(client, new_pi(client).id, email="succeed_immediately@example.com").id
    assert later(fake, clock, 4) == [] and fake.payment_intents[pi_id]["status"] == "requires_action"
    events = later(fake, clock, 1)
    assert [event["type"] for event in events] == ["payment_intent.succeeded"]
    pi = fake.payment_intents[pi_id]
    assert (pi["status"], pi["amount_received"], pi["next_action"]) == ("succeeded", 5000, None)


def test_expire_immediately_sends_the_payment_intent_back_with_payment_failed(fake, client, clock):
    """expire_immediately@…: the voucher expires, the PI is requires_payment_method with an
    expired-attempt error (a stripe LastPaymentError) and payment_intent.payment_failed."""
    pi = oxxo(client, new_pi(client).id, email="expire_immediately@example.com")
    assert pi.next_action.oxxo_display_details.expires_after == int(T0) + 5
    later(fake, clock, 5)
    got = client.v1.payment_intents.retrieve(pi.id)
    assert got.status == "requires_payment_method"
    assert got.last_payment_error.code == "payment_intent_payment_attempt_expired"
    assert types_of(fake)[-1] == "payment_intent.payment_failed"
    check_object(stripe.PaymentIntent.LastPaymentError, got.to_dict()["last_payment_error"], "last_payment_error")


def test_any_other_email_waits_until_the_voucher_expires(fake, client, clock):
    """Another address: nothing happens for days; at the voucher's expiry it fails."""
    pi_id = oxxo(client, new_pi(client).id).id
    assert later(fake, clock, 3 * DAY - 1) == []
    assert fake.payment_intents[pi_id]["status"] == "requires_action"
    assert [event["type"] for event in later(fake, clock, 1)] == ["payment_intent.payment_failed"]


def test_a_voucher_canceled_before_its_outcome_stays_canceled(fake, client, clock):
    """A scheduled payment never revives a PI canceled meanwhile."""
    pi_id = oxxo(client, new_pi(client).id, email="succeed_immediately@example.com").id
    client.v1.payment_intents.cancel(pi_id)
    assert later(fake, clock, 10) == [] and fake.payment_intents[pi_id]["status"] == "canceled"


def test_sepa_debit_is_processing_then_succeeds(fake, client, clock):
    """Stripe's succeeding test IBAN: processing for the configured time, then succeeded."""
    pi = sepa(client, new_pi(client, "eur").id)
    assert pi.status == "processing" and types_of(fake)[-1] == "payment_intent.processing"
    assert later(fake, clock, 4) == []
    assert [event["type"] for event in later(fake, clock, 1)] == ["payment_intent.succeeded"]
    assert fake.store.payment_methods[pi.payment_method]["sepa_debit"]["last4"] == "3201"


def test_sepa_debit_with_the_failing_iban_fails_after_processing(fake, client, clock):
    """Stripe's failing test IBAN: processing, then payment_failed with the PI back in
    requires_payment_method; the debit takes euros only."""
    pi = sepa(client, new_pi(client, "eur").id, iban=async_methods.SEPA_FAILING_IBAN)
    later(fake, clock, 5)
    got = client.v1.payment_intents.retrieve(pi.id)
    assert got.status == "requires_payment_method" and got.last_payment_error.code == "insufficient_funds"
    assert types_of(fake)[-2:] == ["charge.failed", "payment_intent.payment_failed"]
    with pytest.raises(stripe.InvalidRequestError):
        sepa(client, new_pi(client, "usd").id)


def test_confirm_params_are_stripe_params():
    """Every param the confirm endpoint accepts is a key of stripe.params.PaymentIntentConfirmParams."""
    accepted = {"payment_method", "payment_method_data", "mandate_data", "return_url", "expand"}
    assert accepted <= set(stripe.params.PaymentIntentConfirmParams.__annotations__)
    data = stripe.params.PaymentIntentConfirmParams.__annotations__["payment_method_data"]
    assert "PaymentMethodData" in str(data)
