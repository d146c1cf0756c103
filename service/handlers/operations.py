"""The operator's view: stuck orders and whether any money is at risk right now.

Called by the admin API, the CLI and the /metrics collector alike, so each surface shows
the same numbers.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from ..clock import utcnow
from ..domain.inbox import FAILED
from ..domain.periods import TYPES as PERIOD_TYPES
from ..errors import ServiceError, ValidationFailed
from ..observability import alerts
from ..observability.logs import log
from .services import Services

logger = logging.getLogger("service.reconcile")

COUNT_CAP = 100_000  # counts stop here so a scrape stays cheap however large the history

# The oldest an order can be asked about (``older_than``): a year; bounds every date computed from it.
MAX_AGE_SECONDS = 366 * 86400


def stuck_orders(services: Services, older_than: float | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Open orders past their payment deadline (with ``older_than``: created more than that
    many seconds ago), most overdue first, at most ``limit``. Raises ValidationFailed."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise ValidationFailed("limit must be an integer from 1 to 1000", code="invalid_limit")
    if older_than is not None and not 0 <= older_than <= MAX_AGE_SECONDS:  # also refuses nan
        raise ValidationFailed(f"older_than must be from 0 to {MAX_AGE_SECONDS} seconds", code="invalid_older_than")
    now = utcnow()
    settings = services.settings
    cutoff = now if older_than is None else now - timedelta(seconds=older_than - settings.payment_deadline_seconds)
    return services.store.recovery.find_stuck_orders(cutoff, limit)


def money_at_risk(services: Services, now: datetime | None = None) -> dict[str, Any]:
    """A snapshot for /metrics and /admin/summary: inbox rows by state, overdue open orders
    (count and the oldest one's age past its deadline), orders needing review and events the
    ledger could not post, the reconciler's record and health, and the latest consolidation
    of each period type (unmatched items). Emits
    ``reconciler_stale`` when the reconciler is stale. Raises DatabaseUnavailable."""
    now = now or utcnow()
    store = services.store
    overdue, oldest = store.operations.overdue_orders(now, COUNT_CAP)
    stats = store.operations.reconcile_stats() or {}
    return {
        "inbox": store.inbox.count_by_state(COUNT_CAP),
        "overdue_orders": overdue,
        "oldest_overdue_age_seconds": 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()),
        **store.operations.needing_attention(COUNT_CAP),
        "reconciler": {key: stats.get(key, 0) for key in ("runs_ok", "runs_failed", "healed", "failed")},
        "reconciler_health": alerts.reconciler_health(stats, services.settings.reconcile_interval_seconds, now),
        "consolidation": {period_type: _latest(services, period_type) for period_type in PERIOD_TYPES},
    }


def _latest(services: Services, period_type: str) -> dict[str, Any] | None:
    run = services.store.consolidation.latest_finished(period_type)
    if run is None:
        return None
    return {"period": run["period"], "unmatched": run.get("unmatched", 0), "finished_at": run.get("finished_at")}


def record_pass(services: Services, ok: bool, healed: int, failed: int, interval: float) -> bool:
    """After a reconcile pass: alert on parked inbox events and record the pass (for /metrics
    and ``reconciler_stale``). Returns False, logged, when the database refused."""
    store = services.store
    try:
        # Only the parked rows: counting applied ones would make every pass grow with history.
        parked = store.inbox.count_by_state(COUNT_CAP, states=(FAILED,))[FAILED]
        if parked:
            alerts.emit(
                alerts.FAILED_INBOX_EVENTS,
                "the inbox holds parked events",
                count=parked,
                hint="flask --app wsgi events list --state failed",
            )
        store.operations.record_reconcile_pass(
            ok=ok, healed=healed, failed=failed, interval_seconds=interval, now=utcnow()
        )
        return True
    except ServiceError as exc:
        log(logger, logging.ERROR, "reconcile pass not recorded", error=exc.message)
        return False
