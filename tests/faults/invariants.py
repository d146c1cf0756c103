"""The payment invariants every fault scenario must end in, checked from the outside.

Sources: Stripe's side (the fake's PaymentIntents and events) and our database read with
a plain pymongo client. ``violations`` returns readable strings (empty when all hold):

1. one PaymentIntent per order: no two PIs name the same ``metadata.order_id``, every
   order's ``payment_intent_id`` is the PI naming that order, no PI names a missing order;
2. money matches: a succeeded PI's order is ``paid`` (same amount and currency) or
   ``needs_review`` with a reason; a ``paid`` order's PI succeeded; a canceled PI's order
   is ``canceled``;
3. history is a clean, monotonic chain: it starts at ``pending``, each step starts where
   the last ended, it ends at the current status, no fact (event id) appears twice, and
   nothing follows ``paid``/``needs_review`` (``canceled`` may only go to ``needs_review``);
4. every payment event Stripe emitted is in the inbox exactly once, ``applied`` or
   ``ignored``, and caused at most one transition across all orders.
"""

from collections import Counter

from service.domain.orders import EVENT_TRIGGERS

ABSORBING = ("paid", "needs_review")


def violations(raw_db, fake, *, require_pi=True):
    """Every broken invariant as a string. ``require_pi``: every order must have a PI
    (true after a reconcile pass, which finds or creates the missing ones)."""
    orders = {order["_id"]: order for order in raw_db.orders.find({})}
    pis = fake.payment_intents
    problems = []
    problems += _one_pi_per_order(orders, pis, require_pi)
    problems += _money_matches(orders, pis)
    for order in orders.values():
        problems += history_problems(order)
    problems += _events_applied_once(raw_db, orders, fake.events)
    return problems


def assert_invariants(raw_db, fake, **options):
    """Raise AssertionError listing every broken invariant."""
    problems = violations(raw_db, fake, **options)
    assert not problems, "invariants broken:\n  " + "\n  ".join(problems)


def _one_pi_per_order(orders, pis, require_pi):
    problems = []
    by_order = {}
    for pi in pis.values():
        by_order.setdefault((pi.get("metadata") or {}).get("order_id"), []).append(pi["id"])
    for order_id, ids in by_order.items():
        if len(ids) > 1:
            problems.append(f"order {order_id}: {len(ids)} PaymentIntents {ids}")
        if order_id not in orders:
            problems.append(f"PaymentIntent(s) {ids} name order {order_id!r}, which does not exist")
    for order_id, order in orders.items():
        pi_id = order.get("payment_intent_id")
        if pi_id is None:
            if require_pi:
                problems.append(f"order {order_id} ({order['status']}) has no PaymentIntent after reconcile")
        elif by_order.get(order_id) != [pi_id]:
            problems.append(f"order {order_id} holds {pi_id} but Stripe has {by_order.get(order_id)} for it")
    return problems


def _money_matches(orders, pis):
    problems = []
    for pi in pis.values():
        order = orders.get((pi.get("metadata") or {}).get("order_id"))
        if order is None:
            continue
        status, where = order["status"], f"order {order['_id']} / {pi['id']}"
        if pi["status"] == "succeeded":
            if status == "needs_review":
                if not order.get("review_reason"):
                    problems.append(f"{where}: needs_review without a reason")
            elif status != "paid":
                problems.append(f"{where}: PI succeeded but order is {status}")
            elif (pi["amount_received"], pi["currency"]) != (order["amount"], order["currency"]):
                problems.append(
                    f"{where}: paid with {pi['amount_received']} {pi['currency']} "
                    f"for {order['amount']} {order['currency']}"
                )
        elif status == "paid":
            problems.append(f"{where}: order paid but PI is {pi['status']}")
        elif pi["status"] == "canceled" and status != "canceled":
            problems.append(f"{where}: PI canceled but order is {status}")
    return problems


def history_problems(order):
    """Readable problems with one order's status history; empty for a clean monotonic chain."""
    return duplicate_facts(order) + chain_problems(order)


def duplicate_facts(order):
    """A fact (event id or reconcile id) applied more than once to the order."""
    sources = Counter(step["source"] for step in order.get("history") or [])
    return [f"order {order['_id']}: {source} applied {n} times" for source, n in sources.items() if n > 1]


def chain_problems(order):
    """A step that does not start where the last ended, a step out of an absorbing status
    (``canceled`` may only go to ``needs_review``), or a status the history does not end at."""
    problems, where, current = [], f"order {order['_id']}", "pending"
    for step in order.get("history") or []:
        if step["from"] != current:
            problems.append(f"{where}: step {step['from']}->{step['to']} does not start at {current}")
        if current in ABSORBING or (current == "canceled" and step["to"] != "needs_review"):
            problems.append(f"{where}: regressed {current} -> {step['to']} ({step['source']})")
        current = step["to"]
    if current != order["status"]:
        problems.append(f"{where}: status {order['status']} but history ends at {current}")
    return problems


def _events_applied_once(raw_db, orders, events):
    problems = []
    rows = {row["_id"]: row for row in raw_db.stripe_events.find({}, {"payload": 0})}
    for row in rows.values():
        if row["state"] not in ("applied", "ignored"):
            problems.append(f"inbox {row['_id']} is {row['state']} ({row.get('last_error')})")
    for event in events:
        if event["type"] in EVENT_TRIGGERS and event["id"] not in rows:
            problems.append(f"event {event['id']} ({event['type']}) never reached the inbox")
    uses = Counter(step["source"] for order in orders.values() for step in order.get("history") or ())
    problems += [f"fact {source} changed {n} orders" for source, n in uses.items() if n > 1]
    return problems
