"""Builders for Stripe-shaped JSON objects. Pure: no locking, no storage."""

from __future__ import annotations

import copy
import secrets
import string

import stripe

_ALPHABET = string.ascii_letters + string.digits
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing")
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")


def new_id(prefix: str, length: int = 24) -> str:
    """Return a fresh random id like Stripe's (`pi_3Abc...`); unique for practical purposes."""
    return f"{prefix}_{''.join(secrets.choice(_ALPHABET) for _ in range(length))}"


def payment_intent(
    *,
    amount: int,
    currency: str,
    metadata: dict,
    created: int,
    automatic_payment_methods: dict | None,
    payment_method_types: list,
    fields: dict,
) -> dict:
    """Return a new PaymentIntent in `requires_payment_method` with every field Stripe returns
    that callers commonly read; `fields` overrides simple nullable fields (description, ...)."""
    pi_id = new_id("pi")
    pi = {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": automatic_payment_methods,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": f"{pi_id}_secret_{new_id('x', 25)[2:]}",
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": None,
        "description": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": metadata,
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_options": {},
        "payment_method_types": payment_method_types,
        "processing": None,
        "receipt_email": None,
        "setup_future_usage": None,
        "shipping": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }
    pi.update(fields)
    return pi


def charge(pi: dict, *, amount: int, created: int, payment_method: str | None, failure: dict | None = None) -> dict:
    """Return a Charge for one payment attempt on `pi`: succeeded unless `failure` is given;
    `balance_transaction` is set once the money is booked (ledger.py)."""
    ok = failure is None
    failure = failure or {}
    return {
        "id": new_id("ch"),
        "object": "charge",
        "amount": pi["amount"],
        "amount_captured": amount if ok else 0,
        "amount_refunded": 0,
        "balance_transaction": None,
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "captured": ok,
        "created": created,
        "currency": pi["currency"],
        "description": pi["description"],
        "disputed": False,
        "failure_code": None if ok else failure["code"],
        "failure_message": None if ok else failure["message"],
        "livemode": False,
        "metadata": dict(pi["metadata"]),
        "outcome": {
            "type": "authorized" if ok else "issuer_declined",
            "reason": None if ok else failure.get("decline_code"),
        },
        "paid": ok,
        "payment_intent": pi["id"],
        "payment_method": payment_method,
        "refunded": False,
        "status": "succeeded" if ok else "failed",
    }


def payment_error(
    *,
    code: str,
    decline_code: str | None,
    message: str,
    charge_id: str,
    payment_method: str | None,
    method_type: str = "card",
) -> dict:
    """Return the `last_payment_error` (and 402 error body fields) for a declined attempt."""
    return {
        "type": "card_error" if method_type == "card" else "invalid_request_error",
        "code": code,
        "decline_code": decline_code,
        "message": message,
        "charge": charge_id,
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        "payment_method": {"id": payment_method, "object": "payment_method", "type": method_type}
        if payment_method
        else None,
    }


def refund(ch: dict, *, amount: int, created: int, reason: str | None, metadata: dict) -> dict:
    """Return a succeeded Refund of `amount` against charge `ch`."""
    return {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": ch["id"],
        "created": created,
        "currency": ch["currency"],
        "metadata": metadata,
        "payment_intent": ch["payment_intent"],
        "reason": reason,
        "status": "succeeded",
    }


def event(
    type_: str, obj: dict, *, created: int, request_id: str | None = None, idempotency_key: str | None = None
) -> dict:
    """Return an Event whose `data.object` is a deep-copied snapshot of `obj` right now, so
    later changes to the object never leak into an event already written."""
    return {
        "id": new_id("evt"),
        "object": "event",
        "api_version": stripe.api_version,
        "created": created,
        "data": {"object": copy.deepcopy(obj)},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": type_,
    }
