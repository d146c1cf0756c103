"""One chaos run: checkouts under Stripe faults, payments at Stripe, webhook deliveries under
database faults (lost, duplicated, reordered, redelivered with backoff), one reconcile pass,
then the invariants."""

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import requests

from service.devtools.fake_stripe import Deliverer
from tests.support.helpers import WEBHOOK_SECRET

from .money import ledger_read_faults, money_movements
from .monkey import Monkey, kill_database, make_rng, stripe_fault
from .shop import FlakyShop, order_event_figures
from .stack import Stack
from .verify import verify

BACKOFF = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)  # Stripe's exponential redelivery, in seconds not hours
PI_EVENTS = ("payment_intent.",)


def run(orders=500, fault_rate=0.1, seed=1, concurrency=8, workers=2, instances=2, reconcilers=2):
    """Run the whole scenario with ``instances`` web instances (gunicorn masters, as dynos) and
    ``reconcilers`` reconcile workers on one database; return (figures dict, ok)."""
    rng, faults, stats = make_rng(seed), Counter(), Counter()
    shop = FlakyShop(make_rng(seed + 1), fault_rate)  # the shop's own dice: its thread timing varies
    stack = Stack(workers, instances, reconcilers, env=shop.settings()).start()
    started, started_at = time.monotonic(), datetime.now(UTC)
    try:
        stack.start_reconcilers()  # they heal, replay and sweep through everything that follows
        placed = _checkouts(stack, rng, orders, fault_rate, faults, stats)
        plan = _payments(stack.fake, rng, placed, fault_rate, faults)
        plan += _lossy(money_movements(stack.fake, rng, placed, faults), rng, fault_rate, faults)
        rng.shuffle(plan)
        deliverers = [
            Deliverer(web.url + "/webhooks/stripe", [WEBHOOK_SECRET], backoff=BACKOFF, timeout=10) for web in stack.webs
        ]
        monkey = Monkey(stack.mongo, rng, fault_rate)
        monkey.start()
        send = _sender(deliverers, rng)
        third = len(plan) // 3
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(send, plan[:third]))
            killer = kill_database(stack.mongo, faults)  # dies a third of the way through
            list(pool.map(send, plan[third:]))
        killer.join(30)
        monkey.stop()
        stack.wait_for_passes(2 * reconcilers, timeout=30)
        stack.stop_reconcilers()
        faults.update(monkey.counts)
        deliveries_done = time.monotonic()
        ledger_read_faults(stack.fake, rng, faults, max(1, round(len(placed) * fault_rate / 4)))
        status, summary = stack.reconcile()
        passes = 1
        # The ledger posts a batch per pass, and a read that failed under the faults is retried next pass.
        while (status != 0 or stack.ledger_pending() or _sweep_held(summary)) and passes < 10:
            if _sweep_held(summary):  # a stopped worker's lease, left when the database died: it expires
                time.sleep(1)
            status, summary = stack.reconcile()
            passes += 1
        # Consolidation, the ledger's safety net (the worker runs it per closed period): the run's
        # day so far, provisionally; what it posts now is counted as healed.
        consolidation = _consolidate(stack, started_at)
        healed_at = time.monotonic()
        # One delivery pass to the flaky shop, in case the worker (starved of CPU) sent nothing yet.
        stack.deliver_order_events(passes=1)
        shop.flaky = False  # the shop is back: what the worker did not get through is delivered now
        delivery_passes = stack.deliver_order_events()
        figures = verify(stack, placed)
        figures.update(order_event_figures(stack.database(), shop), order_event_passes=delivery_passes)
        statuses = [status for deliverer in deliverers for _, status in deliverer.attempts]
        figures.update(
            instances=instances,
            reconcilers=reconcilers,
            duplicates_to_both=sum(1 for _, both in plan if both),
            orders=orders,
            fault_rate=fault_rate,
            seed=seed,
            checkouts_ok=len(placed),
            checkout_5xx=stats["checkout 5xx"],
            events_sent=len({e["id"] for e, _ in plan}),
            deliveries=len(statuses),
            webhook_5xx=sum(1 for s in statuses if s >= 500),
            webhook_no_answer=sum(1 for s in statuses if s == 0),
            faults=dict(sorted(faults.items())),
            reconcile=summary,
            reconcile_status=status,
            final_passes=passes,
            consolidation_healed=consolidation["healed"],
            consolidation_unmatched=consolidation["unmatched"],
            consolidation_kinds=dict(consolidation["kinds"]),
            time_to_heal_s=round(healed_at - deliveries_done, 1),
            wall_s=round(healed_at - started, 1),
        )
        ok = status == 0 and not any(
            figures[k]
            for k in (
                "lost",
                "double_applied",
                "regressed",
                "pi_created_twice",
                "events_unapplied",
                "ledger_unbalanced",
                "balance_transactions_unmatched",
                "stripe_balance_differs",
                "ledger_pending",
                "sweeps_in_a_taken_window",
                "periods_consolidated_twice",
                "secrets_at_rest",
                "order_events_out_of_order",
                "order_events_never_happened",
            )
        )
        ok = ok and figures["order_events_delivered"] == figures["order_events_expected"]
        return figures, ok and figures["paid"] == figures["expected_paid"]
    finally:
        stack.stop()
        shop.close()


