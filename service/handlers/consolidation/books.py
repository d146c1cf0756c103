"""Stripe's books against ours for one period: list the period's balance transactions into
the mirror (resuming from the run's checkpoint), then pair them with the ledger in one
ordered pass. A transaction without an entry is posted (healing) and reported; an entry
without a transaction, or one that says something else, is reported.
"""

from collections.abc import Callable, Mapping
from typing import Any

from ...domain import consolidation as rules
from ...domain.ledger import LedgerError
from ...domain.periods import Period
from ..ledger import post_transaction
from ..services import Services

Pace = Callable[[], None]
Report = Callable[[dict[str, Any]], None]


def mirror_period(services: Services, run: dict[str, Any], period: Period, pace: Pace) -> int:
    """Copy every balance transaction Stripe lists for ``period`` into the mirror, a page at a
    time; the run's checkpoint advances after each page, so a crashed run resumes there.
    Returns how many were listed in all."""
    store = services.store.consolidation
    cursor, listed = run.get("cursor"), int(run.get("listed") or 0)
    while True:
        pace()
        page = services.gateway.balance.list_transactions_page(
            created_gte=period.start_ts, created_lt=period.end_ts, starting_after=cursor
        )
        store.mirror([rules.mirror_doc(txn) for txn in page["data"]])
        if page["data"]:
            cursor, listed = page["data"][-1]["id"], listed + len(page["data"])
            store.checkpoint(run["_id"], cursor, listed)
        if not page.get("has_more") or not page["data"]:
            return listed


def match_period(
    services: Services, run_id: str, period: Period, report: Report, on_txn: Callable[[Mapping[str, Any]], None]
) -> dict[str, int]:
    """Pair the period's mirrored transactions with its ledger entries; ``report`` receives
    each item, ``on_txn`` each mirrored transaction (totals, payments). Returns the counts."""
    counts = {"balance_transactions": 0, "matched": 0, "healed": 0, "differing": 0, "entries_without_transaction": 0}
    mirrored = services.store.consolidation.mirrored_in_period(period.start_ts, period.end_ts)
    entries = services.store.ledger.in_period(period.start_ts, period.end_ts)
    for txn, entry in rules.merge(mirrored, entries):
        if txn is not None:
            counts["balance_transactions"] += 1
            on_txn(txn)
        if txn is not None and entry is not None:
            difference = rules.compare(txn, entry)
            counts["differing" if difference else "matched"] += 1
            if difference:
                report(difference)
        elif txn is not None:
            report(_heal(services, txn, run_id, counts))
        elif entry is not None:
            counts["entries_without_transaction"] += 1
            report(
                rules.item(
                    rules.ENTRY_WITHOUT_TRANSACTION,
                    None,
                    entry,
                    "Stripe lists no such balance transaction in this period",
                )
            )
    return counts


def _heal(services: Services, txn: Mapping[str, Any], run_id: str, counts: dict[str, int]) -> dict[str, Any]:
    try:
        posted = post_transaction(services, as_stripe_object(txn), posted_by=run_id)
    except LedgerError as exc:
        return rules.item(rules.UNPOSTABLE, txn, None, str(exc))
    counts["healed"] += posted
    detail = "posted now" if posted else "posted meanwhile by the ledger worker"
    return rules.item(
        rules.MISSING_ENTRY, txn, None, f"no ledger entry for this balance transaction: {detail}", healed=True
    )


def as_stripe_object(txn: Mapping[str, Any]) -> dict[str, Any]:
    """A mirrored transaction in the shape Stripe sends (its source re-expanded from what the
    mirror kept), for the posting rules."""
    source = {
        "id": txn.get("source_id"),
        "object": txn.get("source_object"),
        "metadata": {"order_id": txn["order_id"]} if txn.get("order_id") else {},
        "payment_intent": txn.get("payment_intent_id"),
        "amount": txn.get("source_amount"),
        "currency": txn.get("source_currency"),
    }
    fields = ("type", "reporting_category", "amount", "fee", "net", "currency", "created", "status", "exchange_rate")
    return {
        "id": txn["_id"],
        "object": "balance_transaction",
        **{name: txn.get(name) for name in fields},
        "source": source,
    }
