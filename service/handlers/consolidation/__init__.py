"""Consolidation: every money flow of a closed hour, day or month matched between Stripe's
books and ours, on double-entry principles, with each run kept.

``consolidate_period`` runs one period on demand (the ``consolidate`` command, tests);
``consolidate_due`` is the worker's share of each reconcile pass; the run itself is in
``run.py``, its parts in ``books.py``, ``payments.py`` and ``payouts.py``.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ...domain.identifiers import CONSOLIDATION_RUN_ID, valid
from ...domain.periods import TYPES, Period, last_closed, parse_types, period_containing, previous
from ...errors import NotFound, ServiceError, ValidationFailed
from ...observability.logs import log
from ..services import Services
from ..summary import Summary
from .run import consolidate

__all__ = ["consolidate_due", "consolidate_period", "get_consolidation", "list_consolidations"]
logger = logging.getLogger("service.consolidation")
CATCH_UP = 3  # closed periods of each type looked at per pass, so a worker that was down catches up


def consolidate_period(
    services: Services, period_type: str, at: datetime | None, now: datetime, pace: Callable[[], None]
) -> dict[str, Any] | None:
    """Consolidate the period of ``period_type`` containing ``at`` (default: the last closed
    one). A period that has not ended yet is consolidated as far as it goes and its run is
    marked ``provisional`` (the worker only ever runs closed ones). Returns the stored run, or
    None when another worker is running that period. Raises ValidationFailed for an unknown type."""
    if period_type not in TYPES:
        raise ValidationFailed(f"period must be one of {', '.join(TYPES)}", code="invalid_period")
    period = period_containing(period_type, at) if at else last_closed(period_type, now, timedelta(0))
    return consolidate(services, period, pace, provisional=period.end > now)


def consolidate_due(services: Services, summary: Summary, pace: Callable[[], None], now: datetime) -> None:
    """Consolidate, for each configured period type, the oldest of the last few closed periods
    (past the configured delay) that has no finished run. Failures are counted; the next pass
    resumes them."""
    settings = services.settings
    delay = timedelta(seconds=settings.consolidation_delay_seconds)
    for period_type in parse_types(settings.consolidation_periods):
        candidates = _recent_closed(period_type, now, delay)
        done = services.store.consolidation.done_periods(period.key for period in candidates)
        due = [period for period in candidates if period.key not in done]
        if not due:
            continue
        try:
            if consolidate(services, due[0], pace, once=True) is not None:
                summary.consolidated += 1
        except ServiceError as exc:
            summary.failed += 1
            log(logger, logging.ERROR, "consolidation pass failed", period=due[0].key, error=exc.message)


def _recent_closed(period_type: str, now: datetime, delay: timedelta) -> list[Period]:
    periods = [last_closed(period_type, now, delay)]
    while len(periods) < CATCH_UP:
        periods.append(previous(periods[-1]))
    return list(reversed(periods))


def list_consolidations(services: Services, period_type: str | None, limit: int) -> list[dict[str, Any]]:
    """Runs, newest first, without their items. Raises ValidationFailed for a bad filter."""
    if period_type is not None and period_type not in TYPES:
        raise ValidationFailed(f"period must be one of {', '.join(TYPES)}", code="invalid_period")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise ValidationFailed("limit must be an integer from 1 to 1000", code="invalid_limit")
    return services.store.consolidation.list_runs(period_type, limit)


def get_consolidation(services: Services, run_id: str) -> dict[str, Any]:
    """One run with its items. Raises NotFound."""
    if not valid(CONSOLIDATION_RUN_ID, run_id):  # not a run id: never stored, and not echoed
        raise NotFound("no such consolidation run", code="consolidation_not_found")
    run = services.store.consolidation.get_run(run_id)
    if run is None:
        raise NotFound(f"no consolidation run {run_id}", code="consolidation_not_found")
    return run
