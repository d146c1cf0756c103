"""Paging a time range by adaptive windows: every document once, in (field, _id) order,
however the documents cluster."""

import random

import pytest

from service.store.paging import PAGE, paged_range
from service.store.retry import RetryPolicy


@pytest.fixture
def collection(raw_db):
    raw_db.paging.create_index([("created", 1), ("_id", 1)])
    yield raw_db.paging
    raw_db.paging.drop()


@pytest.mark.parametrize("layout", ["dense second", "sparse", "bursts"])
def test_every_document_in_the_range_comes_once_in_order(collection, layout):
    """Dense seconds (more than a page in one second), sparse gaps and bursts: nothing lost or repeated."""
    rng = random.Random(layout)
    if layout == "dense second":
        times = [1000] * (PAGE * 2 + 7) + [1001] * 3
    elif layout == "sparse":
        times = [1000 + rng.randrange(0, 30 * 86400) for _ in range(400)]
    else:
        times = [base + rng.randrange(0, 5) for base in (5000, 90000, 600000) for _ in range(700)]
    docs = [{"_id": f"d{index:05d}", "created": when} for index, when in enumerate(times)]
    collection.insert_many(docs)
    start, end = min(times), max(times)  # the last second is outside [start, end)
    got = list(paged_range(lambda: collection, RetryPolicy(1, 5, 0), {}, "created", start, end, "test"))
    expected = sorted((doc["created"], doc["_id"]) for doc in docs if start <= doc["created"] < end)
    assert [(doc["created"], doc["_id"]) for doc in got] == expected
