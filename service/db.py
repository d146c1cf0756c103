"""Database connection, indexes, and the one retry policy for transient database errors.

The client is created lazily (``connect=False``) so nothing touches the network before
gunicorn forks its workers. Every write is journaled (``journal=True`` on the client):
an acknowledged order or inbox row survives ``kill -9`` of the database. pymongo's own
retryable reads/writes are switched off so that retries are not stacked: ``retrying``
below is the only retry layer, bounded by attempts and by total time.
"""
import logging
import time

import mongoengine as me
from pymongo.errors import ConnectionFailure, OperationFailure
from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay
from tenacity import wait_exponential, wait_none

from .config import DEFAULT_INBOX_RETENTION_SECONDS
from .errors import DatabaseUnavailable
from .logs import log
from .models import DOCUMENTS, StripeEvent
from .retention import ensure_inbox_retention

logger = logging.getLogger("service.db")

# Server error codes that mean "try again" (shutdown, step-down, network, time limits).
_TRANSIENT_CODES = {6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436}


def connect(settings):
    """(Re)register the default mongoengine connection for ``settings``; no I/O happens here."""
    me.disconnect()
    return me.connect(
        host=settings.mongodb_uri,
        db=settings.db_name,
        connect=False,
        journal=True,
        retryWrites=False,
        retryReads=False,
        serverSelectionTimeoutMS=settings.db_timeout_ms,
        connectTimeoutMS=settings.db_timeout_ms,
        socketTimeoutMS=settings.db_socket_timeout_ms,
        tz_aware=True,
        uuidRepresentation="standard",
    )


def disconnect():
    """Close the default connection (idempotent)."""
    me.disconnect()


def is_transient(exc):
    """True for errors worth retrying: network, server selection, shutdown/step-down codes."""
    if isinstance(exc, ConnectionFailure):
        return True
    if isinstance(exc, OperationFailure):
        return exc.code in _TRANSIENT_CODES or exc.has_error_label("RetryableWriteError")
    return False


class RetryPolicy:
    """Runs a database operation with bounded retries of transient errors only.

    Raises DatabaseUnavailable when the budget (attempts and seconds) is spent; any
    non-transient error propagates unchanged on the first occurrence.
    """

    def __init__(self, attempts, max_seconds, backoff_seconds):
        self.attempts = attempts
        self.max_seconds = max_seconds
        self.backoff_seconds = backoff_seconds

    def run(self, operation, what):
        """Call ``operation()`` under the policy; ``what`` names it in logs and errors."""
        started = time.monotonic()
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.max_seconds),
            wait=(wait_exponential(multiplier=self.backoff_seconds, max=2)
                  if self.backoff_seconds else wait_none()),
            retry=retry_if_exception(is_transient),
            reraise=True,
            before_sleep=lambda state: log(
                logger, logging.WARNING, "database retry", op=what,
                attempt=state.attempt_number, error=type(state.outcome.exception()).__name__),
        )
        try:
            return retrying(operation)
        except Exception as exc:
            if not is_transient(exc):
                raise
            elapsed = round(time.monotonic() - started, 3)
            log(logger, logging.ERROR, "database unavailable", op=what,
                error=type(exc).__name__, elapsed_s=elapsed)
            raise DatabaseUnavailable(f"database unavailable during {what}") from exc


def ensure_indexes(inbox_retention_seconds=DEFAULT_INBOX_RETENTION_SECONDS):
    """Create every collection's indexes, and the inbox retention TTL index with the given
    period (changed in place if it differs). Idempotent; raises on database errors."""
    for document in DOCUMENTS:
        document.ensure_indexes()
    return ensure_inbox_retention(StripeEvent._get_collection(), inbox_retention_seconds)


def ping():
    """Return True when the database answers a ping within the server-selection timeout."""
    try:
        me.get_db().client.admin.command("ping")
        return True
    except ConnectionFailure:
        return False
