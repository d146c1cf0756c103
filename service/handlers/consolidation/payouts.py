"""Automatic payouts of one period: each must equal the balance transactions it settles, at
Stripe and in our ledger.

Stripe pays out automatically on a schedule; ``GET /v1/balance_transactions?payout=po_…``
lists what one payout settles (complete once its ``reconciliation_status`` is
``completed``). The sum of their ``net`` must be the payout's amount, and the ledger must
hold the same movements with the same net. A payout not yet reconciled at Stripe is counted,
not judged.
"""

from collections.abc import Callable
from typing import Any

from ...domain.consolidation import PAYOUT_MISMATCH
from ...domain.ledger import entry_id_for_balance_transaction
from ...domain.periods import Period
from ..services import Services

Report = Callable[[dict[str, Any]], None]


def check_payouts(services: Services, period: Period, pace: Callable[[], None], report: Report) -> dict[str, Any]:
    """Check every automatic payout created in ``period``; returns counts and the paid-out
    totals per currency."""
    counts: dict[str, Any] = {"payouts": 0, "payouts_matched": 0, "payouts_not_reconciled": 0, "paid_out": {}}
    for payout in _payouts(services, period, pace):
        counts["payouts"] += 1
        currency = payout["currency"]
        counts["paid_out"][currency] = counts["paid_out"].get(currency, 0) + payout["amount"]
        if not payout.get("automatic"):
            continue
        if payout.get("reconciliation_status") != "completed":
            counts["payouts_not_reconciled"] += 1
            continue
        problem = _check_one(services, payout, pace)
        if problem:
            report(problem)
        else:
            counts["payouts_matched"] += 1
    return counts


def _check_one(services: Services, payout: dict[str, Any], pace: Callable[[], None]) -> dict[str, Any] | None:
    settled = [txn for txn in _settled_by(services, payout["id"], pace) if txn.get("type") != "payout"]
    stripe_sum = sum(txn["net"] for txn in settled)
    entry_ids = [entry_id_for_balance_transaction(txn["id"]) for txn in settled]
    ledger_sum = sum(entry.net for entry in services.store.ledger.get_many(entry_ids))
    if stripe_sum == payout["amount"] and ledger_sum == payout["amount"]:
        return None
    return {
        "kind": PAYOUT_MISMATCH,
        "payout_id": payout["id"],
        "detail": f"payout {payout['amount']} {payout['currency']}: its balance transactions net {stripe_sum} "
        f"at Stripe, {ledger_sum} in the ledger",
        "payout_amount": payout["amount"],
        "stripe_net": stripe_sum,
        "ledger_net": ledger_sum,
    }


def _payouts(services: Services, period: Period, pace: Callable[[], None]) -> Any:
    cursor = None
    while True:
        pace()
        page = services.gateway.balance.list_payouts_page(
            created_gte=period.start_ts, created_lt=period.end_ts, starting_after=cursor
        )
        yield from page["data"]
        if not page.get("has_more") or not page["data"]:
            return
        cursor = page["data"][-1]["id"]


def _settled_by(services: Services, payout_id: str, pace: Callable[[], None]) -> Any:
    cursor = None
    while True:
        pace()
        page = services.gateway.balance.list_transactions_page(payout=payout_id, starting_after=cursor)
        yield from page["data"]
        if not page.get("has_more") or not page["data"]:
            return
        cursor = page["data"][-1]["id"]
