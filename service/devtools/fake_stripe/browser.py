"""What Stripe.js in a browser may do against the simulator, and nothing more.

A checkout page on another origin loads the Stripe.js stand-in from here, calls the API
across origins (CORS, as api.stripe.com allows) and authenticates the way Stripe.js does:
with the publishable key plus the PaymentIntent's client_secret, never the secret key. A
publishable key can only read or confirm the one PaymentIntent whose secret it presents.
"""

from __future__ import annotations

import os
import re

from . import payments
from .errors import FakeStripeError, invalid, unexpected_state
from .forms import check_known
from .payment_api import raise_if_declined
from .state import Call

STANDIN_PATHS = ("/v3", "/v3/", "/v3/stripe.js")
STANDIN_FILE = os.path.join(os.path.dirname(__file__), "stripe_standin.js")
CORS_HEADERS = {"Access-Control-Allow-Origin": "*"}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": "GET, POST, DELETE",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key, Stripe-Version",
    "Access-Control-Max-Age": "600",
}
AUTH_FAILED = (
    "We are unable to authenticate your payment method. Please choose a different payment method and try again."
)
_CLIENT_ROUTES = (
    ("GET", re.compile(r"/v1/payment_intents/(?P<id>[^/]+)")),
    ("POST", re.compile(r"/v1/payment_intents/(?P<id>[^/]+)/confirm")),
    ("POST", re.compile(r"/v1/test_helpers/payment_intents/(?P<id>[^/]+)/authenticate")),
)


def standin_script(path: str) -> bytes | None:
    """The stand-in's JavaScript for a Stripe.js URL path (`/v3/`, `/v3/stripe.js`), else
    None. Read per request so an edited file shows on reload."""
    if path not in STANDIN_PATHS:
        return None
    with open(STANDIN_FILE, "rb") as handle:
        return handle.read()


def check_client_access(store, method: str, path: str, params: dict) -> None:
    """Allow a publishable-key request only for a client route whose `client_secret` param
    is that PaymentIntent's. Raises 401 for any other endpoint, 400 for a missing or wrong
    client_secret, 404 for an unknown PaymentIntent."""
    for route_method, pattern in _CLIENT_ROUTES:
        match = pattern.fullmatch(path)
        if match and route_method == method:
            break
    else:
        raise FakeStripeError(
            401,
            "invalid_request_error",
            "This API call cannot be made with a publishable API key. Please use a secret API key.",
            store=False,
        )
    secret = params.get("client_secret")
    if not secret:
        raise invalid("Missing required param: client_secret.", param="client_secret", code="parameter_missing")
    with store.lock:
        expected = store.payment_intent(match.group("id"))["client_secret"]
    if secret != expected:
        raise invalid(
            "The client_secret provided does not match the client_secret associated with the PaymentIntent.",
            param="client_secret",
        )


def authenticate_payment_intent(call: Call) -> dict:
    """POST /v1/test_helpers/payment_intents/:id/authenticate (simulator only): the customer
    completes (`outcome=complete`: the PI succeeds) or fails (`outcome=fail`: 402, PI back
    to requires_payment_method) the 3D Secure challenge of a PI in requires_action."""
    check_known(call.params, {"outcome", "client_secret", "expand"})
    outcome, pi_id = call.params.get("outcome"), call.args["id"]
    if outcome not in ("complete", "fail"):
        raise invalid("outcome must be complete or fail", param="outcome")
    pi = call.store.payment_intent(pi_id)
    if pi["status"] != "requires_action":
        raise unexpected_state(
            f"This PaymentIntent has a status of {pi['status']}; only one in requires_action can be authenticated."
        )
    if outcome == "complete":
        payments.succeed(call.store, pi_id, payment_method=pi["payment_method"], origin=call.origin)
    else:
        payments.fail(
            call.store,
            pi_id,
            "payment_intent_authentication_failure",
            None,
            AUTH_FAILED,
            pi["payment_method"],
            call.origin,
        )
    pi = call.store.payment_intent(pi_id)
    raise_if_declined(pi)
    return pi
