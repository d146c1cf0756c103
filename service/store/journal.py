"""The journal of outbound Stripe calls (see domain/journal.py for what a record holds).

``begin`` is one insert before the call and ``complete`` one conditional update after it;
a completion never overwrites a record already completed or resolved. Raises
DatabaseUnavailable when the retry budget is spent.
"""

import contextlib
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from ..clock import utcnow
from ..domain.journal import RESOLVED, SENT
from .documents import StripeCall
from .retry import RetryPolicy

Doc = dict[str, Any]


def _calls() -> "Collection[Doc]":
    return StripeCall._get_collection()


class JournalStore:
    """The ``stripe_calls`` collection; implements domain.journal.CallJournal."""

    def __init__(self, retry: RetryPolicy) -> None:
        self.retry = retry

    def begin(self, record: Mapping[str, Any]) -> str:
        """Insert a ``sent`` record; returns its id. A retried insert that had landed is
        found by its id, so the record exists once."""
        doc = dict(record, _id=record.get("_id") or "call_" + uuid.uuid4().hex, state=SENT)

        def op() -> str:
            with contextlib.suppress(DuplicateKeyError):  # a retried insert that had landed
                _calls().insert_one(dict(doc))
            return str(doc["_id"])

        return self.retry.run(op, "journal_begin")

    def complete(self, record_id: str, outcome: Mapping[str, Any]) -> None:
        """Record the outcome (state ok/failed, status, request id, attempts, duration, the
        response's money fields or the error) on a record still ``sent``. Idempotent."""
        changes = dict(outcome, completed_at=utcnow())
        self.retry.run(
            lambda: _calls().update_one({"_id": record_id, "state": SENT}, {"$set": changes}), "journal_complete"
        )

    def overdue(self, now: datetime, limit: int) -> list[Doc]:
        """Records still ``sent`` past their expected end, oldest first: calls whose outcome
        we do not know."""
        query = {"state": SENT, "expected_end": {"$lt": now}}
        return self.retry.run(
            lambda: list(_calls().find(query).sort("expected_end", ASCENDING).limit(limit)), "journal_overdue"
        )

    def resolve(self, record_id: str, resolution: Mapping[str, Any]) -> bool:
        """Mark a ``sent`` record resolved with what Stripe said about it. Returns True when
        this call resolved it (False: completed or resolved meanwhile)."""
        update = {"$set": {"state": RESOLVED, "resolution": dict(resolution), "completed_at": utcnow()}}
        result = self.retry.run(
            lambda: _calls().update_one({"_id": record_id, "state": SENT}, update), "journal_resolve"
        )
        return result.modified_count == 1

    def for_order(self, order_id: str, limit: int = 200) -> list[Doc]:
        """The order's calls, oldest first."""
        return self.retry.run(
            lambda: list(_calls().find({"order_id": order_id}).sort("started_at", ASCENDING).limit(limit)),
            "journal_for_order",
        )
