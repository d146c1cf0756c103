"""Payment methods that take days, as Stripe's test mode plays them: one voucher (OXXO) and
one bank debit (SEPA Direct Debit).

- OXXO: Mexican pesos only; confirmed with ``payment_method_data[type]=oxxo`` and the billing
  name and email. The PI waits in ``requires_action`` with ``oxxo_display_details`` (voucher
  number, ``hosted_voucher_url``, ``expires_after``). The billing email decides the outcome as
  in Stripe's test mode: ``succeed_immediately@…`` is paid after ``voucher_paid_after``
  seconds, ``expire_immediately@…`` expires after ``voucher_expired_after`` seconds, any other
  address waits until the voucher expires (``voucher_days``). An expired voucher sends the PI
  back to ``requires_payment_method`` with ``payment_intent.payment_failed``, as Stripe does.
- SEPA Direct Debit: euros only; confirmed with ``payment_method_data[type]=sepa_debit``, an
  IBAN and the billing name and email. The PI is ``processing`` for ``debit_processing``
  seconds, then succeeds, or fails for Stripe's failing test IBAN.

Later outcomes are kept in ``store.scheduled`` and done by ``run_due`` (every request and the
fake's timers call it), by the store's clock.
"""

from __future__ import annotations

import copy
import secrets

from . import objects, payments
from .errors import invalid
from .state import AsyncTiming, Origin, Store

__all__ = ["AsyncTiming", "confirm", "run_due"]

OXXO_CURRENCIES = ("mxn",)
SEPA_CURRENCIES = ("eur",)
SEPA_FAILING_IBAN = "AT861904300235473202"  # Stripe's test IBAN whose debit fails
SEPA_SUCCEEDING_IBAN = "AT611904300234573201"
EXPIRED_MESSAGE = "The OXXO voucher expired before it was paid."
SEPA_FAILURE = ("insufficient_funds", "The customer's account has insufficient funds to cover this payment.")


def confirm(store: Store, pi_id: str, data: dict, origin: Origin | None = None) -> dict:
    """Confirm ``pi_id`` with ``payment_method_data`` of type oxxo or sepa_debit; returns a
    copy of the PI. Raises 400 where Stripe would: another currency, a missing billing name or
    email, a missing IBAN, an unsupported type, a PI that cannot be confirmed."""
    kind = data.get("type") if isinstance(data, dict) else None
    if kind not in ("oxxo", "sepa_debit"):
        raise invalid(
            "payment_method_data[type] must be oxxo or sepa_debit in this simulator.",
            param="payment_method_data[type]",
        )
    billing = data.get("billing_details") or {}
    for field in ("name", "email"):
        if not isinstance(billing, dict) or not billing.get(field):
            param = f"payment_method_data[billing_details][{field}]"
            raise invalid(f"Missing required param: {param}.", param=param, code="parameter_missing")
    with store.lock:
        pi = store.payment_intent(pi_id)
        payments._require(pi, payments.CONFIRMABLE, "confirm")
        allowed = OXXO_CURRENCIES if kind == "oxxo" else SEPA_CURRENCIES
        if pi["currency"] not in allowed:
            raise invalid(
                f"The currency provided ({pi['currency']}) is invalid. Payments with {kind} support the "
                f"following currencies: {', '.join(allowed)}.",
                param="currency",
                code="payment_intent_invalid_parameter",
            )
        if kind == "oxxo":
            _voucher(store, pi, billing, origin)
        else:
            _debit(store, pi, billing, data.get("sepa_debit"), origin)
        return copy.deepcopy(pi)


def _payment_method(store: Store, kind: str, billing: dict, details: dict) -> dict:
    pm_id = objects.new_id("pm")
    pm = {
        "id": pm_id,
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": None,
            "email": billing["email"],
            "name": billing["name"],
            "phone": billing.get("phone"),
            "tax_id": None,
        },
        "created": store.now(),
        "customer": None,
        "livemode": False,
        "metadata": {},
        "type": kind,
        kind: details,
    }
    store.payment_methods[pm_id] = pm
    return pm


