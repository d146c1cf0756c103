"""Inbox retention: a partial TTL index that deletes applied/ignored inbox rows after a
configurable period and never touches ``received`` or ``failed`` rows.

Rows must outlive Stripe's own retention (events are listable for 30 days), so a late
redelivery or an Events-API sweep always finds its row; ``INBOX_RETENTION_SECONDS``
defaults to 90 days and config refuses less than 30. Only applied/ignored rows carry
``applied_at``; the partial filter says so explicitly as well.

``ensure_inbox_retention`` is idempotent and changes an existing index in place: a new
period is applied with ``collMod`` (no rebuild); a different filter or key means drop and
recreate. mongoengine's ``ensure_indexes`` cannot do either, which is why this index is
not declared in documents.py.
"""

from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection

from ..domain.inbox import FINISHED as FINISHED_STATES

INDEX_NAME = "inbox_retention"
KEYS = [("applied_at", ASCENDING)]
FINISHED = {"state": {"$in": list(FINISHED_STATES)}}


def ensure_inbox_retention(collection: "Collection[Any]", seconds: int) -> str:
    """Make ``collection`` (the inbox) expire finished rows ``seconds`` after ``applied_at``.
    Returns what was done: "created", "unchanged", "updated" or "recreated"."""
    existing = collection.index_information().get(INDEX_NAME)
    if existing is None:
        _create(collection, seconds)
        return "created"
    same_shape = list(existing["key"]) == KEYS and _plain(existing.get("partialFilterExpression")) == FINISHED
    if same_shape and existing.get("expireAfterSeconds") == seconds:
        return "unchanged"
    if same_shape:
        collection.database.command(
            {"collMod": collection.name, "index": {"name": INDEX_NAME, "expireAfterSeconds": seconds}}
        )
        return "updated"
    collection.drop_index(INDEX_NAME)
    _create(collection, seconds)
    return "recreated"


def _create(collection: "Collection[Any]", seconds: int) -> None:
    collection.create_index(KEYS, name=INDEX_NAME, expireAfterSeconds=seconds, partialFilterExpression=FINISHED)


def _plain(value: Any) -> Any:
    # index_information() returns SON and tuples; compare as plain dicts and lists.
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
