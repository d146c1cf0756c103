"""The relay's storage: copy events from the documents that recorded them (orders, and
consolidation runs) into ``order_events`` and a pending delivery per endpoint.

Three writes per document, each idempotent and in this order: the events (unique on their
id), their deliveries (unique on event@endpoint), then the document's ``events_pending``
flag, cleared only if no event was pushed meanwhile. A crash between any two leaves the flag
set, and the next pass repeats the copy from the document's own array: gaps are repaired,
nothing is doubled. The feed's ``position`` is taken in relay order; callers hold the
relay's lease so that positions only grow (store/recovery.py's leases).
Raises DatabaseUnavailable when the retry budget is spent.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from ..domain.order_view import IMMUTABLE, completed_view
from .documents import Consolidation, Delivery, Order, OrderEvent
from .retry import RetryPolicy

Doc = dict[str, Any]
_DUPLICATE_KEY = 11000
SOURCES = ("orders", "consolidations")


def _events() -> "Collection[Doc]":
    return OrderEvent._get_collection()


def _deliveries() -> "Collection[Doc]":
    return Delivery._get_collection()


def _source(name: str) -> "Collection[Doc]":
    return (Order if name == "orders" else Consolidation)._get_collection()


def subject_of(source: str, doc_id: str) -> str:
    """What an event is about, for in-order delivery: the order id, or the consolidation run."""
    return doc_id if source == "orders" else f"consolidation:{doc_id}"


def _insert_all(collection: "Collection[Doc]", docs: list[Doc]) -> None:
    """Insert ``docs``, ignoring those already there (a repeated copy); other errors raise."""
    if not docs:
        return
    try:
        collection.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        if any(error.get("code") != _DUPLICATE_KEY for error in exc.details.get("writeErrors", [])):
            raise


class OutboxStore:
    """The relay's reads and its three idempotent writes."""

    def __init__(self, retry: RetryPolicy) -> None:
        self.retry = retry

    def with_pending_events(self, source: str, limit: int) -> list[Doc]:
        """Documents of ``source`` ("orders" or "consolidations") whose events are not all copied."""
        # The order's fixed parts complete an event a presumed update pushed (domain/order_view.py).
        projection = {"events": 1, "event_seq": 1, "events_relayed": 1, **dict.fromkeys(IMMUTABLE, 1)}
        return self.retry.run(
            lambda: list(_source(source).find({"events_pending": True}, projection).limit(limit)),
            "outbox_pending_sources",
        )

    def last_position(self) -> int:
        """The highest feed position taken so far (0 for none)."""
        last = self.retry.run(
            lambda: _events().find_one({}, {"position": 1}, sort=[("position", DESCENDING)]), "outbox_last_position"
        )
        return int(last["position"]) if last else 0

    def copy(
        self, source: str, doc: Mapping[str, Any], endpoints: Iterable[str], first_position: int, now: datetime
    ) -> int:
        """Copy ``doc``'s events not yet relayed to ``order_events`` (positions from
        ``first_position``) with a pending delivery per endpoint, then clear its flag.
        Returns how many positions were taken. Idempotent."""
        subject = subject_of(source, doc["_id"])

        def data(event: Mapping[str, Any]) -> Doc:
            return completed_view(doc, event["data"]) if source == "orders" else event["data"]

        relayed = int(doc.get("events_relayed") or 0)
        fresh = sorted((e for e in doc.get("events") or () if e["seq"] > relayed), key=lambda e: e["seq"])
        rows = [
            {"_id": e["id"], "subject": subject, "seq": e["seq"], "type": e["type"], "at": e["at"], "data": data(e)}
            for e in fresh
        ]
        for offset, row in enumerate(rows):
            row["position"] = first_position + offset
        # One at a time, in position order: a feed reader never sees a position before a lower one.
        for row in rows:
            self._insert_event(row)
        # The position the event really has (a repeated copy keeps the first one's).
        stored = self.retry.run(
            lambda: {r["_id"]: r["position"] for r in _events().find({"_id": {"$in": [r["_id"] for r in rows]}})},
            "outbox_event_positions",
        )
        deliveries = [
            {
                "_id": f"{row['_id']}@{endpoint}",
                "event_id": row["_id"],
                "endpoint": endpoint,
                "subject": subject,
                "seq": row["seq"],
                "position": stored.get(row["_id"], row["position"]),
                "state": "pending",
                "attempts": 0,
                "log": [],
                "next_attempt_at": now,
                "created_at": now,
            }
            for row in rows
            for endpoint in endpoints
        ]
        self.retry.run(lambda: _insert_all(_deliveries(), deliveries), "outbox_copy_deliveries")
        if len(stored) < len(rows):  # a position taken by another relay: leave the flag, copy again
            return len(rows)
        seen = int(doc.get("event_seq") or 0)
        self.retry.run(
            lambda: _source(source).update_one(
                {"_id": doc["_id"], "event_seq": seen},
                {"$set": {"events_pending": False, "events_relayed": seen}},
            ),
            "outbox_mark_relayed",
        )
        return len(rows)

    def _insert_event(self, row: Doc) -> None:
        self.retry.run(lambda: _insert_all(_events(), [dict(row)]), "outbox_copy_event")

    # -- the feed -----------------------------------------------------------------------------
    def after(self, position: int, limit: int) -> list[Doc]:
        """Copied events with a position above ``position``, in position order."""
        return self.retry.run(
            lambda: list(_events().find({"position": {"$gt": position}}).sort("position", 1).limit(limit)),
            "outbox_feed",
        )

    def events_by_id(self, event_ids: Iterable[str]) -> dict[str, Doc]:
        """Copied events by id."""
        ids = list(event_ids)
        return self.retry.run(lambda: {e["_id"]: e for e in _events().find({"_id": {"$in": ids}})}, "outbox_events")

    def for_subject(self, subject: str) -> list[Doc]:
        """The copied events of one order (or run), in sequence."""
        return self.retry.run(lambda: list(_events().find({"subject": subject}).sort("seq", 1)), "outbox_subject")
