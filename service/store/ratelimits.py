"""Rate-limit counters shared by every process and dyno: one document per (scope, client,
window), incremented with one command, deleted by a TTL index after its window.

Written with ``w: 1`` on purpose: a counter is not money, and the majority write concern of
the money-recording collections would add a replication round trip to every checkout.
Raises DatabaseUnavailable when the retry budget is spent.
"""

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError
from pymongo.write_concern import WriteConcern

from .documents import RateLimitCounter
from .retry import RetryPolicy

Doc = dict[str, Any]


def _counters() -> "Collection[Doc]":
    return RateLimitCounter._get_collection().with_options(write_concern=WriteConcern(w=1))


class RateLimitStore:
    """The ``rate_limits`` collection; ``retry`` bounds every call."""

    def __init__(self, retry: RetryPolicy) -> None:
        self.retry = retry

    def hit(self, counter_id: str, expires_at: datetime) -> int:
        """Count one request against ``counter_id``; returns the count including it. A retried
        call may count one request twice: that can only refuse a client one request sooner."""

        def increment() -> int:
            counter = _counters().find_one_and_update(
                {"_id": counter_id},
                {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": expires_at}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            return int(counter["count"]) if counter else 1

        def op() -> int:
            try:
                return increment()
            except DuplicateKeyError:  # lost the race to create the window's counter: it exists now
                return increment()

        return self.retry.run(op, "rate_limit_hit")
