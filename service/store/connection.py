"""Database connection, indexes and readiness: the only code that opens or closes the client.

The client is created lazily (``connect=False``) so nothing touches the network before
gunicorn forks its workers. Every write is acknowledged by a majority of the replica set
(``w="majority"``, DB_WRITE_CONCERN) and journaled (``journal=True``): an acknowledged order,
inbox row or ledger entry survives ``kill -9`` of the database and a failover (a ``w: 1``
write can be rolled back when the primary that took it steps down before a secondary has
it). Rate-limit counters, which are not money, are written ``w: 1`` (ratelimits.py). pymongo's own
retryable reads/writes are switched off so that retries are not stacked: ``RetryPolicy``
(retry.py) is the only retry layer, bounded by attempts, by total time
per call and, for a webhook request, by one deadline for the whole request
(``request_deadline``): no attempt starts after it, an attempt in its last socket timeout
runs under pymongo's client-side operation timeout so it cannot outlive it, and a call that
meets it raises DatabaseUnavailable.
"""

from typing import Any

import mongoengine as me
from pymongo.errors import ConnectionFailure

from ..config import DEFAULT_INBOX_RETENTION_SECONDS, DEFAULT_JOURNAL_RETENTION_SECONDS, Settings
from .documents import DOCUMENTS, StripeCall, StripeEvent
from .retention import ensure_inbox_retention, ensure_journal_retention


def connect(settings: Settings) -> Any:
    """(Re)register the default mongoengine connection for ``settings``; no I/O happens here."""
    me.disconnect()
    return me.connect(
        host=settings.mongodb_uri,
        db=settings.db_name,
        connect=False,
        w=settings.write_concern,
        journal=True,
        wTimeoutMS=settings.db_socket_timeout_ms,  # the server answers before our socket gives up
        retryWrites=False,
        retryReads=False,
        serverSelectionTimeoutMS=settings.db_timeout_ms,
        connectTimeoutMS=settings.db_timeout_ms,
        socketTimeoutMS=settings.db_socket_timeout_ms,
        tz_aware=True,
        uuidRepresentation="standard",
    )


def disconnect() -> None:
    """Close the default connection (idempotent)."""
    me.disconnect()


def ensure_indexes(
    inbox_retention_seconds: int = DEFAULT_INBOX_RETENTION_SECONDS,
    journal_retention_seconds: int = DEFAULT_JOURNAL_RETENTION_SECONDS,
) -> str:
    """Create every collection's indexes and the retention TTL indexes of the inbox and the
    call journal with the given periods (changed in place if they differ). Idempotent;
    raises on database errors. Returns what was done to the inbox retention index."""
    for document in DOCUMENTS:
        document.ensure_indexes()
    ensure_journal_retention(StripeCall._get_collection(), journal_retention_seconds)
    return ensure_inbox_retention(StripeEvent._get_collection(), inbox_retention_seconds)


def ping() -> bool:
    """Return True when the database answers a ping within the server-selection timeout."""
    try:
        me.get_db().client.admin.command("ping")
        return True
    except ConnectionFailure:
        return False
