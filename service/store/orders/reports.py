"""The orders the consolidation report reads: by payment, and settled ones by creation time."""

from collections.abc import Iterable, Iterator
from datetime import datetime

from ...domain.orders import SETTLED_STATUSES
from ..paging import paged_range
from ..retry import RetryPolicy
from .collection import Doc, orders_collection


class OrderReports:
    """The report reads of OrderStore (which sets ``retry``)."""

    retry: RetryPolicy

    def for_payments(self, order_ids: Iterable[str], payment_intent_ids: Iterable[str]) -> list[Doc]:
        """Orders named by any of ``order_ids`` or holding any of ``payment_intent_ids``."""
        query = {"$or": [{"_id": {"$in": list(order_ids)}}, {"payment_intent_id": {"$in": list(payment_intent_ids)}}]}
        return self.retry.run(lambda: list(orders_collection().find(query)), "orders_for_payments")

    def settled_between(self, since: datetime, until: datetime) -> list[Doc]:
        """Paid or needs-review orders created in [since, until)."""
        query = {"status": {"$in": list(SETTLED_STATUSES)}, "created_at": {"$gte": since, "$lt": until}}
        return self.retry.run(lambda: list(orders_collection().find(query)), "settled_orders_between")

    def settled_created_in(self, since: datetime, until: datetime) -> Iterator[Doc]:
        """Paid or needs-review orders created in [since, until), a page at a time per status
        (each page one (status, created_at) index range: bounded memory for any period)."""
        for status in SETTLED_STATUSES:
            yield from paged_range(
                orders_collection, self.retry, {"status": status}, "created_at", since, until, "settled_orders"
            )
