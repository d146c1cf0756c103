"""Persistence: every read and write the handlers need, each under the retry policy.

Every write here is safe to retry: inserts use fixed ids (a retried insert that had
landed surfaces as "already there"), status changes are conditional on the current
status and on the fact not being in the order's history, inbox rows are insert-or-get.
Raises DatabaseUnavailable when the retry budget is spent; other pymongo errors
propagate (they are bugs or permanent failures).
"""
from datetime import datetime, timezone

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from .models import Order, Product, StripeEvent
from .store_annotations import AnnotationWrites
from .store_ops import OperationsQueries
from .store_recovery import RecoveryQueries


def utcnow():
    return datetime.now(timezone.utc)


class Store(RecoveryQueries, AnnotationWrites, OperationsQueries):
    """Database access for the handlers; ``retry`` is a ``db.RetryPolicy``."""

    def __init__(self, retry):
        self.retry = retry

    # -- catalog ---------------------------------------------------------------
    def upsert_products(self, products):
        """Insert or replace each validated Product by sku. Idempotent; returns the count."""
        def op():
            for product in products:
                Product._get_collection().replace_one({"_id": product.sku}, product.to_mongo(), upsert=True)
            return len(products)
        return self.retry.run(op, "upsert_products")

    def get_products(self, skus):
        """Map sku -> product dict for the skus that exist."""
        def op():
            cursor = Product._get_collection().find({"_id": {"$in": list(skus)}})
            return {doc["_id"]: doc for doc in cursor}
        return self.retry.run(op, "get_products")

    # -- orders ----------------------------------------------------------------
    def insert_order(self, order):
        """Insert a validated Order. Returns (stored order dict, created).

        A concurrent or retried insert with the same Idempotency-Key returns the order
        that won, with created False.
        """
        doc = order.to_mongo().to_dict()

        def op():
            try:
                Order._get_collection().insert_one(dict(doc))
                return doc, True
            except DuplicateKeyError:
                existing = Order._get_collection().find_one(
                    {"$or": [{"_id": doc["_id"]}, {"idempotency_key": doc.get("idempotency_key", "\0")}]})
                if existing is None:
                    raise
                return existing, existing["_id"] == doc["_id"]
        return self.retry.run(op, "insert_order")

    def get_order(self, order_id):
        """The order dict, or None."""
        return self.retry.run(lambda: Order._get_collection().find_one({"_id": order_id}), "get_order")

    def find_order_by_idempotency_key(self, key):
        """The order created with this Idempotency-Key, or None."""
        return self.retry.run(
            lambda: Order._get_collection().find_one({"idempotency_key": key}), "find_order_by_key")

    def find_order_for_payment(self, order_id, payment_intent_id):
        """The order named by ``order_id`` (metadata), else the one holding the PI id, else None."""
        def op():
            orders = Order._get_collection()
            if order_id:
                found = orders.find_one({"_id": order_id})
                if found is not None:
                    return found
            if payment_intent_id:
                return orders.find_one({"payment_intent_id": payment_intent_id})
            return None
        return self.retry.run(op, "find_order_for_payment")

    def attach_payment_intent(self, order_id, payment_intent_id):
        """Record the PI id on an order that has none. Returns the order after the call."""
        def op():
            return Order._get_collection().find_one_and_update(
                {"_id": order_id, "payment_intent_id": None},
                {"$set": {"payment_intent_id": payment_intent_id, "updated_at": utcnow()}},
                return_document=ReturnDocument.AFTER,
            ) or Order._get_collection().find_one({"_id": order_id})
        return self.retry.run(op, "attach_payment_intent")

    def apply_transition(self, order, decision, fact):
        """Move ``order`` to ``decision.to_status`` iff it is still in the status it was read in
        and ``fact`` is not yet in its history. Returns True when this call made the change."""
        now = utcnow()
        changes = {"status": decision.to_status, "updated_at": now}
        if order.get("payment_intent_id") is None and fact.payment_intent_id:
            changes["payment_intent_id"] = fact.payment_intent_id
        if fact.failure_message:
            changes["last_payment_error"] = fact.failure_message
        if decision.to_status == "needs_review":
            changes["review_reason"] = decision.reason
        step = {"source": fact.source_id, "from": order["status"], "to": decision.to_status,
                "reason": decision.reason, "at": now}
        query = {"_id": order["_id"], "status": order["status"], "history.source": {"$ne": fact.source_id}}
        if "payment_intent_id" in changes:  # only fill an empty slot: a concurrent attach wins, we re-decide
            query["payment_intent_id"] = None
        update = {"$set": changes, "$max": {"last_event_at": fact.occurred_at}, "$push": {"history": step}}
        result = self.retry.run(lambda: Order._get_collection().update_one(query, update), "apply_transition")
        return result.modified_count == 1

    def advance_clock(self, order_id, occurred_at):
        """Raise the order's last_event_at to ``occurred_at`` (a no-op fact still orders later ones)."""
        self.retry.run(lambda: Order._get_collection().update_one(
            {"_id": order_id}, {"$max": {"last_event_at": occurred_at}}), "advance_clock")

    # -- webhook inbox ---------------------------------------------------------
    def insert_or_get_event(self, row):
        """Store a validated StripeEvent unless its id exists. Returns None when this call
        inserted it, else the existing row dict. One database command either way."""
        doc = row.to_mongo().to_dict()
        event_id = doc.pop("_id")

        def op():
            try:
                return StripeEvent._get_collection().find_one_and_update(
                    {"_id": event_id}, {"$setOnInsert": doc}, upsert=True,
                    return_document=ReturnDocument.BEFORE)
            except DuplicateKeyError:  # lost an upsert race: the row exists now
                return StripeEvent._get_collection().find_one({"_id": event_id})
        return self.retry.run(op, "insert_event")

    def get_event(self, event_id):
        """The inbox row dict, or None."""
        return self.retry.run(lambda: StripeEvent._get_collection().find_one({"_id": event_id}), "get_event")

    def finish_event(self, event_id, state, outcome, order_id=None):
        """Mark an inbox row applied or ignored (idempotent; an applied row stays applied)."""
        changes = {"state": state, "outcome": outcome, "applied_at": utcnow(), "last_error": None}
        if order_id:
            changes["order_id"] = order_id
        self.retry.run(lambda: StripeEvent._get_collection().update_one(
            {"_id": event_id, "state": {"$nin": ["applied", "ignored"]}},
            {"$set": changes, "$inc": {"attempts": 1}}), "finish_event")

    def fail_event(self, event_id, error, max_attempts):
        """Count a failed apply attempt and record the error; park the row as ``failed`` once
        ``max_attempts`` is reached. Returns the row after the update. A retried call may
        count one attempt twice; that can only park the row one attempt sooner."""
        def op():
            row = StripeEvent._get_collection().find_one_and_update(
                {"_id": event_id, "state": {"$nin": ["applied", "ignored"]}},
                {"$inc": {"attempts": 1}, "$set": {"last_error": error[:2000]}},
                return_document=ReturnDocument.AFTER)
            if row is not None and row["attempts"] >= max_attempts and row["state"] != "failed":
                row = StripeEvent._get_collection().find_one_and_update(
                    {"_id": event_id, "state": "received"}, {"$set": {"state": "failed"}},
                    return_document=ReturnDocument.AFTER) or row
            return row
        return self.retry.run(op, "fail_event")
