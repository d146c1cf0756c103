"""When an order's payment is expected to end, per payment method, and whether an unpaid
PaymentIntent may be canceled.

Pure. Cards end in minutes (``PAYMENT_DEADLINE_SECONDS``); a voucher at its own expiry (plus
a grace period: the store's payment reaches Stripe after the voucher's last minute); bank
transfers and debits after ``BANK_PAYMENT_BUSINESS_DAYS`` business days (weekends skipped).
The reconciler looks at an order only after its ``expected_by``; ``may_cancel`` keeps it from
canceling a payment that is on its way (``processing``) or that the customer may still
complete (a voucher before its expiry, a transfer within its business days).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from .waits import VOUCHER, CustomerWait, customer_wait

PROCESSING: Final = "processing"
# PaymentIntent statuses in which nothing is on its way: an abandoned one may be canceled.
_IDLE: Final = ("requires_payment_method", "requires_confirmation")
_SATURDAY: Final = 5


@dataclass(frozen=True)
class DeadlinePolicy:
    """How long each kind of payment may take (from settings)."""

    card: timedelta
    bank_business_days: int
    voucher_grace: timedelta


def add_business_days(start: datetime, days: int) -> datetime:
    """``start`` moved forward by ``days`` weekdays (Saturdays and Sundays are skipped; a
    start on a weekend counts from the following Monday). Holidays are not known here."""
    moved = start
    while moved.weekday() >= _SATURDAY:
        moved += timedelta(days=1)
    remaining = days
    while remaining > 0:
        moved += timedelta(days=1)
        if moved.weekday() < _SATURDAY:
            remaining -= 1
    return moved


def expected_end(
    status: str, wait: CustomerWait | None, processing_type: str | None, start: datetime, policy: DeadlinePolicy
) -> datetime:
    """When a payment that reached ``status`` at ``start`` should have ended.

    A voucher: its expiry plus the grace (never before ``start``); a days-long wait (transfer
    instructions, microdeposits): the business days; ``processing`` other than a card's (the
    PI's ``processing.type``): the business days; anything else (cards, 3D Secure): minutes.
    """
    if wait is not None and wait.kind == VOUCHER and wait.expires_at is not None:
        return max(datetime.fromtimestamp(wait.expires_at, UTC), start) + policy.voucher_grace
    if (wait is not None and wait.days_long) or (status == PROCESSING and processing_type != "card"):
        return add_business_days(start, policy.bank_business_days)
    return start + policy.card


def may_cancel(pi: Mapping[str, Any], now: datetime, expected_by: datetime, policy: DeadlinePolicy) -> bool:
    """True when an abandoned order's PaymentIntent may be canceled now: it waits for a payment
    method or confirmation; or it waits on the customer and that wait is over (a voucher past
    its expiry plus grace, another days-long wait past the order's ``expected_by``, a 3D Secure
    step at once). Never for ``processing`` (the money is on its way) or a final status."""
    status = pi.get("status")
    if status in _IDLE:
        return True
    if status != "requires_action":
        return False
    wait = customer_wait(pi)
    if wait is None or not wait.days_long:
        return True
    if wait.kind == VOUCHER and wait.expires_at is not None:
        return now >= datetime.fromtimestamp(wait.expires_at, UTC) + policy.voucher_grace
    return now >= expected_by
