"""The webhook inbox: one row per Stripe event id, with its payload (less its secrets).

Insert-or-get is a plain insert (one command for a new event, its final state included when
it needs no apply) and, on a duplicate key, one read by ``_id``; finishing and
failing a row are conditional on it not being finished, so a late retry cannot undo an
applied row. Raises DatabaseUnavailable when the retry budget is spent.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from ..clock import utcnow
from ..domain.inbox import FAILED, FINISHED, RECEIVED, STATES
from ..domain.ledger_events import FAILED as LEDGER_FAILED
from ..domain.ledger_events import PENDING as LEDGER_PENDING
from .documents import StripeEvent
from .retry import RetryPolicy

Doc = dict[str, Any]


def _events() -> "Collection[Doc]":
    return StripeEvent._get_collection()


class InboxStore:
    """The ``stripe_events`` collection; ``retry`` bounds every call."""

    def __init__(self, retry: RetryPolicy) -> None:
        self.retry = retry

    def insert_or_get(self, row: Mapping[str, Any]) -> Doc | None:
        """Store ``row`` (``_id`` = the event id, already in stored form: the webhook has
        checked the event's shape, so the schema is not run again) unless that id exists.
        Returns None when this call inserted it (one command), else the existing row (a
        duplicate key, then one read by ``_id``: two commands, flat in the inbox's size)."""
        doc = dict(row)

        def op() -> Doc | None:
            try:
                _events().insert_one(doc)
                return None
            except DuplicateKeyError:
                existing = _events().find_one({"_id": doc["_id"]})
                if existing is not None:
                    return existing
                _events().insert_one(doc)  # expired by retention between the two commands: anew
                return None

        return self.retry.run(op, "insert_event")

    def get(self, event_id: str) -> Doc | None:
        """The inbox row, or None."""
        return self.retry.run(lambda: _events().find_one({"_id": event_id}), "get_event")

    def finish(self, event_id: str, state: str, outcome: str, order_id: str | None = None) -> None:
        """Mark a row applied or ignored (idempotent; a finished row stays as it is)."""
        changes: Doc = {"state": state, "outcome": outcome, "applied_at": utcnow(), "last_error": None}
        if order_id:
            changes["order_id"] = order_id
        self.retry.run(
            lambda: _events().update_one(
                {"_id": event_id, "state": {"$nin": list(FINISHED)}}, {"$set": changes, "$inc": {"attempts": 1}}
            ),
            "finish_event",
        )

    def fail(self, event_id: str, error: str, max_attempts: int) -> Doc | None:
        """Count a failed apply attempt and record the error; park the row as ``failed`` once
        ``max_attempts`` is reached. Returns the row after the update. A retried call may
        count one attempt twice; that can only park the row one attempt sooner."""

        def op() -> Doc | None:
            row = _events().find_one_and_update(
                {"_id": event_id, "state": {"$nin": list(FINISHED)}},
                {"$inc": {"attempts": 1}, "$set": {"last_error": error[:2000]}},
                return_document=ReturnDocument.AFTER,
            )
            if row is not None and row["attempts"] >= max_attempts and row["state"] != FAILED:
                row = (
                    _events().find_one_and_update(
                        {"_id": event_id, "state": RECEIVED},
                        {"$set": {"state": FAILED}},
                        return_document=ReturnDocument.AFTER,
                    )
                    or row
                )
            return row

        return self.retry.run(op, "fail_event")

    def list_rows(self, state: str | None = None, limit: int = 50) -> list[Doc]:
        """Rows (newest first), optionally only those in ``state``; payloads omitted."""
        query = {"state": state} if state else {}
        return self.retry.run(
            lambda: list(_events().find(query, {"payload": 0}).sort("received_at", -1).limit(limit)), "list_events"
        )

    def existing_ids(self, event_ids: Iterable[str]) -> set[str]:
        """The subset of ``event_ids`` already in the inbox (one query)."""
        return self.retry.run(
            lambda: {doc["_id"] for doc in _events().find({"_id": {"$in": list(event_ids)}}, {"_id": 1})},
            "existing_event_ids",
        )

    def count_by_state(self, cap: int, states: Sequence[str] = STATES) -> dict[str, int]:
        """{state: number of rows in it} for ``states``, each count capped at ``cap``
        (an equality on the leading field of (state, received_at): index-served, bounded)."""
        return self.retry.run(
            lambda: {state: _events().count_documents({"state": state}, limit=cap) for state in states},
            "count_events_by_state",
        )

    # -- the ledger worker's queue: rows marked while their money waits to be posted ------------
    def ledger_pending(self, limit: int) -> list[Doc]:
        """Up to ``limit`` rows whose money the ledger has not posted, oldest first (served by
        the partial (ledger, received_at) index: costs what waits, not the history)."""
        return self.retry.run(
            lambda: list(_events().find({"ledger": LEDGER_PENDING}).sort("received_at", 1).limit(limit)),
            "ledger_pending",
        )

    def ledger_done(self, event_id: str) -> None:
        """Take a row out of the ledger's queue (idempotent)."""
        self.retry.run(
            lambda: _events().update_one({"_id": event_id}, {"$unset": {"ledger": "", "ledger_error": ""}}),
            "ledger_done",
        )

    def ledger_failed(self, event_id: str, error: str) -> None:
        """Park a row whose money cannot be posted, with the error (consolidation reports it)."""
        update = {"$set": {"ledger": LEDGER_FAILED, "ledger_error": error[:2000]}}
        self.retry.run(lambda: _events().update_one({"_id": event_id}, update), "ledger_failed")

    def for_order(self, order_id: str, payment_intent_id: str | None, limit: int = 200) -> list[Doc]:
        """The inbox rows naming the order or its PaymentIntent (payloads omitted), oldest first.
        Two index-served queries, merged here (no $or: see recovery.py)."""

        def op() -> list[Doc]:
            rows = {row["_id"]: row for row in _events().find({"order_id": order_id}, {"payload": 0}).limit(limit)}
            if payment_intent_id:
                query = {"payment_intent_id": payment_intent_id}
                rows.update({row["_id"]: row for row in _events().find(query, {"payload": 0}).limit(limit)})
            return sorted(rows.values(), key=lambda row: row["received_at"])[:limit]

        return self.retry.run(op, "events_for_order")
