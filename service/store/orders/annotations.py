"""Money after the payment: refunds, disputes and Radar notes stored beside an order's status,
never changing it. Each write only moves a value forward (a larger refunded total, a higher
dispute rank, a refund id not yet listed), so retries and concurrent deliveries cannot
lower or double anything; a refund or dispute is recorded with its order event.
"""

from collections.abc import Mapping
from typing import Any

from ...clock import utcnow
from ...domain.order_events import dispute_event_type, order_event_id, refund_event_type
from ...domain.order_view import public_order
from ...domain.radar import REVIEW
from ..event_recording import record_event
from ..retry import RetryPolicy
from .collection import Doc, now_ms, orders_collection


class OrderAnnotations:
    """The annotation writes of OrderStore (which sets ``retry``)."""

    retry: RetryPolicy

    def annotate_refund(self, order: Mapping[str, Any], refund: Mapping[str, Any]) -> bool:
        """Store ``refund`` on ``order`` (the snapshot it was decided from) iff its
        amount_refunded is larger than the one recorded, with its order.(partially_)refunded
        event. Returns True when this call changed the order; False also when the order's
        events moved on since the snapshot (re-read and decide again)."""
        query = {
            "_id": order["_id"],
            "$or": [{"refund": None}, {"refund.amount_refunded": {"$lt": refund["amount_refunded"]}}],
        }
        return self._annotate(order, query, "refund", refund, refund_event_type(refund), "annotate_refund")

    def annotate_dispute(self, order: Mapping[str, Any], dispute: Mapping[str, Any]) -> bool:
        """Store ``dispute`` on ``order`` (the snapshot it was decided from) iff the order has
        none, or the same dispute at a lower (rank, event time), with its order.disputed /
        order.dispute_closed event. Returns True when this call changed the order."""
        same = [{"dispute.id": dispute["id"], **older} for older in _older("dispute", dispute)]
        query = {"_id": order["_id"], "$or": [{"dispute": None}, *same]}
        return self._annotate(order, query, "dispute", dispute, dispute_event_type(dispute), "annotate_dispute")

    def annotate_radar(self, order: Mapping[str, Any], field: str, note: Mapping[str, Any]) -> bool:
        """Store a Radar note (``field`` ``radar_review`` or ``fraud_warning``) on ``order`` iff it
        has none, or (a review) one of a lower (rank, event time). Not told to the shop (the
        order's public view shows it). True when this call changed it."""
        newer = [{field: None}, *(_older(field, note) if field == REVIEW else [])]
        return self._annotate(order, {"_id": order["_id"], "$or": newer}, field, note, None, "annotate_radar")

    def _annotate(
        self, order: Mapping[str, Any], query: Doc, field: str, value: Mapping[str, Any], kind: str | None, what: str
    ) -> bool:
        now = now_ms()
        update: Doc = {"$set": {field: dict(value, at=now), "updated_at": now}}
        if kind is not None:
            after = public_order({**order, field: dict(value), "updated_at": now})
            record_event(query, update, order, lambda seq: order_event_id(order["_id"], seq), kind, now, after)
        result = self.retry.run(lambda: orders_collection().update_one(query, update), what)
        return result.modified_count == 1

    def record_refund(self, order_id: str, refund: Mapping[str, Any]) -> bool:
        """Append a refund we initiated (``refund["id"]`` is Stripe's) unless it is listed.
        Idempotent: a retried command that replayed the same refund adds nothing."""
        now = utcnow()
        query = {"_id": order_id, "refunds.id": {"$ne": refund["id"]}}
        update = {"$push": {"refunds": dict(refund, at=now)}, "$set": {"updated_at": now}}
        result = self.retry.run(lambda: orders_collection().update_one(query, update), "record_refund")
        return result.modified_count == 1


def _older(field: str, note: Mapping[str, Any]) -> list[Doc]:
    """Conditions that the recorded ``field`` is older than ``note``: a lower rank, or the same
    rank from an older event ($not/$gte also matches a record kept before occurred_at was)."""
    return [
        {f"{field}.rank": {"$lt": note["rank"]}},
        {f"{field}.rank": note["rank"], f"{field}.occurred_at": {"$not": {"$gte": note["occurred_at"]}}},
    ]
