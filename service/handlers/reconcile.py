"""Reconciliation: heal what webhook redelivery cannot, through the webhook's own apply path.

One pass (``reconcile``) does these things, each bounded and each safe to run from two
processes at once (every status change is a conditional update, every ledger entry is
posted once under its own id; the event sweep and each consolidation period hold a lease):
1. open orders past their deadline are checked against their PaymentIntent at Stripe;
   an order without a PI id gets its PI found (fixed-key replay or search) before one is
   created; an abandoned checkout's PI is canceled;
2. inbox rows stored but never applied are re-applied, oldest first;
3. Stripe's Events API is swept since a checkpoint for events that never arrived;
4. events waiting for the ledger have their money read from Stripe and posted;
5. Stripe calls whose outcome we do not know (journal records past their expected end) are
   resolved by asking Stripe;
6. with ``consolidate`` (the worker loop), closed periods not yet consolidated are.
"""

import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from ..clock import utcnow
from ..domain.deadlines import may_cancel
from ..domain.orders import (
    AWAITING_CUSTOMER,
    CANCELED,
    PI_CANCELABLE,
    PROCESSING,
    REQUIRES_ACTION,
    SUCCEEDED,
    PaymentFact,
)
from ..domain.payment_facts import fact_from_payment_intent
from ..errors import PaymentProviderError, ServiceError
from ..observability import alerts
from ..observability.logs import log
from .consolidation import consolidate_due
from .generations import create_once
from .journal import resolve_unknown_calls
from .ledger import post_pending
from .operations import record_pass
from .payment_intents import find_or_create_payment_intent, find_payment_intent
from .ratelimit import RateLimiter
from .services import Services
from .summary import Summary
from .sweep import replay_inbox, sweep_events
from .waiting import deadline_policy, new_expected_by
from .webhook import apply_fact

logger = logging.getLogger("service.reconcile")


