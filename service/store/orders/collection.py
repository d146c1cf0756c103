"""The ``orders`` collection and the time its writes stamp."""

from datetime import datetime
from typing import Any

from pymongo.collection import Collection

from ...clock import utcnow
from ..documents import Order

Doc = dict[str, Any]


def orders_collection() -> "Collection[Doc]":
    return Order._get_collection()


def now_ms() -> datetime:
    # Milliseconds, as MongoDB stores them: an event's data then reads as it was written.
    now = utcnow()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
