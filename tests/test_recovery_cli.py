"""The recovery commands as an operator runs them: exit statuses, events list/replay, the
worker loop stopping on SIGTERM, and index-bounded queries."""

import json
import os
import signal
import subprocess
from datetime import timedelta

from service.clock import utcnow
from service.store.recovery import stuck_order_queries, unapplied_events_queries
from tests.support.helpers import new_order
from tests.support.processes import BIN, ROOT, process_env


def test_reconcile_command_prints_summary_and_exit_status(app, client, fake_stripe):
    """One pass prints 'checked N, healed N, ...' and exits 0; a Stripe outage exits 1."""
    _, pi_id = new_order(client)
    fake_stripe.succeed(pi_id)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["reconcile", "--older-than", "0"])
    assert ok.exit_code == 0 and "checked 1, healed 1, still pending 0, failed 0" in ok.output
    new_order(client)
    fake_stripe.inject("GET", "/v1/payment_intents/", "error", times=3, status=500)
    down = runner.invoke(args=["reconcile", "--older-than", "0"])
    assert down.exit_code == 1 and "failed 1" in down.output


def test_events_list_and_replay(app, client, fake_stripe, raw_db, fail_point):
    """A parked event shows in 'events list --state failed' and 'events replay' applies it."""
    runner = app.test_cli_runner()
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    raw_db.stripe_events.insert_one(
        {
            "_id": event["id"],
            "type": event["type"],
            "payload": json.dumps(event),
            "state": "failed",
            "attempts": 5,
            "last_error": "boom",
            "received_at": utcnow(),
        }
    )
    listed = runner.invoke(args=["events", "list", "--state", "failed"])
    assert listed.exit_code == 0 and event["id"] in listed.output and "1 event(s)" in listed.output
    replayed = runner.invoke(args=["events", "replay", event["id"]])
    assert replayed.exit_code == 0 and "applied" in replayed.output
    assert raw_db.orders.find_one({"_id": order_id})["status"] == "paid"
    assert runner.invoke(args=["events", "replay", "evt_missing"]).exit_code == 1
    assert runner.invoke(args=["events", "list", "--state", "bogus"]).exit_code == 1


def test_worker_loop_stops_gracefully_on_sigterm(service_stack):
    """The Procfile worker runs passes in a loop and exits 0 soon after SIGTERM."""
    env = process_env(service_stack.environment(STRIPE_READ_RATE=1000))
    assert (
        subprocess.run(
            [os.path.join(BIN, "flask"), "--app", "wsgi", "db", "init"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        ).returncode
        == 0
    )
    worker = subprocess.Popen(
        [os.path.join(BIN, "flask"), "--app", "wsgi", "reconcile", "--loop", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = worker.stdout.readline()
        while first.startswith("{"):  # skip JSON log lines
            first = worker.stdout.readline()
        assert first.startswith("checked 0, healed 0")
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=10)
        assert worker.returncode == 0 and "reconciler stopped" in out
    finally:
        worker.kill()


def _examined(raw_db, collection, queries):
    """Documents examined and the plans of ``queries`` run exactly as the store runs them."""
    examined, plans = 0, []
    for query in queries:
        plan = raw_db.command("explain", {"find": collection, "filter": query}, verbosity="executionStats")
        examined += plan["executionStats"]["totalDocsExamined"]
        plans.append(json.dumps(plan["queryPlanner"], default=str))
    return examined, plans


def test_recovery_queries_examine_stuck_work_not_history(services, raw_db):
    """With 3,000 settled orders, 3,000 applied events and 3,000 events parked past the replay
    limit, the stuck-order and unapplied-event queries examine only the few stuck documents,
    through index ranges."""
    now = utcnow()
    base = {"amount": 100, "currency": "usd", "items": [], "history": [], "created_at": now, "updated_at": now}
    raw_db.orders.insert_many(
        [
            {**base, "_id": f"ord_done{i}", "status": "paid", "expected_by": now - timedelta(hours=1)}
            for i in range(3000)
        ]
    )
    raw_db.orders.insert_many(
        [
            {**base, "_id": f"ord_stuck{i}", "status": "pending", "expected_by": now - timedelta(minutes=5)}
            for i in range(5)
        ]
    )
    old = now - timedelta(minutes=5)
    raw_db.stripe_events.insert_many(
        [{"_id": f"evt_done{i}", "state": "applied", "received_at": now} for i in range(3000)]
    )
    raw_db.stripe_events.insert_many(
        [{"_id": f"evt_dead{i}", "state": "failed", "attempts": 10, "received_at": old} for i in range(3000)]
    )
    raw_db.stripe_events.insert_many(
        [{"_id": f"evt_open{i}", "state": "received", "received_at": old} for i in range(3)]
    )
    raw_db.stripe_events.insert_one({"_id": "evt_retry", "state": "failed", "attempts": 2, "received_at": old})
    examined, plans = _examined(raw_db, "orders", stuck_order_queries(now))
    assert examined <= 5 and all("IXSCAN" in plan for plan in plans), plans
    examined, plans = _examined(raw_db, "stripe_events", unapplied_events_queries(now, 10))
    assert examined <= 4 and all("IXSCAN" in plan for plan in plans), plans
    assert len(services.store.recovery.find_stuck_orders(now, 200)) == 5
    assert {row["_id"] for row in services.store.recovery.find_unapplied_events(now, 10, 200)} == {
        "evt_open0",
        "evt_open1",
        "evt_open2",
        "evt_retry",
    }
