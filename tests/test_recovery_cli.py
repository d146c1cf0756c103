"""The recovery commands as an operator runs them: exit statuses, events list/replay, the
worker loop stopping on SIGTERM, and index-bounded queries."""
import json
import os
import signal
import subprocess
from datetime import timedelta

from service.store import utcnow
from service.store_recovery import (STUCK_ORDERS_INDEX, UNAPPLIED_EVENTS_INDEX, stuck_orders_query,
                                     unapplied_events_query)
from tests.conftest import app_env
from tests.helpers import deliver, new_order
from tests.processes import BIN, ROOT, process_env


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
    raw_db.stripe_events.insert_one({"_id": event["id"], "type": event["type"], "payload": json.dumps(event),
                                     "state": "failed", "attempts": 5, "last_error": "boom",
                                     "received_at": utcnow()})
    listed = runner.invoke(args=["events", "list", "--state", "failed"])
    assert listed.exit_code == 0 and event["id"] in listed.output and "1 event(s)" in listed.output
    replayed = runner.invoke(args=["events", "replay", event["id"]])
    assert replayed.exit_code == 0 and "applied" in replayed.output
    assert raw_db.orders.find_one({"_id": order_id})["status"] == "paid"
    assert runner.invoke(args=["events", "replay", "evt_missing"]).exit_code == 1
    assert runner.invoke(args=["events", "list", "--state", "bogus"]).exit_code == 1


def test_worker_loop_stops_gracefully_on_sigterm(mongo, fake_stripe):
    """The Procfile worker runs passes in a loop and exits 0 soon after SIGTERM."""
    env = process_env(app_env(mongo, fake_stripe, STRIPE_READ_RATE=1000))
    assert subprocess.run([os.path.join(BIN, "flask"), "--app", "wsgi", "db", "init"], cwd=ROOT, env=env,
                          capture_output=True, timeout=60).returncode == 0
    worker = subprocess.Popen([os.path.join(BIN, "flask"), "--app", "wsgi", "reconcile", "--loop",
                               "--interval", "0.2"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
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


def _examined(raw_db, collection, query, sort, hint):
    plan = raw_db.command("explain", {"find": collection, "filter": query, "sort": sort,
                                      "hint": dict(hint)}, verbosity="executionStats")
    return plan["executionStats"]["totalDocsExamined"], json.dumps(plan["queryPlanner"], default=str)


def test_recovery_queries_examine_stuck_work_not_history(services, raw_db):
    """With 3,000 settled orders and applied events, the stuck-order and unapplied-event queries
    examine only the handful of stuck documents, through their indexes."""
    now = utcnow()
    base = {"amount": 100, "currency": "usd", "items": [], "history": [], "created_at": now, "updated_at": now}
    raw_db.orders.insert_many([{**base, "_id": f"ord_done{i}", "status": "paid",
                                "expected_by": now - timedelta(hours=1)} for i in range(3000)])
    raw_db.orders.insert_many([{**base, "_id": f"ord_stuck{i}", "status": "pending",
                                "expected_by": now - timedelta(minutes=5)} for i in range(5)])
    raw_db.stripe_events.insert_many([{"_id": f"evt_done{i}", "state": "applied", "received_at": now}
                                      for i in range(3000)])
    raw_db.stripe_events.insert_many([{"_id": f"evt_open{i}", "state": "received",
                                       "received_at": now - timedelta(minutes=5)} for i in range(3)])
    examined, plan = _examined(raw_db, "orders", stuck_orders_query(now), {"expected_by": 1, "_id": 1},
                              STUCK_ORDERS_INDEX)
    assert examined <= 5 and "IXSCAN" in plan, plan
    examined, plan = _examined(raw_db, "stripe_events", unapplied_events_query(now, 10), {"received_at": 1},
                              UNAPPLIED_EVENTS_INDEX)
    assert examined <= 3 and "IXSCAN" in plan, plan
    assert len(services.store.find_stuck_orders(now, 200)) == 5
