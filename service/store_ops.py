"""The operator's view of the database: bounded counts for /metrics and alerts, and the
reconciler's run record; mixed into ``store.Store``.

Every read here is index-backed and capped, so a scrape costs the same on a day-old
database as on a year-old one.
"""
from pymongo import ASCENDING

from .models import Order, ReconcileStats, StripeEvent
from .store_recovery import OPEN_STATUSES

INBOX_STATES = ("received", "applied", "ignored", "failed")
RECONCILER = "reconciler"


class OperationsQueries:
    """Mixin for Store; relies on ``self.retry`` (a db.RetryPolicy).

    Queries have the shape store_recovery explains (an equality on the leading field of
    (state, received_at) or (status, expected_by), a range on the second, no $in, no hint),
    the one SecantusDB serves from index bounds; mongod serves it the same way."""

    def count_events_by_state(self, cap, states=INBOX_STATES):
        """{state: number of inbox rows in it} for ``states``, each count capped at ``cap``."""
        def op():
            events = StripeEvent._get_collection()
            return {state: events.count_documents({"state": state}, limit=cap) for state in states}
        return self.retry.run(op, "count_events_by_state")

    def overdue_orders(self, now, cap):
        """(number of open orders past their deadline capped at ``cap``, the oldest deadline or None)."""
        def op():
            orders, count, oldest = Order._get_collection(), 0, None
            for status in OPEN_STATUSES:
                query = {"status": status, "expected_by": {"$lt": now}}
                count += orders.count_documents(query, limit=cap)
                first = orders.find_one(query, {"expected_by": 1}, sort=[("expected_by", ASCENDING)])
                if first is not None and (oldest is None or first["expected_by"] < oldest):
                    oldest = first["expected_by"]
            return min(count, cap), oldest
        return self.retry.run(op, "overdue_orders")

    def record_reconcile_pass(self, *, ok, healed, failed, interval_seconds, now):
        """Count one completed reconcile pass and remember when it finished and at what interval
        the reconciler runs. A retried write may count a pass twice; the timestamp never goes back."""
        update = {"$inc": {"runs_ok": int(ok), "runs_failed": int(not ok), "healed": healed, "failed": failed},
                  "$max": {"last_completed_at": now}, "$set": {"interval_seconds": float(interval_seconds)}}
        self.retry.run(lambda: ReconcileStats._get_collection().update_one(
            {"_id": RECONCILER}, update, upsert=True), "record_reconcile_pass")

    def reconcile_stats(self):
        """The reconciler's run record (runs_ok, runs_failed, healed, failed, last_completed_at,
        interval_seconds), or None if no pass has ever completed."""
        return self.retry.run(lambda: ReconcileStats._get_collection().find_one({"_id": RECONCILER}),
                              "reconcile_stats")