def _sender(deliverers, rng):
    """Deliver one planned event: to one instance at random, or (a duplicate Stripe sent
    twice at once) to every instance concurrently."""
    lock = threading.Lock()

    def send(entry):
        event, both = entry
        if not both:
            with lock:
                deliverer = rng.choice(deliverers)
            return deliverer.deliver(event, max_attempts=len(BACKOFF) + 1)
        threads = [
            threading.Thread(target=d.deliver, args=(event,), kwargs={"max_attempts": len(BACKOFF) + 1})
            for d in deliverers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return None

    return send


def _checkouts(stack, rng, orders, fault_rate, faults, stats):
    """Check out ``orders`` carts (a client that retries 5xx with the same Idempotency-Key),
    spread over the web instances."""

    def one(index):
        for attempt in range(6):
            try:
                response = requests.post(
                    stack.webs[index % len(stack.webs)].url + "/checkout",
                    timeout=10,
                    json={"items": [{"sku": "tee", "quantity": 1 + index % 3}]},
                    headers={"Idempotency-Key": f"chaos-{index}"},
                )
            except requests.RequestException:
                stats["checkout 5xx"] += 1
                continue
            if response.status_code == 201:
                return response.json()
            stats["checkout 5xx"] += response.status_code >= 500
            time.sleep(0.05 * (attempt + 1))
        return None

    for _ in range(orders):
        if rng.random() < fault_rate:
            stripe_fault(stack.fake, rng, faults)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(orders)))
    stack.fake.clear_faults()
    return [(r["order_id"], r["payment_intent_id"]) for r in results if r]


def _payments(fake, rng, placed, fault_rate, faults):
    """Move each PI at Stripe; return the webhook deliveries to make (every event Stripe
    emitted for it: the PaymentIntent's and its charge's) as (event, to every instance at
    once), shuffled, with some lost and some duplicated (see ``_lossy``)."""
    plan = []
    for _, pi_id in placed:
        roll, start = rng.random(), len(fake.events)
        if roll < 0.10:
            fake.process(pi_id)
            fake.succeed(pi_id)
        elif roll < 0.20:
            fake.fail(pi_id)
            fake.succeed(pi_id)
        elif roll < 0.25:
            fake.fail(pi_id)
        elif roll < 0.95:
            fake.succeed(pi_id)
        plan += _lossy(fake.events[start:], rng, fault_rate, faults)
    rng.shuffle(plan)
    return plan


def _consolidate(stack, started_at):
    """``consolidate --period day`` for each day the run touched; returns the counts."""
    stack.fake.clear_faults()  # any ledger-read fault the passes did not consume
    totals = {"healed": 0, "unmatched": 0, "kinds": Counter()}
    for day in sorted({started_at.date(), datetime.now(UTC).date()}):
        result = stack.cli("consolidate", "--period", "day", "--at", f"{day.isoformat()}T12:00:00", "--json")
        if not result.stdout.strip():
            raise RuntimeError(f"consolidate {day} failed ({result.returncode}): {result.stderr[-800:]}")
        run = json.loads(result.stdout)
        totals["healed"] += run["counts"]["healed"]
        totals["unmatched"] += run["unmatched"]
        totals["kinds"].update(item["kind"] for item in run["items"])
    return totals


def _lossy(events, rng, fault_rate, faults):
    """The deliveries Stripe makes of ``events``, as (event, to every instance at once): some
    never delivered (only the Events-API sweep can find those), some duplicated (delivered once
    more later, and that duplicate to every instance at once)."""
    plan = []
    for event in events:
        if rng.random() < fault_rate / 2:
            faults["webhook never delivered"] += 1
            continue
        plan.append((event, False))
        if rng.random() < fault_rate:
            faults["webhook duplicate"] += 1
            plan.append((event, True))
    return plan


def _sweep_held(summary):
    """Whether the pass skipped the event sweep because a lease was still held."""
    return "holds the lease" in summary
