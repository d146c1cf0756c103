"""Recovery of events: re-apply what the inbox holds unapplied, and sweep Stripe's Events
API for deliveries that never arrived. Both feed the webhook's own intake/apply path."""

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ..clock import utcnow
from ..domain.event_types import HANDLED_TYPES, sweep_groups
from ..errors import EventProcessingFailed, ServiceError
from ..observability.logs import log
from .ratelimit import RateLimiter
from .services import Services
from .summary import Summary
from .webhook import ingest_event, process_event

logger = logging.getLogger("service.reconcile")
SWEEP = "events-sweep"
SWEEP_WINDOW = "events-sweep-window"
# Every type the service acts on (orders, annotations, Radar, the ledger), in groups of at
# most 20: Stripe's limit of types[] per Events-API request.
SWEPT_TYPES = sorted(HANDLED_TYPES)
SWEPT_GROUPS = sweep_groups()


def replay_inbox(services: Services, summary: Summary, now: datetime) -> None:
    """Re-apply inbox rows stored but not applied (oldest first, one batch); counts into summary."""
    settings = services.settings
    rows = services.store.recovery.find_unapplied_events(
        now - timedelta(seconds=settings.reconcile_grace_seconds),
        settings.reconcile_max_attempts,
        settings.reconcile_batch,
    )
    for row in rows:
        try:
            process_event(services, json.loads(row["payload"]))
            summary.events_replayed += 1
        except ServiceError as exc:
            summary.failed += 1
            log(logger, logging.ERROR, "inbox replay failed", event_id=row["_id"], error=exc.message)


def sweep_events(
    services: Services, summary: Summary, limiter: RateLimiter, now: datetime, owner: str, every: float | None = None
) -> None:
    """Feed events Stripe lists since the checkpoint but our inbox lacks through the normal
    intake path. Holds a lease so one reconciler sweeps at a time; the checkpoint advances
    only after every listed event is stored. With ``every`` (the worker loop's interval) the
    sweep runs once per window of that length, whichever worker gets there first, however
    many workers run: two workers do not list Stripe's events twice as often."""
    store, recovery = services.store, services.store.recovery
    if every is not None:
        now_ms, every_ms = int(now.timestamp() * 1000), max(1, int(every * 1000))
        ends_ms = (now_ms // every_ms + 1) * every_ms
        if not recovery.claim_window(SWEEP_WINDOW, now_ms, ends_ms):
            summary.sweep = "skipped (already swept in this window)"
            return
        summary.sweep_window = ends_ms
    lease = timedelta(seconds=services.settings.sweep_lease_seconds)
    if not recovery.acquire_lease(SWEEP, owner, now, now + lease):
        summary.sweep = "skipped (another reconciler holds the lease)"
        return

    def renew() -> bool:
        # Renewed per page, so a long sweep keeps it and a dead one lets go within one lease.
        renewed_at = utcnow()
        return recovery.acquire_lease(SWEEP, owner, renewed_at, renewed_at + lease)

    try:
        start = recovery.get_checkpoint(SWEEP) or int(now.timestamp()) - services.settings.sweep_lookback_seconds
        events: list[dict[str, Any]] = []
        for group in SWEPT_GROUPS:
            listed = _list_events(services, limiter, group, start, renew)
            if listed is None:  # harmless (intake is idempotent): this pass stops, its checkpoint unmoved
                summary.sweep = "stopped (the lease expired and another reconciler took it)"
                return
            events.extend(listed)
        known = store.inbox.existing_ids([event["id"] for event in events]) if events else set()
        for event in sorted(events, key=lambda e: e["created"]):
            if event["id"] not in known:
                try:
                    ingest_event(services, event)
                except EventProcessingFailed:  # stored with its error; the inbox replay retries it
                    summary.failed += 1
                summary.events_recovered += 1
                log(
                    logger,
                    logging.WARNING,
                    "recovered undelivered event",
                    event_id=event["id"],
                    event_type=event["type"],
                )
        recovery.set_checkpoint(SWEEP, max([start] + [event["created"] for event in events]), now)
        summary.sweep = "done"
    except ServiceError as exc:  # the checkpoint stays where it was: the next pass retries
        summary.failed += 1
        summary.sweep = "failed"
        log(logger, logging.ERROR, "event sweep failed", error=exc.message)
    finally:
        recovery.release_lease(SWEEP, owner)


def _list_events(
    services: Services, limiter: RateLimiter, types: list[str], start: int, renew: Callable[[], bool]
) -> list[dict[str, Any]] | None:
    """Every event of ``types`` (at most 20) created since ``start``, page by page; None when
    ``renew`` (called before each page) says the sweep's lease was lost."""
    events: list[dict[str, Any]] = []
    cursor = None
    while True:
        limiter.wait()
        if not renew():
            return None
        page = services.gateway.list_events_page(types=types, created_gte=start, starting_after=cursor)
        events.extend(page["data"])
        if not page["has_more"] or not page["data"]:
            return events
        cursor = page["data"][-1]["id"]
