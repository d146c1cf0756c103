"""Payments that take days, pure: what a PaymentIntent waits for (domain/waits.py), when it is
expected to end and whether it may be canceled (domain/deadlines.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from service.domain.deadlines import DeadlinePolicy, add_business_days, expected_end, may_cancel
from service.domain.orders import OrderView, PaymentFact, refreshes_wait
from service.domain.waits import AUTHENTICATION, BANK_TRANSFER, MICRODEPOSITS, VOUCHER, CustomerWait, customer_wait

POLICY = DeadlinePolicy(card=timedelta(minutes=15), bank_business_days=5, voucher_grace=timedelta(hours=1))
FRIDAY = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
EXPIRES = int((FRIDAY + timedelta(days=3)).timestamp())


def waiting(action_type, details=None):
    """A PaymentIntent in requires_action with one next action."""
    action = {"type": action_type}
    if details is not None:
        action[action_type] = details
    return {"id": "pi_1", "status": "requires_action", "next_action": action}


OXXO = waiting("oxxo_display_details", {"expires_after": EXPIRES, "hosted_voucher_url": "https://v/1", "number": "1"})


@pytest.mark.parametrize(
    "pi,expected",
    [
        (OXXO, CustomerWait(VOUCHER, "oxxo", "https://v/1", EXPIRES)),
        (
            waiting("boleto_display_details", {"expires_at": EXPIRES, "hosted_voucher_url": "https://b"}),
            CustomerWait(VOUCHER, "boleto", "https://b", EXPIRES),
        ),
        (
            waiting("konbini_display_details", {"expires_at": EXPIRES, "hosted_voucher_url": "https://k"}),
            CustomerWait(VOUCHER, "konbini", "https://k", EXPIRES),
        ),
        (
            waiting(
                "display_bank_transfer_instructions",
                {"amount_remaining": 700, "hosted_instructions_url": "https://t", "type": "mx_bank_transfer"},
            ),
            CustomerWait(BANK_TRANSFER, "customer_balance", "https://t", None, 700),
        ),
        (
            waiting("verify_with_microdeposits", {"arrival_date": EXPIRES, "hosted_verification_url": "https://m"}),
            CustomerWait(MICRODEPOSITS, "us_bank_account", "https://m"),
        ),
        (
            waiting("redirect_to_url", {"url": "https://3ds", "return_url": None}),
            CustomerWait(AUTHENTICATION, url="https://3ds"),
        ),
        (waiting("use_stripe_sdk", {}), CustomerWait(AUTHENTICATION)),
        (waiting("some_future_action", {"url": "https://x"}), CustomerWait(AUTHENTICATION)),
    ],
    ids=lambda value: value["next_action"]["type"] if isinstance(value, dict) else None,
)
def test_customer_wait_reads_the_next_action(pi, expected):
    """Each next action gives its kind, method, hosted URL and (vouchers only) expiry."""
    assert customer_wait(pi) == expected


def test_no_wait_outside_requires_action_or_with_a_malformed_next_action():
    """Other statuses, a missing next action or details of the wrong type read as no wait or no URL."""
    assert customer_wait({**OXXO, "status": "processing"}) is None
    assert customer_wait({"status": "requires_action", "next_action": None}) is None
    odd = customer_wait(waiting("oxxo_display_details", {"expires_after": "soon", "hosted_voucher_url": 7}))
    assert odd == CustomerWait(VOUCHER, "oxxo", None, None)
    assert customer_wait(waiting("oxxo_display_details", ["not", "a", "dict"])) == CustomerWait(VOUCHER, "oxxo")


def test_business_days_skip_weekends():
    """Five business days from a Friday end on the next Friday; a Saturday start counts from Monday."""
    assert add_business_days(FRIDAY, 5) == FRIDAY + timedelta(days=7)
    assert add_business_days(FRIDAY, 1) == FRIDAY + timedelta(days=3)
    assert add_business_days(FRIDAY + timedelta(days=1), 1) == FRIDAY + timedelta(days=4)


def test_expected_end_follows_the_payment_method():
    """Cards: minutes; vouchers: their expiry plus grace; transfers and non-card processing: business days."""
    assert expected_end("requires_payment_method", None, None, FRIDAY, POLICY) == FRIDAY + timedelta(minutes=15)
    assert expected_end("requires_action", customer_wait(OXXO), None, FRIDAY, POLICY) == datetime.fromtimestamp(
        EXPIRES, UTC
    ) + timedelta(hours=1)
    transfer = CustomerWait(BANK_TRANSFER, "customer_balance", "https://t")
    assert expected_end("requires_action", transfer, None, FRIDAY, POLICY) == FRIDAY + timedelta(days=7)
    assert expected_end("processing", None, None, FRIDAY, POLICY) == FRIDAY + timedelta(days=7)
    assert expected_end("processing", None, "card", FRIDAY, POLICY) == FRIDAY + timedelta(minutes=15)
    assert expected_end("requires_action", CustomerWait(AUTHENTICATION), None, FRIDAY, POLICY) == FRIDAY + timedelta(
        minutes=15
    )


def test_expected_end_of_an_already_expired_voucher_is_not_in_the_past():
    """A voucher whose expiry is before the fact counts from the fact (plus grace)."""
    late = FRIDAY + timedelta(days=10)
    assert expected_end("requires_action", customer_wait(OXXO), None, late, POLICY) == late + timedelta(hours=1)


def test_processing_and_final_payment_intents_are_never_canceled():
    """processing (the money is on its way), succeeded and canceled: never, however late."""
    far = FRIDAY + timedelta(days=365)
    for status in ("processing", "succeeded", "canceled", "requires_capture"):
        assert not may_cancel({"status": status}, far, FRIDAY, POLICY)


def test_a_voucher_is_canceled_only_after_its_expiry_and_grace():
    """Before the voucher's expiry (plus grace) the customer may still pay it at the store."""
    expiry = datetime.fromtimestamp(EXPIRES, UTC)
    assert not may_cancel(OXXO, expiry - timedelta(seconds=1), FRIDAY, POLICY)
    assert not may_cancel(OXXO, expiry + timedelta(minutes=59), FRIDAY, POLICY)
    assert may_cancel(OXXO, expiry + timedelta(hours=1), FRIDAY, POLICY)


