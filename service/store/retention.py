"""Retention: partial TTL indexes that delete finished rows after a configurable period.

The inbox: applied/ignored rows expire; ``received`` and ``failed`` rows never do.

Rows must outlive Stripe's own retention (events are listable for 30 days), so a late
redelivery or an Events-API sweep always finds its row; ``INBOX_RETENTION_SECONDS``
defaults to 90 days and config refuses less than 30. Only applied/ignored rows carry
``applied_at``; the partial filter says so explicitly as well.

``ensure_inbox_retention`` is idempotent and changes an existing index in place: a new
period is applied with ``collMod`` (no rebuild); a different filter or key means drop and
recreate. mongoengine's ``ensure_indexes`` cannot do either, which is why this index is
not declared in documents.py.

The journal of Stripe calls: reads (GET) expire after ``JOURNAL_RETENTION_SECONDS`` once
completed; calls that can move money (POST) carry ``money: true`` and are kept as long as
the ledger, i.e. never deleted.
"""

from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection

from ..domain.inbox import FINISHED as FINISHED_STATES

INDEX_NAME = "inbox_retention"
KEYS = [("applied_at", ASCENDING)]
FINISHED = {"state": {"$in": list(FINISHED_STATES)}}
JOURNAL_INDEX_NAME = "journal_retention"
JOURNAL_KEYS = [("completed_at", ASCENDING)]
JOURNAL_EXPIRING = {"money": False, "completed_at": {"$exists": True}}


def ensure_inbox_retention(collection: "Collection[Any]", seconds: int) -> str:
    """Make ``collection`` (the inbox) expire finished rows ``seconds`` after ``applied_at``.
    Returns what was done: "created", "unchanged", "updated" or "recreated"."""
    return ensure_ttl_index(collection, INDEX_NAME, KEYS, FINISHED, seconds)


def ensure_journal_retention(collection: "Collection[Any]", seconds: int) -> str:
    """Make ``collection`` (the call journal) expire completed reads ``seconds`` after they
    completed; money-moving calls and calls still ``sent`` never expire. Same return values."""
    # A ``sent`` record has no ``completed_at``, so the filter never matches it.
    return ensure_ttl_index(collection, JOURNAL_INDEX_NAME, JOURNAL_KEYS, JOURNAL_EXPIRING, seconds)


def ensure_ttl_index(
    collection: "Collection[Any]", name: str, keys: list[tuple[str, int]], partial: dict[str, Any], seconds: int
) -> str:
    """Create or adjust the TTL index ``name`` (idempotent): a new period is applied in place
    with ``collMod``; a different key or filter means drop and recreate."""
    existing = collection.index_information().get(name)
    if existing is None:
        _create(collection, name, keys, partial, seconds)
        return "created"
    same_shape = list(existing["key"]) == keys and _plain(existing.get("partialFilterExpression")) == partial
    if same_shape and existing.get("expireAfterSeconds") == seconds:
        return "unchanged"
    if same_shape:
        collection.database.command(
            {"collMod": collection.name, "index": {"name": name, "expireAfterSeconds": seconds}}
        )
        return "updated"
    collection.drop_index(name)
    _create(collection, name, keys, partial, seconds)
    return "recreated"


def _create(
    collection: "Collection[Any]", name: str, keys: list[tuple[str, int]], partial: dict[str, Any], seconds: int
) -> None:
    collection.create_index(keys, name=name, expireAfterSeconds=seconds, partialFilterExpression=partial)


def _plain(value: Any) -> Any:
    # index_information() returns SON and tuples; compare as plain dicts and lists.
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
