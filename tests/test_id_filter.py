"""A conditional write's filter in its planner-friendly form matches exactly what the plain
filter matches, on the real database (store/id_filter.py)."""

from service.store.id_filter import served_by_id

DOCS = [
    {"_id": "missing"},
    {"_id": "null", "v": None},
    {"_id": "value", "v": "pending"},
    {"_id": "other", "v": "paid"},
    {"_id": "array", "v": ["paid", "pending"]},
    {"_id": "number", "v": 1500},
    {"_id": "float", "v": 1500.0},
    {"_id": "flag", "v": True},
]


def test_the_rewritten_filter_matches_the_same_documents(raw_db):
    """For each scalar equality (None included) the two filters select the same documents."""
    scratch = raw_db["id_filter_scratch"]
    scratch.insert_many(DOCS)
    for value in (None, "pending", "paid", 1500, True, False):
        for _id in [d["_id"] for d in DOCS]:
            plain = {"_id": _id, "v": value}
            assert served_by_id(plain) == {"_id": _id, "v": {"$not": {"$ne": value}}}
            assert scratch.count_documents(served_by_id(plain)) == scratch.count_documents(plain), (value, _id)
    assert scratch.count_documents(served_by_id({"_id": "null", "v": None})) == 1


def test_operators_and_documents_keep_their_form():
    """Operator clauses, embedded documents and the ``_id`` term are left as they are."""
    query = {"_id": "o1", "history.source": {"$ne": "evt"}, "event_seq": {"$in": [0, None]}, "items": [1]}
    assert served_by_id(query) == query
