"""Database faults at each command of the shortened webhook path, under gunicorn.

The hot path (issue 15) changed what a delivery writes: an event that changes no order is one
insert already ``ignored``; an applied event is one presumed conditional update of the order,
then one insert of its row already ``applied``; a duplicate is the refused insert and one read. Each
test fails one of those commands and proves the guarantee it carries: no 200 before the event
is applied or durably recorded, never applied twice, a fast 503 that redelivery heals, and
the ledger's mark never lost. Every scenario ends with redelivery, one reconcile pass and the
invariants (tests/faults/invariants.py).
"""

import time

import pytest

from service.domain.ledger_events import CHARGE_EVENTS


def _events_of(stack, pi_id, kind):
    return [
        e
        for e in stack.fake.events
        if e["type"] == kind and (e["data"]["object"].get("payment_intent") or e["data"]["object"]["id"]) == pi_id
    ]


def _row(stack, event_id):
    return stack.db.stripe_events.find_one({"_id": event_id})


@pytest.mark.parametrize("kind", ["payment_intent.created", "charge.succeeded"])
def test_a_stored_only_event_whose_insert_fails_gets_a_fast_503_and_redelivery_stores_it_once(faults, kind):
    """The one insert fails on every retry: 503 inside the deadline, nothing stored; the
    redelivery stores it ``ignored`` (a ledger event still marked for the ledger worker)."""
    stack = faults
    _, pi_id = stack.new_order()
    stack.fake.succeed(pi_id)
    (event,) = _events_of(stack, pi_id, kind)
    stack.fail_point({"times": 3}, failCommands=["insert"], closeConnection=True)
    started = time.monotonic()
    assert stack.deliver(event) == [503]
    assert time.monotonic() - started < 5
    assert _row(stack, event["id"]) is None
    stack.no_faults()
    assert stack.deliver(event) == [200]
    row = _row(stack, event["id"])
    assert row["state"] == "ignored" and row.get("ledger") == ("pending" if kind in CHARGE_EVENTS else None)
    assert stack.deliver(event) == [200] and stack.db.stripe_events.count_documents({"_id": event["id"]}) == 1
    stack.heal_and_check()


def test_the_presumed_update_failing_is_a_fast_503_and_redelivery_applies_it_once(faults):
    """The one order update of a new success drops its connection on every retry: 503 within
    the deadline, nothing written (no row, the order pending); the redelivery applies it once."""
    stack = faults
    order_id, pi_id = stack.new_order()
    event = stack.fake.succeed(pi_id)
    stack.fail_point({"times": 3}, failCommands=["update"], closeConnection=True)
    started = time.monotonic()
    assert stack.deliver(event) == [503]
    assert time.monotonic() - started < 5
    assert _row(stack, event["id"]) is None
    assert stack.order(order_id)["status"] == "pending"
    stack.no_faults()
    assert stack.deliver(event) == [200]
    assert [s["source"] for s in stack.order(order_id)["history"]] == [event["id"]]
    stack.heal_and_check()


@pytest.mark.parametrize("fault", [{"closeConnection": True}, {"errorCode": 2}], ids=["outage", "refused"])
def test_a_failure_after_the_presumed_update_is_healed_by_the_orders_own_history(faults, fault):
    """The order is paid but storing its row fails: no 200; the redelivery's presumed update
    matches nothing (the event is in the order's history), the row is stored, the order read,
    the event found applied and the row marked: one transition, never two."""
    stack = faults
    order_id, pi_id = stack.new_order()
    event = stack.fake.succeed(pi_id)
    stack.fail_point({"times": 3}, failCommands=["insert"], **fault)
    assert stack.deliver(event) == [503 if "closeConnection" in fault else 500]
    assert stack.order(order_id)["status"] == "paid" and _row(stack, event["id"]) is None
    stack.no_faults()
    assert stack.deliver(event) == [200]
    assert _row(stack, event["id"])["state"] == "applied"
    assert [(s["from"], s["to"], s["source"]) for s in stack.order(order_id)["history"]] == [
        ("pending", "paid", event["id"])
    ]
    stack.heal_and_check()


def test_a_duplicate_whose_read_fails_is_a_503_and_never_applies_twice(faults):
    """The duplicate's read by ``_id`` fails on every retry: 503 (never a 200 on a guess); the
    next redelivery answers ``duplicate`` and the order has the one transition."""
    stack = faults
    order_id, pi_id = stack.new_order()
    event = stack.fake.succeed(pi_id)
    assert stack.deliver(event) == [200]
    stack.fail_point({"times": 3}, failCommands=["find"], closeConnection=True)
    assert stack.deliver(event) == [503]
    stack.no_faults()
    assert stack.deliver(event) == [200]
    assert [s["source"] for s in stack.order(order_id)["history"]] == [event["id"]]
    stack.heal_and_check()


def test_a_late_acknowledgement_of_the_inbox_insert_is_answered_from_the_row_it_wrote(faults):
    """The insert is held past the socket timeout (the server writes it late) and retried: the
    retry meets its own row (duplicate key), reads it and applies the event once."""
    stack = faults
    order_id, pi_id = stack.new_order()
    event = stack.fake.succeed(pi_id)
    stack.fail_point({"times": 1}, failCommands=["insert"], blockConnection=True, blockTimeMS=1500)
    assert stack.deliver(event) == [200]
    time.sleep(1.5)
    assert _row(stack, event["id"])["state"] == "applied"
    assert [s["source"] for s in stack.order(order_id)["history"]] == [event["id"]]
    stack.heal_and_check()
