"""Routing: which endpoint serves (method, path), run under the store lock."""

from __future__ import annotations

import copy
import re

from .browser import authenticate_payment_intent
from .errors import FakeStripeError
from .event_api import list_events, retrieve_event
from .payment_api import (
    cancel_payment_intent,
    confirm_payment_intent,
    create_payment_intent,
    create_refund,
    list_payment_intents,
    list_refunds,
    retrieve_payment_intent,
    search_payment_intents,
)
from .state import Call, Origin, Store

_ID = r"(?P<id>[^/]+)"
ROUTES = [
    ("POST", "/v1/payment_intents", create_payment_intent),
    ("GET", "/v1/payment_intents", list_payment_intents),
    ("GET", "/v1/payment_intents/search", search_payment_intents),
    ("GET", f"/v1/payment_intents/{_ID}", retrieve_payment_intent),
    ("POST", f"/v1/payment_intents/{_ID}/cancel", cancel_payment_intent),
    ("POST", f"/v1/payment_intents/{_ID}/confirm", confirm_payment_intent),
    ("POST", f"/v1/test_helpers/payment_intents/{_ID}/authenticate", authenticate_payment_intent),
    ("POST", "/v1/refunds", create_refund),
    ("GET", "/v1/refunds", list_refunds),
    ("GET", "/v1/events", list_events),
    ("GET", f"/v1/events/{_ID}", retrieve_event),
]


def dispatch(store: Store, method: str, path: str, params: dict, origin: Origin) -> dict:
    """Run the endpoint for (method, path) under the store lock and return a deep copy of
    its JSON result. Raises FakeStripeError for every Stripe-level failure, including
    404 for an unknown URL."""
    for route_method, pattern, endpoint in ROUTES:
        match = re.fullmatch(pattern, path)
        if route_method == method and match:
            with store.lock:
                return copy.deepcopy(endpoint(Call(store, params, match.groupdict(), origin)))
    raise FakeStripeError(
        404,
        "invalid_request_error",
        f"Unrecognized request URL ({method}: {path}). Please see "
        "https://stripe.com/docs or we can help at https://support.stripe.com/.",
        store=False,
    )