def test_a_transfer_waits_for_the_orders_expected_end_and_3ds_does_not():
    """Transfer instructions: until the order's expected_by; a 3D Secure step or an idle PI: at once."""
    transfer = waiting("display_bank_transfer_instructions", {"hosted_instructions_url": "https://t"})
    end = FRIDAY + timedelta(days=7)
    assert not may_cancel(transfer, end - timedelta(seconds=1), end, POLICY)
    assert may_cancel(transfer, end, end, POLICY)
    assert may_cancel(waiting("use_stripe_sdk", {}), FRIDAY, end, POLICY)
    assert may_cancel({"status": "requires_payment_method"}, FRIDAY, end, POLICY)


def test_a_newer_wait_refreshes_a_waiting_orders_next_step_only():
    """refreshes_wait: a newer requires_action fact on the order's own PI while it waits; not an
    older one, another PI's, or an order in another status."""
    order = OrderView("ord_1", "awaiting_customer", 2000, "mxn", "pi_1", last_event_at=100)
    wait = CustomerWait(BANK_TRANSFER, "customer_balance", "https://t", None, 700)
    fact = PaymentFact("evt_2", "requires_action", "pi_1", 0, "mxn", "ord_1", 150, wait=wait)
    assert refreshes_wait(order, fact)
    assert not refreshes_wait(order, PaymentFact("evt_3", "requires_action", "pi_1", 0, "mxn", "ord_1", 99, wait=wait))
    assert not refreshes_wait(order, PaymentFact("evt_4", "requires_action", "pi_2", 0, "mxn", "ord_1", 150, wait=wait))
    assert not refreshes_wait(OrderView("ord_1", "processing", 2000, "mxn", "pi_1"), fact)
