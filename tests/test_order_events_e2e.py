"""End to end: gunicorn as the Procfile runs it, the operator's CLI (`outbox deliver`,
`outbox replay`, `orders show`) and the Procfile's worker delivering order events to a local
shop that verifies each signature with the standardwebhooks package."""

import json
import os
import signal
import subprocess

import pytest
import requests

from service.devtools.fake_stripe import Deliverer
from tests.support.helpers import WEBHOOK_SECRET, wait_for
from tests.support.processes import BIN, ROOT, process_env, procfile_command
from tests.support.shop import SHOP_SECRET as SECRET
from tests.support.stack import ServiceStack


@pytest.fixture
def stack(mongo, fake_stripe, receiver, tmp_path):
    env = {"SHOP_WEBHOOK_URLS": receiver.url, "SHOP_WEBHOOK_SECRETS": SECRET, "OUTBOX_INTERVAL_SECONDS": "0.1"}
    with ServiceStack(str(tmp_path), mongo=mongo, fake=fake_stripe, env=env, workers=1) as stack:
        yield stack.start()


def _paid_order(stack, fake_stripe):
    body = requests.post(stack.url + "/checkout", json={"items": [{"sku": "tee", "quantity": 1}]}, timeout=10).json()
    deliverer = Deliverer(stack.url + "/webhooks/stripe", [WEBHOOK_SECRET])
    assert deliverer.deliver(fake_stripe.succeed(body["payment_intent_id"]), max_attempts=1) == [200]
    return body["order_id"]


def test_a_paid_order_reaches_the_shop_through_the_cli(stack, fake_stripe, receiver):
    """Pay through gunicorn, `outbox deliver --json` sends order.paid, `orders show` lists it delivered."""
    order_id = _paid_order(stack, fake_stripe)
    result = stack.cli("outbox", "deliver", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["relayed"] == 1 and report["endpoints"][0]["delivered"] == 1
    assert receiver.event_ids() == [f"oev_{order_id}_1"] and receiver.rejected == 0
    shown = json.loads(stack.cli("orders", "show", order_id, "--json").stdout)
    assert shown["order_events"][0]["deliveries"][0]["state"] == "delivered"


def test_a_failing_shop_is_retried_and_the_cli_says_so(stack, fake_stripe, receiver):
    """The shop answers 500: the pass exits 1 and `orders show` names the attempt; nothing is
    dead yet, so replay finds nothing; a later pass (backoff elapsed) delivers."""
    order_id = _paid_order(stack, fake_stripe)
    receiver.steps = [500]
    failed = stack.cli("outbox", "deliver", "--json")
    assert failed.returncode == 1 and json.loads(failed.stdout)["endpoints"][0]["failed"] == 1
    text = stack.cli("orders", "show", order_id).stdout
    assert f"order event oev_{order_id}_1" in text and "pending, 1 attempt(s)" in text
    replay = stack.cli("outbox", "replay", "--all", "--json")
    assert replay.returncode == 0 and json.loads(replay.stdout) == {"replayed": 0}
    usage = stack.cli("outbox", "replay")
    assert usage.returncode == 2 and "exactly one of" in usage.stderr
    raw = stack.database()
    raw.order_event_deliveries.update_many({}, {"$set": {"next_attempt_at": raw.orders.find_one()["created_at"]}})
    assert stack.cli("outbox", "deliver").returncode == 0
    assert receiver.event_ids() == [f"oev_{order_id}_1"]


def test_the_procfile_worker_delivers_continuously(stack, fake_stripe, receiver):
    """The Procfile's worker (reconcile --loop) delivers order events as they happen, and
    stops on SIGTERM."""
    argv = procfile_command("worker")
    worker = subprocess.Popen(
        [os.path.join(BIN, argv[0]), *argv[1:], "--interval", "0.2"],
        cwd=ROOT,
        env=process_env(stack.env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        first = _paid_order(stack, fake_stripe)
        wait_for(lambda: receiver.event_ids() == [f"oev_{first}_1"], timeout=20)
        second = _paid_order(stack, fake_stripe)
        wait_for(lambda: receiver.event_ids() == [f"oev_{first}_1", f"oev_{second}_1"], timeout=20)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(15)
    assert worker.returncode == 0
