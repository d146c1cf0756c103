"""Deliveries of order events to each shop endpoint: what is due, what must wait for an
earlier event of the same order, the outcome of each attempt, replay of dead letters and the
numbers the operator watches.

Every state change is conditional on the state it was decided from (a delivery is marked
delivered or failed only while pending), so two delivery passes cannot undo each other's
outcome. Raises DatabaseUnavailable when the retry budget is spent.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pymongo.collection import Collection

from .documents import Delivery, OutboxEndpoint
from .retry import RetryPolicy

Doc = dict[str, Any]
PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
STATES = (PENDING, DELIVERED, DEAD)
LOG_KEPT = 20  # the attempts kept per delivery (the count of all of them is ``attempts``)


def _deliveries() -> "Collection[Doc]":
    return Delivery._get_collection()


def _endpoints() -> "Collection[Doc]":
    return OutboxEndpoint._get_collection()


class DeliveryStore:
    """The ``order_event_deliveries`` and ``outbox_endpoints`` collections."""

    def __init__(self, retry: RetryPolicy) -> None:
        self.retry = retry

    def due(self, endpoint: str, now: datetime, limit: int) -> list[Doc]:
        """Pending deliveries to ``endpoint`` whose time has come, oldest event first."""
        query = {"endpoint": endpoint, "state": PENDING, "next_attempt_at": {"$lte": now}}
        return self.retry.run(
            lambda: list(_deliveries().find(query).sort([("position", 1)]).limit(limit)), "deliveries_due"
        )

    def earlier_undelivered(self, delivery: Mapping[str, Any]) -> Doc | None:
        """The earliest event of the same order not yet delivered to this endpoint (pending or
        dead), which this one must wait for; None when there is none."""
        query = {
            "endpoint": delivery["endpoint"],
            "subject": delivery["subject"],
            "seq": {"$lt": delivery["seq"]},
            "state": {"$ne": DELIVERED},
        }
        projection = {"state": 1, "next_attempt_at": 1}
        return self.retry.run(
            lambda: _deliveries().find_one(query, projection, sort=[("seq", 1)]), "deliveries_earlier"
        )

    def postpone(self, delivery: Mapping[str, Any], until: datetime) -> None:
        """A waiting delivery is not due before ``until`` (when the one it waits for is next
        tried), so waiting rows do not fill every pass's batch. Conditional: a no-op if the
        row moved on meanwhile."""
        query = {"_id": delivery["_id"], "state": PENDING, "next_attempt_at": delivery["next_attempt_at"]}
        self.retry.run(
            lambda: _deliveries().update_one(query, {"$set": {"next_attempt_at": until}}), "delivery_postpone"
        )

    def claim(self, delivery: Mapping[str, Any], now: datetime, until: datetime) -> bool:
        """Take a due pending delivery for one attempt (it is not due again before ``until``,
        the attempt's timeout and a margin), so two delivery workers do not send it at once.
        False when another worker took it first. A crash after the claim retries at ``until``."""
        query = {"_id": delivery["_id"], "state": PENDING, "next_attempt_at": delivery["next_attempt_at"]}
        update = {"$set": {"next_attempt_at": until}}
        result = self.retry.run(lambda: _deliveries().update_one(query, update), "delivery_claim")
        return result.modified_count == 1

    def succeeded(self, delivery_id: str, attempt: Mapping[str, Any], now: datetime) -> bool:
        """Mark a pending delivery delivered, logging ``attempt``. True when this call did."""
        update = {
            "$set": {"state": DELIVERED, "delivered_at": now},
            "$inc": {"attempts": 1},
            "$push": {"log": {"$each": [dict(attempt)], "$slice": -LOG_KEPT}},
        }
        return self._pending_update(delivery_id, update, "delivery_succeeded")

    def failed(
        self, delivery: Mapping[str, Any], attempt: Mapping[str, Any], now: datetime, retry_at: datetime | None
    ) -> bool:
        """Record a failed attempt: pending again at ``retry_at``, or dead when it is None."""
        changes: Doc = {"next_attempt_at": retry_at or now, "state": PENDING if retry_at else DEAD}
        if delivery.get("first_attempt_at") is None:
            changes["first_attempt_at"] = now
        update = {
            "$set": changes,
            "$inc": {"attempts": 1},
            "$push": {"log": {"$each": [dict(attempt)], "$slice": -LOG_KEPT}},
        }
        return self._pending_update(delivery["_id"], update, "delivery_failed")

    def _pending_update(self, delivery_id: str, update: Doc, what: str) -> bool:
        result = self.retry.run(lambda: _deliveries().update_one({"_id": delivery_id, "state": PENDING}, update), what)
        return result.modified_count == 1

    def replay(self, *, event_id: str | None = None, subject: str | None = None, now: datetime) -> int:
        """Dead letters (of one event, one order, or all with neither) back to pending, due
        now, with a fresh retry budget; the pending deliveries waiting behind them are due now
        too. Returns how many dead letters. Idempotent."""
        query: Doc = {"state": DEAD}
        if event_id:
            query["event_id"] = event_id
        if subject:
            query["subject"] = subject

        def op() -> int:
            subjects = _deliveries().distinct("subject", query)
            update = {"$set": {"state": PENDING, "next_attempt_at": now, "first_attempt_at": None}}
            count = _deliveries().update_many(query, update).modified_count
            waiting = {"state": PENDING, "subject": {"$in": subjects}, "next_attempt_at": {"$gt": now}}
            _deliveries().update_many(waiting, {"$set": {"next_attempt_at": now}})
            return count

        return self.retry.run(op, "deliveries_replay")

    def for_events(self, event_ids: Iterable[str]) -> list[Doc]:
        """Every delivery of these events, for the operator's views."""
        ids = list(event_ids)
        return self.retry.run(
            lambda: list(_deliveries().find({"event_id": {"$in": ids}}).sort([("position", 1), ("endpoint", 1)])),
            "deliveries_for_events",
        )

    # -- endpoint health ------------------------------------------------------------------------
    def endpoint_answered(self, endpoint: str, ok: bool, now: datetime) -> datetime | None:
        """Count a failure (and remember since when the endpoint fails) or clear it on a
        success. Returns since when the endpoint has been failing (None: it answered)."""
        if ok:
            update: Doc = {"$set": {"failing_since": None, "last_success_at": now}}
            self.retry.run(lambda: _endpoints().update_one({"_id": endpoint}, update, upsert=True), "endpoint_ok")
            return None
        self.retry.run(
            lambda: _endpoints().update_one({"_id": endpoint}, {"$inc": {"failures": 1}}, upsert=True),
            "endpoint_failed",
        )
        self.retry.run(
            lambda: _endpoints().update_one({"_id": endpoint, "failing_since": None}, {"$set": {"failing_since": now}}),
            "endpoint_failing_since",
        )
        health = self.retry.run(lambda: _endpoints().find_one({"_id": endpoint}), "endpoint_health")
        since: datetime | None = (health or {}).get("failing_since")
        return since

    def stats(self) -> dict[str, Doc]:
        """Per endpoint: pending and dead counts, the oldest pending delivery's creation time,
        failures so far and since when it has been failing."""
        pipeline: list[Doc] = [
            {"$match": {"state": {"$in": [PENDING, DEAD]}}},
            {
                "$group": {
                    "_id": {"endpoint": "$endpoint", "state": "$state"},
                    "n": {"$sum": 1},
                    "oldest": {"$min": "$created_at"},
                }
            },
        ]

        def op() -> dict[str, Doc]:
            out: dict[str, Doc] = {}
            for health in _endpoints().find():
                out[health["_id"]] = {
                    "pending": 0,
                    "dead": 0,
                    "oldest_pending_at": None,
                    "failures": health.get("failures", 0),
                    "failing_since": health.get("failing_since"),
                }
            for row in _deliveries().aggregate(pipeline):
                entry = out.setdefault(
                    row["_id"]["endpoint"],
                    {"pending": 0, "dead": 0, "oldest_pending_at": None, "failures": 0, "failing_since": None},
                )
                entry[row["_id"]["state"]] = row["n"]
                if row["_id"]["state"] == PENDING:
                    entry["oldest_pending_at"] = row["oldest"]
            return out

        return self.retry.run(op, "deliveries_stats")