def _voucher(store: Store, pi: dict, billing: dict, origin: Origin | None) -> None:
    timing, now = store.async_timing, store.clock()
    email = billing["email"].lower()
    expires = int(now) + timing.voucher_days * 86400
    if email.startswith("succeed_immediately@"):
        store.scheduled[pi["id"]] = (now + timing.voucher_paid_after, "succeed")
    elif email.startswith("expire_immediately@"):
        expires = int(now + timing.voucher_expired_after)
        store.scheduled[pi["id"]] = (now + timing.voucher_expired_after, "expire")
    else:
        store.scheduled[pi["id"]] = (float(expires), "expire")
    pm = _payment_method(store, "oxxo", billing, {})
    number = "".join(secrets.choice("0123456789") for _ in range(18))
    pi.update(
        status="requires_action",
        payment_method=pm["id"],
        last_payment_error=None,
        next_action={
            "type": "oxxo_display_details",
            "oxxo_display_details": {
                "expires_after": expires,
                "hosted_voucher_url": f"https://payments.stripe.com/oxxo/voucher/test_{pi['id']}",
                "number": number,
            },
        },
    )
    store.emit("payment_intent.requires_action", pi, origin)
    _wake(store, store.scheduled[pi["id"]][0] - now)


def _debit(store: Store, pi: dict, billing: dict, sepa: object, origin: Origin | None) -> None:
    iban = sepa.get("iban") if isinstance(sepa, dict) else None
    if not iban:
        param = "payment_method_data[sepa_debit][iban]"
        raise invalid(f"Missing required param: {param}.", param=param, code="parameter_missing")
    iban = str(iban).replace(" ", "").upper()
    details = {
        "bank_code": iban[4:9],
        "branch_code": "",
        "country": iban[:2],
        "fingerprint": objects.new_id("fp", 16)[3:],
        "generated_from": None,
        "last4": iban[-4:],
    }
    pm = _payment_method(store, "sepa_debit", billing, details)
    pi.update(status="processing", payment_method=pm["id"], next_action=None, last_payment_error=None)
    store.emit("payment_intent.processing", pi, origin)
    outcome = "fail" if iban == SEPA_FAILING_IBAN else "succeed"
    store.scheduled[pi["id"]] = (store.clock() + store.async_timing.debit_processing, outcome)
    _wake(store, store.async_timing.debit_processing)


def _wake(store: Store, delay: float) -> None:
    for wake in list(store.wakers):
        wake(delay)


# The status a PI must still be in for a scheduled outcome to happen.
_WAITING = {"succeed": ("requires_action", "processing"), "fail": ("processing",), "expire": ("requires_action",)}


def run_due(store: Store) -> list[dict]:
    """Do the scheduled outcomes that fell due by the store's clock (oldest first), skipping a
    PI that meanwhile left the status the outcome needs (canceled, say). Returns the events."""
    with store.lock:
        now = store.clock()
        due = sorted((when, pi_id, what) for pi_id, (when, what) in store.scheduled.items() if when <= now)
        events = []
        for _, pi_id, what in due:
            del store.scheduled[pi_id]
            pi = store.payment_intents.get(pi_id)
            if pi is None or pi["status"] not in _WAITING[what]:
                continue
            events.append(_finish(store, pi, what))
        return events


def _finish(store: Store, pi: dict, what: str) -> dict:
    if what == "succeed":
        return payments.succeed(store, pi["id"], payment_method=pi["payment_method"])
    method = store.payment_methods[pi["payment_method"]]
    if what == "fail":
        code, message = SEPA_FAILURE
        return payments.fail(store, pi["id"], code, None, message, pi["payment_method"], method_type="sepa_debit")
    # An expired voucher: no charge was ever attempted, the PI waits for another method.
    pi.update(
        status="requires_payment_method",
        next_action=None,
        payment_method=None,
        last_payment_error={
            "type": "invalid_request_error",
            "code": "payment_intent_payment_attempt_expired",
            "message": EXPIRED_MESSAGE,
            "payment_method": copy.deepcopy(method),
        },
    )
    return store.emit("payment_intent.payment_failed", pi)
