"""Deadlines of payments that take days, as the apply path and the reconciler use them.

The pure rules are in domain/deadlines.py and domain/waits.py; this module only feeds them
the settings and the fact's time.
"""

from datetime import UTC, datetime, timedelta

from ..config import Settings
from ..domain.deadlines import DeadlinePolicy, expected_end
from ..domain.orders import AWAITING_CUSTOMER, PROCESSING, PaymentFact


def deadline_policy(settings: Settings) -> DeadlinePolicy:
    """The DeadlinePolicy the settings describe (cards, bank business days, voucher grace)."""
    return DeadlinePolicy(
        card=timedelta(seconds=settings.payment_deadline_seconds),
        bank_business_days=settings.bank_payment_business_days,
        voucher_grace=timedelta(seconds=settings.voucher_grace_seconds),
    )


def new_expected_by(settings: Settings, to_status: str | None, fact: PaymentFact) -> datetime | None:
    """The order's new ``expected_by`` when ``fact`` moves it to ``to_status``: a wait on the
    customer or a payment on its way ends per its payment method, counted from the fact's
    time; any other status keeps the order's deadline (None)."""
    if to_status not in (AWAITING_CUSTOMER, PROCESSING):
        return None
    start = datetime.fromtimestamp(fact.occurred_at, UTC)
    status = PROCESSING if to_status == PROCESSING else "requires_action"
    return expected_end(status, fact.wait, fact.processing_type, start, deadline_policy(settings))
