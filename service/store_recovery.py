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
# The reconciler's queries are shaped for their indexes (an equality on the leading field, a
# range on the second, no $in/$or, no hint) because SecantusDB 0.7 serves only that shape from
# index bounds: it scans the collection for an $in/$or prefix and walks the whole index for a
# hinted find or count (its explain still reports the bounded plan).


def stuck_order_queries(cutoff):
    """One filter per open status for orders whose deadline is before ``cutoff``, each a
    (status, expected_by) index range."""
    return [{"status": status, "expected_by": {"$lt": cutoff}} for status in OPEN_STATUSES]


def unapplied_events_queries(received_before, max_attempts):
    """The two filters for inbox rows stored but not applied: ``received`` ones older than
    ``received_before`` (a (state, received_at) range), and parked ones still under the
    replay limit (a (state, attempts) range; their age is checked by the caller)."""
    return ({"state": "received", "received_at": {"$lt": received_before}},
            {"state": "failed", "attempts": {"$lt": max_attempts}})


def _first(collection, query, sort, limit, keep):
    """The first ``limit`` documents of ``query`` in ``sort`` order for which ``keep`` is true,
    read with a server-side limit (doubled while ``keep`` rejected some and more may exist)."""
    fetch = limit
    while True:
        docs = list(collection.find(query).sort(sort).limit(fetch))
        kept = [doc for doc in docs if keep(doc)]
        if len(kept) >= limit or len(docs) < fetch:
            return kept[:limit]
        fetch *= 2


class RecoveryQueries:
    """Mixin for Store; relies on ``self.retry`` (a db.RetryPolicy)."""

    def find_stuck_orders(self, cutoff, limit, after=None):
        """Up to ``limit`` open orders past their deadline, the most overdue first, starting
        after the (expected_by, _id) key ``after`` so a pass pages through all of them.

        One (status, expected_by) range per open status, merged here (see stuck_order_queries)."""
        def key(doc):
            return doc["expected_by"], doc["_id"]

        def op():
            found = []
            for query in stuck_order_queries(cutoff):
                if after is not None:
                    query["expected_by"]["$gte"] = after[0]
                found += _first(Order._get_collection(), query,
                                [("expected_by", ASCENDING), ("_id", ASCENDING)], limit,
                                keep=lambda doc: after is None or key(doc) > tuple(after))
            return sorted(found, key=key)[:limit]
        return self.retry.run(op, "find_stuck_orders")

    def find_unapplied_events(self, received_before, max_attempts, limit):
        """Up to ``limit`` inbox rows to re-apply, oldest first (see unapplied_events_queries).
        Parked rows under the limit are few: each pass that fails on one raises its attempts."""
        def op():
            events = StripeEvent._get_collection()
            received, parked = unapplied_events_queries(received_before, max_attempts)
            rows = list(events.find(received).sort("received_at", ASCENDING).limit(limit))
            rows += [row for row in events.find(parked).limit(max(limit, 1000))
                     if row["received_at"] < received_before]
            return sorted(rows, key=lambda row: row["received_at"])[:limit]
        return self.retry.run(op, "find_unapplied_events")

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
