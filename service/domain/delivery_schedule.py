"""When a failed delivery to the shop is tried again, and when it is given up. Pure.

Exponential backoff with full jitter (a uniformly random wait between 0 and the capped
exponential step, so many failing deliveries do not retry in lockstep), for up to a budget
counted from the event's first attempt; past it the delivery is dead-lettered and waits for
``outbox replay``.
"""

from datetime import datetime, timedelta
from typing import Final

BASE_SECONDS: Final = 5.0
CAP_SECONDS: Final = 3600.0  # never more than an hour between two attempts
DEFAULT_BUDGET_SECONDS: Final = 3 * 86400  # Stripe retries live deliveries for up to 3 days


def backoff_seconds(attempts: int, draw: float, base: float = BASE_SECONDS) -> float:
    """The wait after the ``attempts``-th failed attempt; ``draw`` in [0, 1) is the jitter."""
    step: float = min(CAP_SECONDS, base * 2.0 ** min(max(attempts - 1, 0), 30))
    return step * min(max(draw, 0.0), 1.0)


def next_attempt(
    first_attempt_at: datetime, now: datetime, attempts: int, draw: float, budget: float, base: float = BASE_SECONDS
) -> datetime | None:
    """When to try again after a failure at ``now``, or None when the budget (counted from
    ``first_attempt_at``) is spent: the delivery is then dead."""
    if (now - first_attempt_at).total_seconds() >= budget:
        return None
    at = now + timedelta(seconds=backoff_seconds(attempts, draw, base))
    return min(at, first_attempt_at + timedelta(seconds=budget))
