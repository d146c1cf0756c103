"""Orders: insert, read, and the conditional updates that are the only way a status changes.

Every write here is safe to retry: the insert uses a fixed id (a retried insert that had
landed surfaces as "already there"), a status change is conditional on the status it was
decided from and on the fact not being in the order's history, and annotations only move
a value forward (a larger refunded total, a higher dispute rank, a refund id not yet
listed), so retries, duplicates and concurrent deliveries cannot lower or double anything.
Raises DatabaseUnavailable when the retry budget is spent, ValidationFailed for an order
the schema refuses; other pymongo errors propagate (they are bugs or permanent failures).
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from ...clock import utcnow
from ...domain.order_events import order_event_id, status_event_type
from ...domain.order_view import ANNOTATIONS, presumed_view, public_order
from ...domain.orders import (
    AWAITING_CUSTOMER,
    NEEDS_REVIEW,
    PAYMENT_FAILED,
    STATUSES,
    Decision,
    PaymentFact,
)
from ...domain.presumption import Presumption
from ..documents import Order
from ..documents.meta import stored_form
from ..event_recording import record_event
from ..id_filter import served_by_id
from ..presumed import presumed_filter
from ..retry import RetryPolicy
from .annotations import OrderAnnotations
from .collection import Doc, now_ms, orders_collection
from .reports import OrderReports


class OrderStore(OrderAnnotations, OrderReports):
    """The ``orders`` collection; ``retry`` bounds every call. Annotations (refunds, disputes,
    Radar) are in ``annotations.py``, the consolidation's reads in ``reports.py``."""

    def __init__(self, retry: RetryPolicy) -> None:
        self.retry = retry

    def insert(self, order: Mapping[str, Any]) -> tuple[Doc, bool]:
        """Insert a new order (a dict from domain.checkout.price_order plus its keys).
        Returns (stored order, created). A concurrent or retried insert with the same
        Idempotency-Key returns the order that won, with created False. Raises
        ValidationFailed when the schema refuses the order (nothing is written)."""
        doc = stored_form(Order, order, "order", "invalid_order")

        def op() -> tuple[Doc, bool]:
            try:
                orders_collection().insert_one(dict(doc))
                return doc, True
            except DuplicateKeyError:
                existing = orders_collection().find_one(
                    {"$or": [{"_id": doc["_id"]}, {"idempotency_key": doc.get("idempotency_key", "\0")}]}
                )
                if existing is None:
                    raise
                return existing, existing["_id"] == doc["_id"]

        return self.retry.run(op, "insert_order")

    def get(self, order_id: str) -> Doc | None:
        """The order, or None."""
        return self.retry.run(lambda: orders_collection().find_one({"_id": order_id}), "get_order")

    def find_by_idempotency_key(self, key: str) -> Doc | None:
        """The order created with this Idempotency-Key, or None."""
        return self.retry.run(lambda: orders_collection().find_one({"idempotency_key": key}), "find_order_by_key")

    def find_for_payment(self, order_id: str | None, payment_intent_id: str | None) -> Doc | None:
        """The order named by ``order_id`` (metadata), else the one holding the PI id, else None."""

        def op() -> Doc | None:
            if order_id:
                found = orders_collection().find_one({"_id": order_id})
                if found is not None:
                    return found
            if payment_intent_id:
                return orders_collection().find_one({"payment_intent_id": payment_intent_id})
            return None

        return self.retry.run(op, "find_order_for_payment")

    def attach_payment_intent(
        self, order_id: str, payment_intent_id: str, order: Mapping[str, Any] | None = None
    ) -> Doc | None:
        """Record the PI id on an order that has none. Returns the order after the call
        (holding whichever PI id got there first). Idempotent. One conditional update by
        ``_id`` when it lands and ``order`` (the order as last read) is given; a read by
        ``_id`` otherwise (no findAndModify: its cost grows with the collection on SecantusDB)."""

        def op() -> Doc | None:
            now = utcnow()
            changes = {"payment_intent_id": payment_intent_id, "updated_at": now}
            landed = orders_collection().update_one({"_id": order_id, "payment_intent_id": None}, {"$set": changes})
            if landed.modified_count == 1 and order is not None:
                return {**order, **changes}
            return orders_collection().find_one({"_id": order_id})

        return self.retry.run(op, "attach_payment_intent")

    def apply_transition(
        self,
        order: Mapping[str, Any],
        decision: Decision,
        fact: PaymentFact,
        expected_by: datetime | None = None,
        conditions: Doc | None = None,
    ) -> bool:
        """Move ``order`` to ``decision.to_status`` iff it is still in the status it was read in,
        ``fact`` is not yet in its history and it meets ``conditions`` (more filter terms).
        Every status change goes through here. Returns True when this call made the change.
        A change the shop is told of (domain/order_events.py) pushes its event in this same
        update, which is then also conditional on the order's event counter as read.
        An ``awaiting_customer`` order holds the customer's next step (``customer_action``: the
        voucher or instructions URL, never a secret); any other status clears it.
        ``expected_by`` (the payment's new expected end) replaces the order's when given."""
        now = now_ms()
        changes: Doc = {"status": decision.to_status, "updated_at": now}
        wait = fact.wait if decision.to_status == AWAITING_CUSTOMER else None
        changes["customer_action"] = wait.as_dict() if wait is not None else None
        if expected_by is not None:
            changes["expected_by"] = expected_by
        if order.get("payment_intent_id") is None and fact.payment_intent_id:
            changes["payment_intent_id"] = fact.payment_intent_id
        if fact.failure_message:
            changes["last_payment_error"] = fact.failure_message
        elif decision.to_status != PAYMENT_FAILED:  # the decline message belongs to a failed status only
            changes["last_payment_error"] = None
        if decision.to_status == NEEDS_REVIEW:
            changes["review_reason"] = decision.reason
        step = {
            "source": fact.source_id,
            "from": order["status"],
            "to": decision.to_status,
            "reason": decision.reason,
            "at": now,
        }
        query: Doc = {"_id": order["_id"], "status": order["status"], "history.source": {"$ne": fact.source_id}}
        if "payment_intent_id" in changes:  # only fill an empty slot: a concurrent attach wins, we re-decide
            query["payment_intent_id"] = None
        query.update(conditions or {})
        update = {"$set": changes, "$max": {"last_event_at": fact.occurred_at}, "$push": {"history": step}}
        assert decision.to_status is not None
        event_type = status_event_type(decision.to_status, STATUSES)
        if event_type is not None:  # a presumed update read nothing: its view is what the filter holds
            after = public_order({**order, **changes}) if "amount" in order else presumed_view(order, changes)
            record_event(query, update, order, lambda seq: order_event_id(order["_id"], seq), event_type, now, after)
        planned = served_by_id(query)  # the same filter, served by the _id look-up on SecantusDB
        result = self.retry.run(lambda: orders_collection().update_one(planned, update), "apply_transition")
        return result.modified_count == 1

    def postpone(self, order_id: str, expected_by: datetime) -> None:
        """Move the order's ``expected_by`` to ``expected_by`` if that is later (never earlier)."""
        update = {"$max": {"expected_by": expected_by}}
        self.retry.run(lambda: orders_collection().update_one({"_id": order_id}, update), "postpone_order")

    def apply_presumed(self, presumption: Presumption, fact: PaymentFact, expected_by: datetime | None = None) -> bool:
        """Apply ``presumption`` without reading the order: one conditional update whose filter
        is the presumption's conditions (``presumed_filter``). Returns True when it matched and
        made the change; False means "read and decide" (nothing was written)."""
        order = {"_id": presumption.order_id, "status": presumption.from_status}
        order["payment_intent_id"] = presumption.payment_intent_id
        # No annotation either, so the order event this update may push knows the order's view.
        conditions = {**presumed_filter(presumption), **dict.fromkeys(ANNOTATIONS)}
        return self.apply_transition(order, presumption.decision, fact, expected_by, conditions)

    def advance_clock(self, order_id: str, occurred_at: int) -> None:
        """Raise the order's last_event_at to ``occurred_at`` (a no-op fact still orders later ones)."""
        self.retry.run(
            lambda: orders_collection().update_one({"_id": order_id}, {"$max": {"last_event_at": occurred_at}}),
            "advance_clock",
        )

    def note_failure(self, order_id: str, occurred_at: int, message: str) -> bool:
        """Replace a ``payment_failed`` order's decline message with a newer attempt's (no
        status change); conditional on the order still failed and the attempt not older than
        its last fact. Returns True when this call changed it."""
        query = {"_id": order_id, "status": PAYMENT_FAILED, "last_event_at": {"$lte": occurred_at}}
        update = {
            "$set": {"last_payment_error": message, "updated_at": utcnow()},
            "$max": {"last_event_at": occurred_at},
        }
        return self.retry.run(lambda: orders_collection().update_one(query, update), "note_failure").modified_count == 1

    def note_wait(self, order_id: str, occurred_at: int, action: Mapping[str, Any]) -> bool:
        """Replace an ``awaiting_customer`` order's ``customer_action`` with a newer one (no status
        change); conditional on the order still waiting and the fact not older than its last.
        Returns True when this call changed it."""
        query = {"_id": order_id, "status": AWAITING_CUSTOMER, "last_event_at": {"$lte": occurred_at}}
        update = {
            "$set": {"customer_action": dict(action), "updated_at": utcnow()},
            "$max": {"last_event_at": occurred_at},
        }
        return self.retry.run(lambda: orders_collection().update_one(query, update), "note_wait").modified_count == 1
