"""Queries and writes the reconciler needs; mixed into ``store.Store``.

Every query here is served by an index (see models.py), so its cost grows with the stuck
work, not with the history: stuck orders by (status, expected_by), unapplied inbox rows by
(state, received_at), paid orders by (status, created_at).
"""
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from .models import Checkpoint, Lease, Order, StripeEvent
from .orders import NEEDS_REVIEW, PAID, PAYMENT_FAILED, PENDING, PROCESSING

OPEN_STATUSES = [PENDING, PROCESSING, PAYMENT_FAILED]
# Named explicitly: some planners (SecantusDB's) will not pick a compound index whose prefix
# is an $in or an $or on their own, and a collection scan here grows with history.
STUCK_ORDERS_INDEX = [("status", ASCENDING), ("expected_by", ASCENDING)]
UNAPPLIED_EVENTS_INDEX = [("state", ASCENDING), ("received_at", ASCENDING)]


def stuck_orders_query(cutoff):
    """The filter for open orders whose payment deadline is before ``cutoff``."""
    return {"status": {"$in": OPEN_STATUSES}, "expected_by": {"$lt": cutoff}}


def unapplied_events_query(received_before, max_attempts):
    """The filter for inbox rows stored but not applied (received, or parked and still replayable)."""
    return {"$or": [{"state": "received", "received_at": {"$lt": received_before}},
                    {"state": "failed", "received_at": {"$lt": received_before},
                     "attempts": {"$lt": max_attempts}}]}


class RecoveryQueries:
    """Mixin for Store; relies on ``self.retry`` (a db.RetryPolicy)."""

    def find_stuck_orders(self, cutoff, limit, after=None):
        """Up to ``limit`` open orders past their deadline, the most overdue first, starting
        after the (expected_by, _id) key ``after`` so a pass pages through all of them."""
        query = stuck_orders_query(cutoff)
        if after is not None:
            query["$or"] = [{"expected_by": {"$gt": after[0]}}, {"expected_by": after[0], "_id": {"$gt": after[1]}}]
        return self.retry.run(lambda: list(Order._get_collection().find(query).hint(STUCK_ORDERS_INDEX).sort(
            [("expected_by", ASCENDING), ("_id", ASCENDING)]).limit(limit)), "find_stuck_orders")

    def find_unapplied_events(self, received_before, max_attempts, limit):
        """Up to ``limit`` inbox rows to re-apply, oldest first."""
        return self.retry.run(lambda: list(
            StripeEvent._get_collection().find(unapplied_events_query(received_before, max_attempts))
            .hint(UNAPPLIED_EVENTS_INDEX).sort("received_at", ASCENDING).limit(limit)), "find_unapplied_events")

    def list_events(self, state=None, limit=50):
        """Inbox rows (newest first), optionally only those in ``state``; payloads omitted."""
        query = {"state": state} if state else {}
        return self.retry.run(lambda: list(StripeEvent._get_collection().find(query, {"payload": 0})
                                           .sort("received_at", -1).limit(limit)), "list_events")

    def existing_event_ids(self, event_ids):
        """The subset of ``event_ids`` already in the inbox (one query)."""
        return self.retry.run(lambda: {doc["_id"] for doc in StripeEvent._get_collection().find(
            {"_id": {"$in": list(event_ids)}}, {"_id": 1})}, "existing_event_ids")

    def orders_for_payments(self, order_ids, payment_intent_ids):
        """Orders named by any of ``order_ids`` or holding any of ``payment_intent_ids``."""
        return self.retry.run(lambda: list(Order._get_collection().find(
            {"$or": [{"_id": {"$in": list(order_ids)}},
                     {"payment_intent_id": {"$in": list(payment_intent_ids)}}]})), "orders_for_payments")

    def settled_orders_between(self, since, until):
        """Paid or needs-review orders created in [since, until)."""
        return self.retry.run(lambda: list(Order._get_collection().find(
            {"status": {"$in": [PAID, NEEDS_REVIEW]}, "created_at": {"$gte": since, "$lt": until}})),
            "settled_orders_between")

    # -- checkpoint and lease ---------------------------------------------------
    def get_checkpoint(self, name):
        """The stored value of checkpoint ``name``, or None."""
        doc = self.retry.run(lambda: Checkpoint._get_collection().find_one({"_id": name}), "get_checkpoint")
        return None if doc is None else doc["value"]

    def set_checkpoint(self, name, value, now):
        """Raise checkpoint ``name`` to ``value`` (never lowers it). Idempotent."""
        self.retry.run(lambda: Checkpoint._get_collection().update_one(
            {"_id": name}, {"$max": {"value": value}, "$set": {"updated_at": now}}, upsert=True),
            "set_checkpoint")

    def acquire_lease(self, name, owner, now, until):
        """Take or renew lease ``name`` for ``owner`` until ``until``; False if another holds it."""
        def op():
            try:
                return Lease._get_collection().find_one_and_update(
                    {"_id": name, "$or": [{"expires_at": {"$lt": now}}, {"owner": owner}]},
                    {"$set": {"owner": owner, "expires_at": until}}, upsert=True,
                    return_document=ReturnDocument.AFTER) is not None
            except DuplicateKeyError:  # the lease exists, is live and is someone else's
                return False
        return self.retry.run(op, "acquire_lease")

    def release_lease(self, name, owner):
        """Give the lease up if ``owner`` holds it (idempotent)."""
        self.retry.run(lambda: Lease._get_collection().delete_one({"_id": name, "owner": owner}), "release_lease")
