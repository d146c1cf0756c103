"""``reconcile --dry-run``: what one reconcile pass would do now, with nothing changed.

The plan reads what a pass reads (the stuck orders, their PaymentIntents at Stripe, the
inbox, Stripe's Events API since the sweep's checkpoint, the ledger's and the journal's
queues) and decides with the same state machine, but it writes nothing and makes no Stripe
call that changes anything: where the pass would create, cancel or post, the plan says so.
"""

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from ..clock import utcnow
from ..domain.deadlines import may_cancel
from ..domain.orders import PI_CANCELABLE, PI_SUCCEEDED, decide
from ..domain.payment_facts import fact_from_payment_intent
from ..errors import ServiceError
from ..store.keys import key_entry
from .generations import generation_key
from .payment_intents import KEY_WINDOW, payment_intent_key
from .ratelimit import RateLimiter
from .services import Services
from .sweep import SWEEP, SWEPT_GROUPS
from .waiting import deadline_policy
from .webhook import order_view

Doc = dict[str, Any]
MAX_LISTED = 1000  # orders and events named in one plan; the counts stay exact


def plan_reconcile(
    services: Services, *, older_than: float | None = None, progress: Callable[[str], None] | None = None
) -> Doc:
    """{dry_run, orders: [{order_id, status, payment_intent_id, would: [sentences]}], replay:
    [event ids], recover: [event ids], ledger_pending, unknown_calls, errors}. Stripe reads
    are paced like a pass's. Raises DatabaseUnavailable; a Stripe read that fails for one
    order is noted on that order and counted in ``errors``."""
    now, settings = utcnow(), services.settings
    limiter, store = RateLimiter(settings.stripe_read_rate, progress), services.store
    cutoff = now if older_than is None else now - timedelta(seconds=older_than - settings.payment_deadline_seconds)
    orders: list[Doc] = []
    after = None
    limiter.begin("stuck orders")
    while True:
        batch = store.recovery.find_stuck_orders(cutoff, settings.reconcile_batch, after)
        orders += [_plan_order(services, order, limiter.wait, now) for order in batch]
        if len(batch) < settings.reconcile_batch or len(orders) >= MAX_LISTED:
            break
        after = (batch[-1]["expected_by"], batch[-1]["_id"])
    due = store.recovery.find_unapplied_events(
        now - timedelta(seconds=settings.reconcile_grace_seconds),
        settings.reconcile_max_attempts,
        settings.reconcile_batch,
    )
    limiter.begin("Events API sweep")
    return {
        "dry_run": True,
        "orders": orders,
        "replay": [row["_id"] for row in due],
        "recover": _missing_events(services, limiter, now),
        "ledger_pending": len(store.inbox.ledger_pending(settings.reconcile_batch)),
        "unknown_calls": len(store.journal.overdue(now, settings.reconcile_batch)),
        "errors": sum(1 for order in orders if order.get("error")),
    }


def _plan_order(services: Services, order: Mapping[str, Any], pace: Callable[[], None], now: datetime) -> Doc:
    gateway, order_id = services.gateway, order["_id"]
    abandoned = order["created_at"] + timedelta(seconds=services.settings.checkout_expiry_seconds) <= now
    plan: Doc = {"order_id": order_id, "status": order["status"], "payment_intent_id": order.get("payment_intent_id")}
    would: list[str] = []
    try:
        pace()
        if order.get("payment_intent_id"):
            pi: Doc | None = gateway.retrieve_payment_intent(order["payment_intent_id"], order_id=order_id)
        else:
            found = gateway.search_payment_intents(order_id)
            pi = next((one for one in found if one["status"] == PI_SUCCEEDED), found[0]) if found else None
            if pi is not None:
                would.append(f"attach PaymentIntent {pi['id']} (found at Stripe) to the order")
            elif abandoned:
                return {**plan, "would": ["cancel the order: an abandoned checkout with no PaymentIntent at Stripe"]}
            else:
                late = "-late" if now - order["created_at"] >= KEY_WINDOW else ""
                base = payment_intent_key(order_id) + late
                key = generation_key(base, int(key_entry(order, base)["generation"]))
                return {**plan, "would": [f"find or create its PaymentIntent at Stripe (idempotency key {key})"]}
    except ServiceError as exc:
        return {**plan, "would": [], "error": f"could not read Stripe: {exc.message}"}
    assert pi is not None
    policy = deadline_policy(services.settings)
    if abandoned and pi["status"] in PI_CANCELABLE and may_cancel(pi, now, order["expected_by"], policy):
        would.append(f"cancel PaymentIntent {pi['id']} at Stripe (abandoned checkout), then the order")
        return {**plan, "would": would}
    fact = fact_from_payment_intent(pi, now.timestamp())
    decision = decide(order_view(order), fact) if fact is not None else None
    if decision is not None and decision.changes:
        would.append(f"move the order from {order['status']} to {decision.to_status} ({decision.reason})")
    else:
        would.append(f"leave the order {order['status']}: its PaymentIntent is {pi['status']}")
    return {**plan, "would": would}


def _missing_events(services: Services, limiter: RateLimiter, now: datetime) -> list[str]:
    start = (
        services.store.recovery.get_checkpoint(SWEEP) or int(now.timestamp()) - services.settings.sweep_lookback_seconds
    )
    listed: list[str] = []
    for group in SWEPT_GROUPS:  # at most 20 types per request, as Stripe allows
        cursor = None
        while len(listed) < 100 * MAX_LISTED:
            limiter.wait()
            page = services.gateway.list_events_page(types=group, created_gte=start, starting_after=cursor)
            listed += [event["id"] for event in page["data"]]
            if not page["has_more"] or not page["data"]:
                break
            cursor = page["data"][-1]["id"]
    known = services.store.inbox.existing_ids(listed) if listed else set()
    return [event_id for event_id in listed if event_id not in known][:MAX_LISTED]
