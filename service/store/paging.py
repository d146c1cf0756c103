"""Reading a time range of a large collection a page at a time, in bounded memory.

Pages follow the (created, _id) index. The documents of the second a page ended in are
skipped by count on the next page rather than with an ``$or`` on (created, _id), because
the embedded database serves an ``$or`` with a collection scan.
"""

from collections.abc import Callable, Iterator
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection

from .retry import RetryPolicy

Doc = dict[str, Any]
PAGE = 500


def paged_by_created(
    collection: Callable[[], "Collection[Doc]"], retry: RetryPolicy, start: int, end: int, what: str
) -> Iterator[Doc]:
    """Documents with ``created`` in [start, end), in (created, _id) order, ``PAGE`` per query."""
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
    """Documents matching ``equal`` with ``field`` in [start, end), in (field, _id) order,
    ``PAGE`` per query: each query one index range (``equal``'s fields, then ``field``)."""
    low, skip = start, 0
    while True:

        def page_op(low: Any = low, skip: int = skip) -> list[Doc]:
            cursor = collection().find({**equal, field: {"$gte": low, "$lt": end}})
            return list(cursor.sort([(field, ASCENDING), ("_id", ASCENDING)]).skip(skip).limit(PAGE))

        page = retry.run(page_op, what)
        yield from page
        if len(page) < PAGE:
            return
        last = page[-1][field]
        same = sum(1 for doc in page if doc[field] == last)
        skip = skip + same if last == low else same
        low = last
