"""Reading a time range of a large collection a page at a time, in bounded memory and at a
cost per page that does not grow with the collection.

Each query is one index range with *both* ends bounded: a window [low, low + width) of the
range field (after any equality fields), sorted by (field, _id). The embedded database
materialises every document of a query's range before applying ``limit``, so an open-ended
range costs the whole rest of the period per page; a window costs what is in it. The width
adapts to the density: it doubles while windows come back sparse and halves when one is
full (a full window is paged with ``skip`` before moving on). The same queries are cheap on
mongod, which stops at the limit.
"""

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection

from .retry import RetryPolicy

Doc = dict[str, Any]
PAGE = 500
FIRST_WIDTH = 300  # seconds
MAX_WIDTH = 7 * 86400


def paged_by_created(
    collection: Callable[[], "Collection[Doc]"], retry: RetryPolicy, start: int, end: int, what: str
) -> Iterator[Doc]:
    """Documents with ``created`` (unix seconds) in [start, end), in (created, _id) order."""
    return paged_range(collection, retry, {}, "created", start, end, what)


def paged_range(
    collection: Callable[[], "Collection[Doc]"],
    retry: RetryPolicy,
    equal: Doc,
    field: str,
    start: Any,
    end: Any,
    what: str,
) -> Iterator[Doc]:
    """Documents matching ``equal`` with ``field`` (unix seconds or datetimes) in [start, end),
    in (field, _id) order, at most ``PAGE`` per query."""
    low, width, skip = start, FIRST_WIDTH, 0
    high = min(end, _plus(low, width))
    while low < end:

        def page_op(low: Any = low, high: Any = high, skip: int = skip) -> list[Doc]:
            cursor = collection().find({**equal, field: {"$gte": low, "$lt": high}})
            return list(cursor.sort([(field, ASCENDING), ("_id", ASCENDING)]).skip(skip).limit(PAGE))

        page = retry.run(page_op, what)
        yield from page
        if len(page) == PAGE:  # the window holds more: page on inside it; the next one narrower
            skip += PAGE
            width = max(1, width // 2)
            continue
        if len(page) < PAGE // 4:
            width = min(MAX_WIDTH, width * 2)
        low, skip = high, 0
        high = min(end, _plus(low, width))


def _plus(value: Any, seconds: int) -> Any:
    return value + timedelta(seconds=seconds) if isinstance(value, datetime) else value + seconds
