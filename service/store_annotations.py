"""Writes for money that moves after the payment; mixed into ``store.Store``.

Each is one conditional update that only ever moves a value forward (a larger refunded
total, a higher dispute rank, a refund id not yet listed), so retries, duplicates and
concurrent deliveries cannot lower or double anything. None touches ``status``.
"""
from datetime import datetime, timezone

from .models import Order


def _now():
    return datetime.now(timezone.utc)


class AnnotationWrites:
    """Mixin for Store; relies on ``self.retry`` (a db.RetryPolicy)."""

    def annotate_refund(self, order_id, refund):
        """Store ``refund`` iff its amount_refunded is larger than the one recorded.
        Returns True when this call changed the order."""
        query = {"_id": order_id, "$or": [{"refund": None},
                                          {"refund.amount_refunded": {"$lt": refund["amount_refunded"]}}]}
        return self._annotate(query, "refund", refund, "annotate_refund")

    def annotate_dispute(self, order_id, dispute):
        """Store ``dispute`` iff the order has none, or has the same dispute at a lower rank.
        Returns True when this call changed the order."""
        query = {"_id": order_id, "$or": [{"dispute": None},
                                          {"dispute.id": dispute["id"], "dispute.rank": {"$lt": dispute["rank"]}}]}
        return self._annotate(query, "dispute", dispute, "annotate_dispute")

    def _annotate(self, query, field, value, what):
        now = _now()
        update = {"$set": {field: dict(value, at=now), "updated_at": now}}
        result = self.retry.run(lambda: Order._get_collection().update_one(query, update), what)
        return result.modified_count == 1

    def record_refund(self, order_id, refund):
        """Append a refund we initiated (``refund["id"]`` is Stripe's) unless it is listed.
        Idempotent: a retried command that replayed the same refund adds nothing."""
        query = {"_id": order_id, "refunds.id": {"$ne": refund["id"]}}
        update = {"$push": {"refunds": dict(refund, at=_now())}, "$set": {"updated_at": _now()}}
        result = self.retry.run(lambda: Order._get_collection().update_one(query, update), "record_refund")
        return result.modified_count == 1
