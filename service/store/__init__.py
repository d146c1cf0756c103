"""All persistence: documents, connection, indexes, the retry policy, retention, and one
store per aggregate behind the ``Store`` façade.

Only this package imports mongoengine or pymongo (an import-linter contract enforces it).
Handlers reach the database only through a ``Store``; every call runs under one
``RetryPolicy`` and raises DatabaseUnavailable when its budget is spent.
"""

import contextlib
from collections.abc import Iterator

from . import connection
from .catalog import CatalogStore
from .consolidation import ConsolidationStore
from .deliveries import DeliveryStore
from .inbox import InboxStore
from .journal import JournalStore
from .keys import KeyStore
from .ledger import LedgerStore
from .operations import OperationsStore
from .orders import OrderStore
from .outbox import OutboxStore
from .ratelimits import RateLimitStore
from .recovery import RecoveryStore
from .retry import RetryPolicy, request_deadline

__all__ = ["RetryPolicy", "Store"]


class Store:
    """The handlers' one door to the database: ``orders``, ``inbox``, ``catalog``,
    ``recovery`` (the reconciler's queries), ``operations`` (the operator's counts),
    ``journal`` (Stripe calls), ``ledger``, ``consolidation``, ``rate_limits``, ``keys``
    (idempotency key generations), ``outbox`` (the relay and the feed) and ``deliveries`` (to
    the shop), all sharing ``retry``."""

    def __init__(self, retry: RetryPolicy) -> None:
        self.retry = retry
        self.orders = OrderStore(retry)
        self.inbox = InboxStore(retry)
        self.catalog = CatalogStore(retry)
        self.recovery = RecoveryStore(retry)
        self.operations = OperationsStore(retry)
        self.journal = JournalStore(retry)
        self.ledger = LedgerStore(retry)
        self.consolidation = ConsolidationStore(retry)
        self.rate_limits = RateLimitStore(retry)
        self.keys = KeyStore(retry)
        self.outbox = OutboxStore(retry)
        self.deliveries = DeliveryStore(retry)

    @staticmethod
    @contextlib.contextmanager
    def deadline(seconds: float) -> Iterator[None]:
        """Within the block every database call shares one deadline ``seconds`` from now
        (a webhook request's whole budget); a call that meets it raises DatabaseUnavailable."""
        with request_deadline(seconds):
            yield

    @staticmethod
    def ping() -> bool:
        """True when the database answers within the server-selection timeout; never raises."""
        return connection.ping()

    def ensure_indexes(self, inbox_retention_seconds: int, journal_retention_seconds: int) -> str:
        """Create every index and the retention TTL indexes (idempotent); returns what was
        done to the inbox retention index ("created", "unchanged", "updated" or "recreated").
        Raises DatabaseUnavailable when the database cannot be reached within the retry budget."""
        return self.retry.run(
            lambda: connection.ensure_indexes(inbox_retention_seconds, journal_retention_seconds), "ensure_indexes"
        )
