"""Database failpoints at each step of the webhook path, under gunicorn.

The webhook's commands for a new ``succeeded`` event on a ``processing`` order, in order:
the presumed transition from ``pending`` (``update`` #1, matches nothing here), the inbox
insert (``insert``), the order lookup (``find``), the order transition (``update`` #2),
marking the inbox row applied (``update`` #3). (A ``pending`` order takes the two-command
path: tests/faults/test_hot_path_faults.py.) Each step gets a permanent error (code 2),
one dropped connection, a connection dropped on every retry, and a block longer than the
socket timeout (the server still runs the command late). Every scenario then heals by
redelivery and one reconcile pass and must satisfy the invariants.
"""

import time

import pytest

STEPS = {  # step: (command, matching commands to let through first, the store operation hit)
    "before_inbox_insert": ("insert", 0, "insert_event"),
    "between_inbox_insert_and_order_update": ("update", 1, "apply_transition"),
    "between_order_update_and_marking_applied": ("update", 2, "finish_event"),
}
BLOCK_MS = 1500  # the service's socket timeout in tests is 1000 ms
FAULTS = {
    # name: (times, failpoint data, first reply)
    "error_code_2": (1, {"errorCode": 2}, 500),
    "connection_closed_once": (1, {"closeConnection": True}, 200),
    "connection_closed_every_retry": (3, {"closeConnection": True}, 503),
    "blocked_past_socket_timeout": (1, {"blockConnection": True, "blockTimeMS": BLOCK_MS}, 200),
}


def _state(stack, order_id, event_id):
    row = stack.db.stripe_events.find_one({"_id": event_id})
    return stack.order(order_id)["status"], row and row["state"]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("step", STEPS)
def test_webhook_step_fault_heals_with_each_event_applied_once(faults, step, fault):
    """A failpoint at one webhook step answers per contract; redelivery + reconcile restore every invariant."""
    stack = faults
    command, skip, operation = STEPS[step]
    times, data, expected = FAULTS[fault]
    order_id, pi_id = stack.new_order()
    assert stack.deliver(stack.fake.process(pi_id)) == [200]
    event = stack.fake.succeed(pi_id)

    mark = stack.log_mark()
    stack.fail_point({"skip": skip, "times": times}, failCommands=[command], **data)
    started = time.monotonic()
    assert stack.deliver(event) == [expected]
    assert time.monotonic() - started < 10
    if "blockConnection" in data:
        time.sleep(BLOCK_MS / 1000)  # let the blocked command run late on the server

    if "errorCode" not in data:  # the fault hit the intended step and was retried there
        retried = {line["op"] for line in stack.logs_since(mark) if line["msg"] == "database retry"}
        assert retried == {operation}
    status, row = _state(stack, order_id, event["id"])
    if expected == 200:
        assert (status, row) == ("paid", "applied")
    elif step == "before_inbox_insert":
        assert (status, row) == ("processing", None)
    elif step == "between_inbox_insert_and_order_update":
        assert (status, row) == ("processing", "received")
    else:
        assert (status, row) == ("paid", "received")

    stack.heal_and_check()
    steps = [(s["from"], s["to"], s["source"]) for s in stack.order(order_id)["history"]]
    assert steps[-1] == ("processing", "paid", event["id"]) and len(steps) == 2


def test_permanent_error_is_recorded_on_the_inbox_row_before_the_500(faults):
    """Code 2 on the order update (the presumed one, then the read-and-decide one): 500 with the
    error kept on the stored row, then healed."""
    stack = faults
    order_id, pi_id = stack.new_order()
    event = stack.fake.succeed(pi_id)
    stack.fail_point({"times": 2}, failCommands=["update"], errorCode=2)
    assert stack.deliver(event) == [500]
    row = stack.db.stripe_events.find_one({"_id": event["id"]})
    assert row["state"] == "received" and row["attempts"] == 1 and "OperationFailure" in row["last_error"]
    stack.heal_and_check()
    assert stack.order(order_id)["status"] == "paid"


def test_apply_failure_whose_recording_also_fails_heals(faults):
    """The order update and the recording of its failure both fail: 500, then redelivery applies it once."""
    stack = faults
    order_id, pi_id = stack.new_order()
    event = stack.fake.succeed(pi_id)
    # the presumed update, the order update, the recording of the failure
    stack.fail_point({"times": 3}, failCommands=["update", "findAndModify"], errorCode=2)
    assert stack.deliver(event) == [500]
    row = stack.db.stripe_events.find_one({"_id": event["id"]})
    assert row["state"] == "received" and row["attempts"] == 0
    stack.heal_and_check()
    assert [s["source"] for s in stack.order(order_id)["history"]] == [event["id"]]


def test_unapplied_event_never_redelivered_is_healed_by_reconcile(faults):
    """Stripe gives up after the 503s: the stored, unapplied row is replayed by reconcile.
    (A processing order: the presumed update misses, the row is stored, then the order update
    fails on every retry.)"""
    stack = faults
    order_id, pi_id = stack.new_order()
    assert stack.deliver(stack.fake.process(pi_id)) == [200]
    event = stack.fake.succeed(pi_id)
    stack.fail_point({"skip": 1, "times": 3}, failCommands=["update"], closeConnection=True)
    assert stack.deliver(event) == [503]
    assert stack.db.stripe_events.find_one({"_id": event["id"]})["state"] == "received"
    stack.last_status.pop(event["id"])  # no redelivery: only reconcile can heal it
    stack.heal_and_check()
    assert stack.db.stripe_events.find_one({"_id": event["id"]})["state"] == "applied"
    assert stack.order(order_id)["status"] == "paid"