def reconcile(
    services: Services,
    *,
    older_than: float | None = None,
    owner: str | None = None,
    interval: float | None = None,
    consolidate: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Summary:
    """Run one reconciliation pass and return its Summary. Never raises for per-item
    failures (they are counted and logged); raises DatabaseUnavailable only if the
    database is gone before the pass can start. A completed pass is recorded (with the
    loop ``interval``) for /metrics and the ``reconciler_stale`` check. ``consolidate``
    adds step 6 and runs the event sweep once per ``interval`` window across every worker (the
    worker loop passes it; a one-off pass sweeps every time and leaves consolidation to the
    ``consolidate`` command). ``progress`` (the CLI on a terminal) receives a line per step
    and per Stripe request."""
    now = utcnow()
    summary, limiter = Summary(), RateLimiter(services.settings.stripe_read_rate, progress)
    settings = services.settings
    interval = interval or settings.reconcile_interval_seconds
    previous = services.store.operations.reconcile_stats()
    if previous is not None:  # a gap before this pass is worth an alert even though it is over
        alerts.reconciler_health(previous, interval, now)
    cutoff = now if older_than is None else now - timedelta(seconds=older_than - settings.payment_deadline_seconds)
    limiter.begin("stuck orders")
    _heal_orders(services, summary, limiter, cutoff, now)
    limiter.begin("inbox replay")
    replay_inbox(services, summary, now)
    limiter.begin("Events API sweep")
    sweep_events(services, summary, limiter, now, owner or uuid.uuid4().hex, interval if consolidate else None)
    limiter.begin("ledger")
    post_pending(services, summary, limiter.wait)
    limiter.begin("unknown Stripe calls")
    resolve_unknown_calls(services, summary, limiter.wait, now)
    if consolidate:
        limiter.begin("consolidation")
        consolidate_due(services, summary, limiter.wait, now)
    if not record_pass(services, summary.ok, summary.healed, summary.failed, interval):
        summary.failed += 1
    log(
        logger,
        logging.INFO if summary.ok else logging.ERROR,
        "reconcile pass",
        summary=summary.line(),
        **vars(summary),
    )
    return summary


def _heal_orders(services: Services, summary: Summary, limiter: RateLimiter, cutoff: datetime, now: datetime) -> None:
    after = None
    while True:
        batch = services.store.recovery.find_stuck_orders(cutoff, services.settings.reconcile_batch, after)
        for order in batch:
            summary.checked += 1
            try:
                if heal_order(services, order, limiter, now):
                    summary.healed += 1
                else:
                    summary.still_pending += 1
            except ServiceError as exc:
                summary.failed += 1
                log(logger, logging.ERROR, "reconcile order failed", order_id=order["_id"], error=exc.message)
        if len(batch) < services.settings.reconcile_batch:
            return
        after = (batch[-1]["expected_by"], batch[-1]["_id"])


def heal_order(services: Services, order: Mapping[str, Any], limiter: RateLimiter, now: datetime) -> bool:
    """Bring one overdue order in line with Stripe. Returns True when its status changed.

    An abandoned checkout's PaymentIntent is canceled only when ``may_cancel`` allows it: never
    while ``processing``, never while a voucher or transfer the customer holds is still valid.
    An order whose payment still waits gets its ``expected_by`` moved to that wait's end, so
    the next passes leave it alone until then."""
    gateway, order_id = services.gateway, order["_id"]
    abandoned = order["created_at"] + timedelta(seconds=services.settings.checkout_expiry_seconds) <= now
    if order.get("payment_intent_id"):
        limiter.wait()
        pi = gateway.retrieve_payment_intent(order["payment_intent_id"], order_id=order_id)
    else:
        found = (
            find_payment_intent(services, order, pace=limiter.wait)
            if abandoned
            else find_or_create_payment_intent(services, order, now, pace=limiter.wait)
        )
        if found is None:
            return _apply(
                services,
                PaymentFact(
                    f"reconcile:{order_id}:expired",
                    CANCELED,
                    None,
                    0,
                    order["currency"],
                    order_id,
                    int(now.timestamp()),
                ),
            )
        pi = found
        services.store.orders.attach_payment_intent(order_id, pi["id"])
        # A key replay returns the PI as it was created, not as it is now.
        limiter.wait()
        pi = gateway.retrieve_payment_intent(pi["id"], order_id=order_id)
    policy = deadline_policy(services.settings)
    if abandoned and pi["status"] in PI_CANCELABLE and may_cancel(pi, now, order["expected_by"], policy):
        pi = _cancel(services, order, pi["id"], limiter, now)
    fact = fact_from_payment_intent(pi, now.timestamp())
    if fact is not None and fact.trigger == SUCCEEDED and order["expected_by"] <= now:
        alerts.emit(
            alerts.PAID_AT_STRIPE_NOT_HERE,
            "paid at Stripe but not here past the deadline",
            order_id=order_id,
            payment_intent_id=pi["id"],
            order_status=order["status"],
            overdue_s=round((now - order["expected_by"]).total_seconds(), 1),
        )
    if fact is None:
        return False
    if _apply(services, fact):
        return True
    waiting = {REQUIRES_ACTION: AWAITING_CUSTOMER, PROCESSING: PROCESSING}.get(fact.trigger)
    later = new_expected_by(services.settings, waiting, fact)
    if later is not None:
        services.store.orders.postpone(order_id, later)
    return False


def _cancel(services: Services, order: Mapping[str, Any], pi_id: str, limiter: RateLimiter, now: datetime) -> Any:
    """Cancel an abandoned checkout's PaymentIntent under its fixed key (a saved 5xx on it is
    healed like a create: read the PI, else the key's next generation); returns the PI."""
    gateway, order_id = services.gateway, order["_id"]

    def cancel(key: str) -> dict[str, Any]:
        limiter.wait()
        return gateway.cancel_payment_intent(pi_id, order_id=order_id, idempotency_key=key)

    def current() -> dict[str, Any]:
        limiter.wait()
        return gateway.retrieve_payment_intent(pi_id, order_id=order_id)

    def done() -> dict[str, Any] | None:
        pi = current()
        return pi if pi["status"] not in PI_CANCELABLE else None

    try:
        return create_once(services, order, f"order-{order_id}-cancel", cancel, done, now, timedelta(0))
    except PaymentProviderError:  # the customer paid at the last moment: read what happened
        return current()


def _apply(services: Services, fact: PaymentFact) -> bool:
    return apply_fact(services, fact).changed
