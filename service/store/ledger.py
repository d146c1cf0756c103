"""The ledger: append-only balanced entries, each inserted once under its own id.

``post`` is one insert: an entry already there (a replay, a second worker, a consolidation
healing what an event already posted) is a no-op, never a second posting. Nothing here
updates or deletes an entry. Raises DatabaseUnavailable when the retry budget is spent.
"""

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pymongo
from pymongo import ASCENDING
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from ..clock import utcnow
from ..domain.ledger import Entry, LedgerError, Line
from .documents import LedgerEntry
from .paging import paged_by_created
from .retry import RetryPolicy

Doc = dict[str, Any]
BALANCES_SECONDS = 120


def _ledger() -> "Collection[Doc]":
    return LedgerEntry._get_collection()


def to_doc(entry: Entry, posted_by: str | None) -> Doc:
    """The stored form of an entry."""
    doc: Doc = {
        "_id": entry.entry_id,
        "kind": entry.kind,
        "currency": entry.currency,
        "lines": [{"account": line.account, "amount": line.amount} for line in entry.lines],
        "created": entry.created,
        "amount": entry.amount,
        "fee": entry.fee,
        "net": entry.net,
        "posted_at": utcnow(),
        "posted_by": posted_by,
    }
    optional = {
        "balance_transaction_id": entry.balance_transaction_id,
        "source_id": entry.source_id,
        "order_id": entry.order_id,
        "reporting_category": entry.reporting_category,
        "exchange_rate": entry.exchange_rate,
        "source_amount": entry.source_amount,
        "source_currency": entry.source_currency,
    }
    doc.update({key: value for key, value in optional.items() if value is not None})
    return doc


def from_doc(doc: Mapping[str, Any]) -> Entry:
    """The entry a stored document holds."""
    return Entry(
        entry_id=doc["_id"],
        kind=doc["kind"],
        currency=doc["currency"],
        lines=tuple(Line(line["account"], line["amount"]) for line in doc["lines"]),
        created=doc["created"],
        amount=doc["amount"],
        fee=doc.get("fee", 0),
        net=doc.get("net", 0),
        balance_transaction_id=doc.get("balance_transaction_id"),
        source_id=doc.get("source_id"),
        order_id=doc.get("order_id"),
        reporting_category=doc.get("reporting_category"),
        exchange_rate=doc.get("exchange_rate"),
        source_amount=doc.get("source_amount"),
        source_currency=doc.get("source_currency"),
    )


class LedgerStore:
    """The ``ledger`` collection; ``retry`` bounds every call."""

    def __init__(self, retry: RetryPolicy) -> None:
        self.retry = retry

    def post(self, entry: Entry, posted_by: str | None = None) -> bool:
        """Insert ``entry`` unless an entry with its id exists. Returns True when this call
        posted it. Raises LedgerError for an unbalanced entry (nothing is written)."""
        if not entry.balanced:
            raise LedgerError(f"entry {entry.entry_id} does not balance: {entry.lines}")
        doc = to_doc(entry, posted_by)

        def op() -> bool:
            with contextlib.suppress(DuplicateKeyError):
                _ledger().insert_one(dict(doc))
                return True
            return False

        return self.retry.run(op, "ledger_post")

    def get(self, entry_id: str) -> Entry | None:
        """The entry with this id, or None."""
        doc = self.retry.run(lambda: _ledger().find_one({"_id": entry_id}), "ledger_get")
        return None if doc is None else from_doc(doc)

    def existing_ids(self, entry_ids: Iterable[str]) -> set[str]:
        """The subset of ``entry_ids`` already posted (one query)."""
        ids = list(entry_ids)
        return self.retry.run(
            lambda: {doc["_id"] for doc in _ledger().find({"_id": {"$in": ids}}, {"_id": 1})}, "ledger_existing"
        )

    def for_order(self, order_id: str) -> list[Entry]:
        """The order's entries, oldest first (one index-served query)."""
        docs = self.retry.run(
            lambda: list(_ledger().find({"order_id": order_id}).sort("created", ASCENDING)), "ledger_for_order"
        )
        return [from_doc(doc) for doc in docs]

    def in_period(self, start: int, end: int) -> Iterator[Entry]:
        """Entries whose Stripe time is in [start, end), in (created, id) order, read a page
        at a time (bounded memory however long the period). Each page is one (created, _id)
        index range; entries of the second a page ended in are skipped by count, not by an
        $or (which the embedded database would serve with a collection scan)."""
        yield from (from_doc(doc) for doc in paged_by_created(_ledger, self.retry, start, end, "ledger_in_period"))

    def all_entries(self) -> Iterator[Entry]:
        """Every entry, a page at a time (for whole-ledger invariants: balances)."""
        yield from (from_doc(doc) for doc in paged_by_created(_ledger, self.retry, -(2**62), 2**62, "ledger_all"))

    def account_balances(self) -> dict[tuple[str, str], int]:
        """{(account, currency): balance} over the whole ledger, summed by the database
        (one aggregation, up to ``BALANCES_SECONDS``; nothing but the totals reaches this
        process). Its cost grows with the ledger: callers run it per day, not per request."""
        pipeline: list[Doc] = [
            {"$unwind": "$lines"},
            {
                "$group": {
                    "_id": {"account": "$lines.account", "currency": "$currency"},
                    "total": {"$sum": "$lines.amount"},
                }
            },
        ]

        def op() -> list[Doc]:
            # A whole-ledger sum takes longer than one ordinary command: its own time budget.
            with pymongo.timeout(BALANCES_SECONDS):
                return list(_ledger().aggregate(pipeline))

        rows = self.retry.run(op, "ledger_balances")
        return {(row["_id"]["account"], row["_id"]["currency"]): int(row["total"]) for row in rows}

    def get_many(self, entry_ids: Iterable[str]) -> list[Entry]:
        """The entries with these ids that exist (one query)."""
        ids = list(entry_ids)
        docs = self.retry.run(lambda: list(_ledger().find({"_id": {"$in": ids}})), "ledger_get_many")
        return [from_doc(doc) for doc in docs]
