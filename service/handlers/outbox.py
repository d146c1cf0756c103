"""Order events to the shop: the relay (orders -> ``order_events`` + deliveries) and the
delivery pass to each endpoint, at least once and in order per order.

- relay: under a lease (one relay at a time, so feed positions only grow), copy the events
  of every document flagged ``events_pending``; idempotent, repairs a copy a crash cut short.
- deliver: per endpoint, due deliveries oldest first; one whose order has an earlier event
  not yet delivered there waits for it; a failure retries with full-jitter backoff until
  OUTBOX_RETRY_BUDGET_SECONDS, then the delivery is dead until ``outbox replay``.
- endpoints are served by threads of their own, so a slow or failing one never holds up
  the others.
Raises DatabaseUnavailable when the database cannot be reached.
"""

import json
import logging
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..clock import utcnow
from ..domain import standard_webhooks
from ..domain.delivery_schedule import next_attempt
from ..domain.order_events import payload
from ..endpoints import ShopEndpoint
from ..gateway import shop_webhooks
from ..observability.logs import log
from ..store.outbox import SOURCES
from .services import Services

logger = logging.getLogger("service.outbox")
RELAY_LEASE = "outbox-relay"
RELAY_LEASE_SECONDS = 60
WAIT_FOR_DEAD = timedelta(hours=1)  # a delivery behind a dead letter: replay makes it due at once
Clock = Callable[[], datetime]
Post = Callable[[str, bytes, dict[str, str], float], shop_webhooks.Outcome]


@dataclass
class PassResult:
    """What one pass did: events relayed, and per endpoint id delivered/failed/dead/waiting."""

    relayed: int = 0
    endpoints: dict[str, dict[str, int]] = field(default_factory=dict)


def relay(services: Services, now: Clock = utcnow, owner: str | None = None) -> int | None:
    """Copy pending events out of orders and runs; returns how many were copied, or None when
    another relay holds the lease. Idempotent."""
    recovery, outbox = services.store.recovery, services.store.outbox
    owner, started = owner or uuid.uuid4().hex, now()
    lease_term = timedelta(seconds=RELAY_LEASE_SECONDS)
    if not recovery.acquire_lease(RELAY_LEASE, owner, started, started + lease_term):
        return None
    endpoints = [e.endpoint_id for e in services.settings.shop_endpoints]
    copied = 0
    try:
        position = outbox.last_position()
        for source in SOURCES:
            for doc in outbox.with_pending_events(source, services.settings.outbox_batch):
                renewed = now()  # keep the lease for as long as the pass runs: positions stay single-writer
                if not recovery.acquire_lease(RELAY_LEASE, owner, renewed, renewed + lease_term):
                    return copied
                taken = outbox.copy(source, doc, endpoints, position + 1, renewed)
                position += taken
                copied += taken
    finally:
        recovery.release_lease(RELAY_LEASE, owner)
    return copied


def deliver_endpoint(
    services: Services,
    endpoint: ShopEndpoint,
    now: Clock = utcnow,
    draw: Callable[[], float] = random.random,
    post: Post = shop_webhooks.post,
) -> dict[str, int]:
    """One delivery pass to one endpoint; returns counts of delivered, failed, dead, waiting."""
    deliveries, settings = services.store.deliveries, services.settings
    counts = {"delivered": 0, "failed": 0, "dead": 0, "waiting": 0}
    held: set[str] = set()  # orders with an earlier event undelivered here: the rest waits
    failing_since: datetime | None = None
    for row in deliveries.due(endpoint.endpoint_id, now(), settings.outbox_batch):
        blocker = None if row["subject"] in held else deliveries.earlier_undelivered(row)
        if row["subject"] in held or blocker is not None:
            if blocker is not None:  # due again when the earlier one is next tried (an hour if it is dead)
                due_again = blocker["next_attempt_at"] if blocker["state"] == "pending" else now() + WAIT_FOR_DEAD
                deliveries.postpone(row, due_again)
            held.add(row["subject"])
            counts["waiting"] += 1
            continue
        event = services.store.outbox.events_by_id([row["event_id"]]).get(row["event_id"])
        sent = now()
        claim_until = sent + timedelta(seconds=settings.outbox_timeout_seconds * 2 + 5)
        if event is None or not deliveries.claim(row, sent, claim_until):  # another worker has it
            held.add(row["subject"])
            continue
        body = json.dumps(payload({**event, "id": event["_id"]}), separators=(",", ":")).encode()
        # The signed timestamp is the wall clock's: receivers compare it with theirs.
        headers = standard_webhooks.headers(event["_id"], int(utcnow().timestamp()), body, endpoint.secrets)
        outcome = post(endpoint.url, body, headers, settings.outbox_timeout_seconds)
        attempt = {"at": sent, "status": outcome.status, "error": outcome.error, "ms": outcome.elapsed_ms}
        failing_since = deliveries.endpoint_answered(endpoint.endpoint_id, outcome.ok, sent)
        if outcome.ok:
            deliveries.succeeded(row["_id"], attempt, sent)
            counts["delivered"] += 1
            continue
        first = row.get("first_attempt_at") or sent
        attempts, budget = row.get("attempts", 0) + 1, settings.outbox_retry_budget_seconds
        retry_at = next_attempt(first, sent, attempts, draw(), budget, settings.outbox_backoff_seconds)
        deliveries.failed(row, attempt, sent, retry_at)
        counts["failed" if retry_at else "dead"] += 1
        held.add(row["subject"])
    _alert_if_failing_long(services, endpoint, failing_since, now())  # once per pass, not per attempt
    return counts


def _alert_if_failing_long(services: Services, endpoint: ShopEndpoint, since: datetime | None, now: datetime) -> None:
    if since is not None and (now - since).total_seconds() > services.settings.outbox_alert_after_seconds:
        log(
            logger,
            logging.ERROR,
            "shop endpoint failing",
            endpoint=endpoint.endpoint_id,
            url=endpoint.display,
            failing_since=since.isoformat(),
            alert="shop_endpoint_failing",
        )


def deliver(services: Services, now: Clock = utcnow, draw: Callable[[], float] = random.random) -> PassResult:
    """One pass: relay, then every endpoint in a thread of its own (joined before returning)."""
    result = PassResult(relayed=relay(services, now) or 0)
    errors: list[BaseException] = []

    def run(endpoint: ShopEndpoint) -> None:
        try:
            result.endpoints[endpoint.endpoint_id] = deliver_endpoint(services, endpoint, now, draw)
        except BaseException as exc:  # reported to the caller after every endpoint had its turn
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,), daemon=True) for e in services.settings.shop_endpoints]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return result


def replay(services: Services, *, event_id: str | None = None, order_id: str | None = None, now: Clock = utcnow) -> int:
    """Dead deliveries (of one event, one order, or all) back to pending with a fresh budget."""
    return services.store.deliveries.replay(event_id=event_id, subject=order_id, now=now())
