"""The operator's view of the database: bounded counts for /metrics and alerts, and the
reconciler's run record.

Every read here is index-backed and capped, so a scrape costs the same on a day-old
database as on a year-old one: an equality on the leading field of (status, expected_by),
a range on the second, no $in, no hint (the shape recovery.py explains). Raises
DatabaseUnavailable when the retry budget is spent.
"""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from ..domain.ledger_events import FAILED as LEDGER_FAILED
from ..domain.orders import NEEDS_REVIEW, OPEN_STATUSES
from .documents import Order, ReconcileStats, StripeEvent
from .retry import RetryPolicy

RECONCILER = "reconciler"


class OperationsStore:
    """Counts and the reconciler's record; ``retry`` bounds every call."""

    def __init__(self, retry: RetryPolicy) -> None:
        self.retry = retry

    def overdue_orders(self, now: datetime, cap: int) -> tuple[int, datetime | None]:
        """(number of open orders past their deadline capped at ``cap``, the oldest deadline or None)."""

        def op() -> tuple[int, datetime | None]:
            orders, count, oldest = Order._get_collection(), 0, None
            for status in OPEN_STATUSES:
                query = {"status": status, "expected_by": {"$lt": now}}
                count += orders.count_documents(query, limit=cap)
                first = orders.find_one(query, {"expected_by": 1}, sort=[("expected_by", ASCENDING)])
                if first is not None and (oldest is None or first["expected_by"] < oldest):
                    oldest = first["expected_by"]
            return min(count, cap), oldest

        return self.retry.run(op, "overdue_orders")

    def needing_attention(self, cap: int) -> dict[str, int]:
        """Capped counts of what waits for a human: orders in ``needs_review`` (an equality on
        the leading field of (status, created_at)) and inbox rows whose money the ledger could
        not post (the partial (ledger, received_at) index)."""

        def op() -> dict[str, int]:
            return {
                "needs_review": Order._get_collection().count_documents({"status": NEEDS_REVIEW}, limit=cap),
                "ledger_unpostable": StripeEvent._get_collection().count_documents(
                    {"ledger": LEDGER_FAILED}, limit=cap
                ),
            }

        return self.retry.run(op, "needing_attention")

    def record_reconcile_pass(
        self, *, ok: bool, healed: int, failed: int, interval_seconds: float, now: datetime
    ) -> None:
        """Count one completed reconcile pass and remember when it finished and at what interval
        the reconciler runs. A retried write may count a pass twice; the timestamp never goes back."""
        update = {
            "$inc": {"runs_ok": int(ok), "runs_failed": int(not ok), "healed": healed, "failed": failed},
            "$max": {"last_completed_at": now},
            "$set": {"interval_seconds": float(interval_seconds)},
        }
        self.retry.run(
            lambda: ReconcileStats._get_collection().update_one({"_id": RECONCILER}, update, upsert=True),
            "record_reconcile_pass",
        )

    def reconcile_stats(self) -> dict[str, Any] | None:
        """The reconciler's run record (runs_ok, runs_failed, healed, failed, last_completed_at,
        interval_seconds), or None if no pass has ever completed."""
        return self.retry.run(lambda: ReconcileStats._get_collection().find_one({"_id": RECONCILER}), "reconcile_stats")
