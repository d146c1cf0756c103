"""Queries and writes the reconciler needs: stuck orders, unapplied inbox rows, the event
sweep's checkpoint and its lease.

Every query here is served by an index (see documents.py), so its cost grows with the stuck
work, not with the history: stuck orders by (status, expected_by), unapplied inbox rows by
(state, received_at) and (state, attempts). Raises DatabaseUnavailable when the retry budget
is spent.
"""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from ..domain.inbox import FAILED, RECEIVED
from ..domain.orders import OPEN_STATUSES
from .documents import Checkpoint, Lease, Order, StripeEvent
from .retry import RetryPolicy

Doc = dict[str, Any]
# The reconciler's queries are shaped for their indexes (an equality on the leading field, a
# range on the second, no $in/$or, no hint) because SecantusDB 0.7 serves only that shape from
# index bounds: it scans the collection for an $in/$or prefix and walks the whole index for a
# hinted find or count (its explain still reports the bounded plan). mongod serves it the same way.


def stuck_order_queries(cutoff: datetime) -> list[Doc]:
    """One filter per open status for orders whose deadline is before ``cutoff``, each a
    (status, expected_by) index range."""
    return [{"status": status, "expected_by": {"$lt": cutoff}} for status in OPEN_STATUSES]


def unapplied_events_queries(received_before: datetime, max_attempts: int) -> tuple[Doc, Doc]:
    """The two filters for inbox rows stored but not applied: ``received`` ones older than
    ``received_before`` (a (state, received_at) range), and parked ones still under the
    replay limit (a (state, attempts) range; their age is checked by the caller)."""
    return (
        {"state": RECEIVED, "received_at": {"$lt": received_before}},
        {"state": FAILED, "attempts": {"$lt": max_attempts}},
    )


def _first(
    collection: "Collection[Doc]", query: Doc, sort: Sequence[tuple[str, int]], limit: int, keep: Callable[[Doc], bool]
) -> list[Doc]:
    """The first ``limit`` documents of ``query`` in ``sort`` order for which ``keep`` is true,
    read with a server-side limit (doubled while ``keep`` rejected some and more may exist)."""
    fetch = limit
    while True:
        docs = list(collection.find(query).sort(sort).limit(fetch))
        kept = [doc for doc in docs if keep(doc)]
        if len(kept) >= limit or len(docs) < fetch:
            return kept[:limit]
        fetch *= 2


class RecoveryStore:
    """Reads and writes of the reconciler; ``retry`` bounds every call."""

    def __init__(self, retry: RetryPolicy) -> None:
        self.retry = retry

    def find_stuck_orders(self, cutoff: datetime, limit: int, after: tuple[datetime, str] | None = None) -> list[Doc]:
        """Up to ``limit`` open orders past their deadline, the most overdue first, starting
        after the (expected_by, _id) key ``after`` so a pass pages through all of them.

        One (status, expected_by) range per open status, merged here (see stuck_order_queries)."""

        def key(doc: Doc) -> tuple[datetime, str]:
            return doc["expected_by"], doc["_id"]

        def op() -> list[Doc]:
            found: list[Doc] = []
            for query in stuck_order_queries(cutoff):
                if after is not None:
                    query["expected_by"]["$gte"] = after[0]
                found += _first(
                    Order._get_collection(),
                    query,
                    [("expected_by", ASCENDING), ("_id", ASCENDING)],
                    limit,
                    keep=lambda doc: after is None or key(doc) > tuple(after),
                )
            return sorted(found, key=key)[:limit]

        return self.retry.run(op, "find_stuck_orders")

    def find_unapplied_events(self, received_before: datetime, max_attempts: int, limit: int) -> list[Doc]:
        """Up to ``limit`` inbox rows to re-apply, oldest first (see unapplied_events_queries).
        Parked rows under the limit are few: each pass that fails on one raises its attempts."""

        def op() -> list[Doc]:
            events = StripeEvent._get_collection()
            received, parked = unapplied_events_queries(received_before, max_attempts)
            rows = list(events.find(received).sort("received_at", ASCENDING).limit(limit))
            rows += [row for row in events.find(parked).limit(max(limit, 1000)) if row["received_at"] < received_before]
            return sorted(rows, key=lambda row: row["received_at"])[:limit]

        return self.retry.run(op, "find_unapplied_events")

    # -- checkpoint and lease ---------------------------------------------------
    def get_checkpoint(self, name: str) -> int | None:
        """The stored value of checkpoint ``name``, or None."""
        doc = self.retry.run(lambda: Checkpoint._get_collection().find_one({"_id": name}), "get_checkpoint")
        return None if doc is None else doc["value"]

    def set_checkpoint(self, name: str, value: int, now: datetime) -> None:
        """Raise checkpoint ``name`` to ``value`` (never lowers it). Idempotent."""
        self.retry.run(
            lambda: Checkpoint._get_collection().update_one(
                {"_id": name}, {"$max": {"value": value}, "$set": {"updated_at": now}}, upsert=True
            ),
            "set_checkpoint",
        )

    def claim_window(self, name: str, now: int, until: int) -> bool:
        """Claim the scheduled run of ``name`` for the window ending at ``until`` (unix ms):
        True for exactly one caller per window, whichever worker asks first; False when the
        window (or a later one) is taken. One conditional upsert on checkpoint ``name``."""

        def op() -> bool:
            try:
                Checkpoint._get_collection().update_one(
                    {"_id": name, "value": {"$lte": now}},
                    {"$set": {"value": until, "updated_at": datetime.fromtimestamp(now / 1000, UTC)}},
                    upsert=True,
                )
                return True
            except DuplicateKeyError:  # the window is taken: the checkpoint exists with a later end
                return False

        return self.retry.run(op, "claim_window")

    def acquire_lease(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        """Take or renew lease ``name`` for ``owner`` until ``until``; False if another holds it."""

        def op() -> bool:
            try:
                return (
                    Lease._get_collection().find_one_and_update(
                        {"_id": name, "$or": [{"expires_at": {"$lt": now}}, {"owner": owner}]},
                        {"$set": {"owner": owner, "expires_at": until}},
                        upsert=True,
                        return_document=ReturnDocument.AFTER,
                    )
                    is not None
                )
            except DuplicateKeyError:  # the lease exists, is live and is someone else's
                return False

        return self.retry.run(op, "acquire_lease")

    def release_lease(self, name: str, owner: str) -> None:
        """Give the lease up if ``owner`` holds it (idempotent)."""
        self.retry.run(lambda: Lease._get_collection().delete_one({"_id": name, "owner": owner}), "release_lease")
