"""PaymentIntent and Refund endpoints: validate Stripe params, run the lifecycle."""

from __future__ import annotations

import re

from . import async_methods, listing, payments
from .errors import FakeStripeError, invalid
from .forms import check_known, to_bool, to_int, to_list, to_metadata
from .state import Call

_PI_FIELDS = (
    "description",
    "customer",
    "receipt_email",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "transfer_group",
)
_LIST = {"limit", "starting_after", "ending_before", "expand"}


def _required(params: dict, name: str):
    if params.get(name) in (None, ""):
        raise invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
    return params[name]


def create_payment_intent(call: Call) -> dict:
    """POST /v1/payment_intents: validate like Stripe (400 on a missing/non-positive amount, a
    non-3-letter currency, unknown params), then create."""
    p = call.params
    check_known(
        p,
        {"amount", "currency", "metadata", "automatic_payment_methods", "payment_method_types", "expand", *_PI_FIELDS},
    )
    amount = to_int(_required(p, "amount"), "amount")
    if amount < 1:
        raise invalid("This value must be greater than or equal to 1.", param="amount", code="amount_too_small")
    currency = _required(p, "currency")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
        raise invalid(f"Invalid currency: {currency}.", param="currency")
    apm, types = p.get("automatic_payment_methods"), p.get("payment_method_types")
    if apm is not None and types is not None:
        raise invalid(
            "You may only specify one of these parameters: automatic_payment_methods, payment_method_types.",
            param="automatic_payment_methods",
        )
    if apm is not None and not isinstance(apm, dict):
        raise invalid("Invalid object", param="automatic_payment_methods")
    fields = {name: p[name] for name in _PI_FIELDS if name in p}
    return payments.create(
        call.store,
        {
            "amount": amount,
            "currency": currency.lower(),
            "metadata": to_metadata(p.get("metadata")),
            # Since API version 2023-08-16 automatic payment methods are on unless types are given.
            "automatic_payment_methods": None
            if types is not None
            else {
                "allow_redirects": (apm or {}).get("allow_redirects", "always"),
                "enabled": to_bool((apm or {}).get("enabled", "true"), "automatic_payment_methods[enabled]"),
            },
            "payment_method_types": to_list(types, "payment_method_types") if types else ["card"],
            "fields": fields,
        },
        call.origin,
    )


def list_payment_intents(call: Call) -> dict:
    """GET /v1/payment_intents: newest first, `created`/`customer` filters, cursor pages."""
    check_known(call.params, {"created", "customer", *_LIST})
    by_created = listing.created_filter(call.params.get("created"))
    customer = call.params.get("customer")
    return listing.page(
        list(reversed(call.store.payment_intents.values())),
        lambda pi: by_created(pi) and customer in (None, pi["customer"]),
        call.params,
        "/v1/payment_intents",
        "payment_intent",
    )


def search_payment_intents(call: Call) -> dict:
    """GET /v1/payment_intents/search: only PIs older than `search_lag` are visible, as Stripe
    search is eventually consistent."""
    check_known(call.params, {"query", "limit", "page", "expand"})
    matches = listing.search_filter(call.params.get("query", ""))
    now, visible = call.store.clock(), call.store.searchable_at
    return listing.search_page(
        list(reversed(call.store.payment_intents.values())),
        lambda pi: visible[pi["id"]] <= now and matches(pi),
        call.params,
        "/v1/payment_intents/search",
    )


def retrieve_payment_intent(call: Call) -> dict:
    """GET /v1/payment_intents/:id: the current PI, or 404 resource_missing."""
    check_known(call.params, {"client_secret", "expand"})
    return call.store.payment_intent(call.args["id"])


def cancel_payment_intent(call: Call) -> dict:
    """POST /v1/payment_intents/:id/cancel: the canceled PI, or 400 from a terminal status."""
    check_known(call.params, {"cancellation_reason", "expand"})
    payments.cancel(call.store, call.args["id"], call.params.get("cancellation_reason"), call.origin)
    return call.store.payment_intent(call.args["id"])


def confirm_payment_intent(call: Call) -> dict:
    """POST /v1/payment_intents/:id/confirm: the PI; a declined test card answers 402
    card_error. With `payment_method_data` (oxxo, sepa_debit) instead of a test card's
    `payment_method`, a payment that takes days starts (async_methods.py)."""
    check_known(
        call.params, {"payment_method", "payment_method_data", "mandate_data", "return_url", "client_secret", "expand"}
    )
    if "payment_method_data" in call.params:
        if "payment_method" in call.params:
            raise invalid(
                "You may only specify one of these parameters: payment_method, payment_method_data.",
                param="payment_method_data",
            )
        return async_methods.confirm(call.store, call.args["id"], call.params["payment_method_data"], call.origin)
    pi = payments.confirm(call.store, call.args["id"], _required(call.params, "payment_method"), call.origin)
    raise_if_declined(pi)
    return pi


def raise_if_declined(pi: dict) -> None:
    """A declined attempt answers 402 card_error whose body carries the updated PI."""
    error = pi["last_payment_error"]
    if pi["status"] == "requires_payment_method" and error:
        raise FakeStripeError(
            402,
            "card_error",
            error["message"],
            code=error["code"],
            extra={"decline_code": error["decline_code"], "charge": error["charge"], "payment_intent": pi},
        )


def create_refund(call: Call) -> dict:
    """POST /v1/refunds: refund by payment_intent or charge; returns the Refund."""
    p = call.params
    check_known(p, {"payment_intent", "charge", "amount", "reason", "metadata", "expand"})
    pi_id = p.get("payment_intent")
    if pi_id is None and p.get("charge"):
        charge = call.store.charges.get(p["charge"])
        if charge is None:
            raise invalid(f"No such charge: '{p['charge']}'", param="charge", code="resource_missing")
        pi_id = charge["payment_intent"]
    if pi_id is None:
        raise invalid(
            "One of the following params should be provided for this request: payment_intent or charge.",
            code="parameter_missing",
        )
    if p.get("reason") not in (None, "duplicate", "fraudulent", "requested_by_customer"):
        raise invalid(f"Invalid reason: {p['reason']}", param="reason")
    amount = to_int(p["amount"], "amount") if "amount" in p else None
    refund, _ = payments.refund(call.store, pi_id, amount, p.get("reason"), to_metadata(p.get("metadata")), call.origin)
    return refund


def list_refunds(call: Call) -> dict:
    """GET /v1/refunds: newest first, `payment_intent`/`charge`/`created` filters, cursor pages."""
    check_known(call.params, {"payment_intent", "charge", "created", *_LIST})
    by_created = listing.created_filter(call.params.get("created"))
    pi_id, charge_id = call.params.get("payment_intent"), call.params.get("charge")
    return listing.page(
        list(reversed(call.store.refunds.values())),
        lambda rf: by_created(rf) and pi_id in (None, rf["payment_intent"]) and charge_id in (None, rf["charge"]),
        call.params,
        "/v1/refunds",
        "refund",
    )
