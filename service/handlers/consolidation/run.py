"""One consolidation run of one period: Stripe's books against ours, kept as a record.

The run (i) mirrors the period's balance transactions, (ii) pairs them with the ledger,
healing what is missing, (iii) checks payments against orders both ways, (iv) checks the
period's automatic payouts, (v) totals per currency and kind, and (vi) compares the ledger's
Stripe balance with Stripe's. One worker at a time runs a period (a lease); a crashed run
is resumed from its checkpoint. Every run is kept: a period that was clean and later is
not is exactly what an operator must see.
"""

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from ...clock import utcnow
from ...domain.consolidation import Totals
from ...domain.ledger import STRIPE_BALANCE
from ...domain.periods import HOUR, Period
from ...errors import ServiceError
from ...observability import alerts
from ...observability.logs import log
from ..services import Services
from .books import match_period, mirror_period
from .payments import PaymentCheck
from .payouts import check_payouts

logger = logging.getLogger("service.consolidation")
MAX_ITEMS = 1000  # items kept on a run; ``unmatched`` counts them all
LEASE = timedelta(minutes=30)


def consolidate(
    services: Services,
    period: Period,
    pace: Callable[[], None],
    owner: str | None = None,
    *,
    once: bool = False,
    provisional: bool = False,
) -> dict[str, Any] | None:
    """Run (or resume) the consolidation of ``period`` and return the stored run, or None when
    another worker holds the period's lease or, with ``once`` (the worker's schedule), when the
    period already has a finished run: checked *under* the lease, so two workers that both
    saw the period due run it once. Raises PaymentProvider{Unavailable,Error} or
    DatabaseUnavailable when a source cannot be read (the run stays resumable)."""
    store, owner = services.store, owner or uuid.uuid4().hex
    lease, now = f"consolidate:{period.key}", utcnow()
    if not store.recovery.acquire_lease(lease, owner, now, now + LEASE):
        return None
    try:
        if once and store.consolidation.done_periods([period.key]):
            return None
        run = store.consolidation.unfinished_run(period.key) or store.consolidation.start_run(
            period.key, period.type, period.start, period.end
        )
        result = {**_run(services, run, period, pace), "provisional": provisional}
        store.consolidation.finish_run(run["_id"], result)
        _announce(run["_id"], period, result)
        return store.consolidation.get_run(run["_id"])
    except ServiceError as exc:
        log(logger, logging.ERROR, "consolidation failed", period=period.key, error=exc.message)
        raise
    finally:
        store.recovery.release_lease(lease, owner)


def _run(services: Services, run: dict[str, Any], period: Period, pace: Callable[[], None]) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    unmatched = 0

    def report(item: dict[str, Any]) -> None:
        nonlocal unmatched
        unmatched += 1
        if len(items) < MAX_ITEMS:
            items.append(item)

    listed = mirror_period(services, run, period, pace)
    totals, payments = Totals(), PaymentCheck(services, report)

    def on_txn(txn: Any) -> None:
        totals.add(txn)
        payments.add(txn)

    counts: dict[str, Any] = {"listed": listed, **match_period(services, run["_id"], period, report, on_txn)}
    payments.flush()
    payments.check_orders(period, pace)
    counts.update(payments.summary())
    counts.update(check_payouts(services, period, pace, report))
    return {
        "state": "done",
        "ok": unmatched == 0,
        "unmatched": unmatched,
        "items": items,
        "counts": counts,
        "totals": totals.as_dict(),
        # The whole-ledger sum grows with history: days and months only, not every hour.
        "balance": stripe_balance_check(services, pace) if period.type != HOUR else {},
    }


def stripe_balance_check(services: Services, pace: Callable[[], None]) -> dict[str, Any]:
    """The ledger's Stripe balance beside Stripe's own (available + pending) per currency.
    Informational: movements still in flight (not yet posted) make them differ for a while."""
    pace()
    balance = services.gateway.balance.retrieve_balance()
    stripe: dict[str, int] = {}
    for part in ("available", "pending"):
        for row in balance.get(part) or []:
            stripe[row["currency"]] = stripe.get(row["currency"], 0) + int(row["amount"])
    ours = {
        currency: total
        for (account, currency), total in services.store.ledger.account_balances().items()
        if account == STRIPE_BALANCE
    }
    return {
        currency: {
            "ledger": ours.get(currency, 0),
            "stripe": stripe.get(currency, 0),
            "equal": ours.get(currency, 0) == stripe.get(currency, 0),
        }
        for currency in sorted(set(stripe) | set(ours))
    }


def _announce(run_id: str, period: Period, result: dict[str, Any]) -> None:
    fields = {"run_id": run_id, "period": period.key, "unmatched": result["unmatched"]}
    if result["ok"]:
        log(logger, logging.INFO, "consolidation clean", **fields)
        return
    kinds = sorted({item["kind"] for item in result["items"]})
    alerts.emit(alerts.CONSOLIDATION_MISMATCH, "consolidation found unmatched items", kinds=kinds, **fields)
