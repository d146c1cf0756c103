"""Routing: which endpoint serves (method, path), run under the store lock."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

from . import async_methods, expand, ledger, money_api
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
# (method, path pattern, endpoint, what it returns: an object type, or `list:<type>`).
ROUTES: list[tuple[str, str, Callable[[Call], dict], str]] = [
    ("POST", "/v1/payment_intents", create_payment_intent, "payment_intent"),
    ("GET", "/v1/payment_intents", list_payment_intents, "list:payment_intent"),
    ("GET", "/v1/payment_intents/search", search_payment_intents, "list:payment_intent"),
    ("GET", f"/v1/payment_intents/{_ID}", retrieve_payment_intent, "payment_intent"),
    ("POST", f"/v1/payment_intents/{_ID}/cancel", cancel_payment_intent, "payment_intent"),
    ("POST", f"/v1/payment_intents/{_ID}/confirm", confirm_payment_intent, "payment_intent"),
    ("POST", f"/v1/test_helpers/payment_intents/{_ID}/authenticate", authenticate_payment_intent, "payment_intent"),
    ("POST", "/v1/refunds", create_refund, "refund"),
    ("GET", "/v1/refunds", list_refunds, "list:refund"),
    ("GET", "/v1/events", list_events, "list:event"),
    ("GET", f"/v1/events/{_ID}", retrieve_event, "event"),
    ("GET", "/v1/balance", money_api.retrieve_balance, "balance"),
    ("GET", "/v1/balance_transactions", money_api.list_balance_transactions, "list:balance_transaction"),
    ("GET", f"/v1/balance_transactions/{_ID}", money_api.retrieve_balance_transaction, "balance_transaction"),
    ("POST", "/v1/payouts", money_api.create_payout, "payout"),
    ("GET", "/v1/payouts", money_api.list_payouts, "list:payout"),
    ("GET", f"/v1/payouts/{_ID}", money_api.retrieve_payout, "payout"),
    ("POST", f"/v1/payouts/{_ID}/cancel", money_api.cancel_payout, "payout"),
    ("GET", f"/v1/disputes/{_ID}", money_api.retrieve_dispute, "dispute"),
]


def dispatch(store: Store, method: str, path: str, params: dict, origin: Origin) -> dict:
    """Run the endpoint for (method, path) under the store lock and return a deep copy of
    its JSON result, `expand[]` applied (and checked before the endpoint runs). Work that
    fell due by the store's clock (ledger.run_due, async_methods.run_due) is done first. Raises FakeStripeError
    for every Stripe-level failure, including 404 for an unknown URL."""
    for route_method, pattern, endpoint, returns in ROUTES:
        match = re.fullmatch(pattern, path)
        if route_method == method and match:
            paths = expand.paths(params, returns)
            with store.lock:
                ledger.run_due(store)
                async_methods.run_due(store)
                result = endpoint(Call(store, params, match.groupdict(), origin))
                return copy.deepcopy(expand.apply(store, result, paths))
    raise FakeStripeError(
        404,
        "invalid_request_error",
        f"Unrecognized request URL ({method}: {path}). Please see "
        "https://stripe.com/docs or we can help at https://support.stripe.com/.",
        store=False,
    )
