"""`python -m service dev` as a newcomer meets it: what production runs (web and worker) on
loopback, dev tokens for the admin API and /metrics, `dev env` for their own commands, and a
clear refusal when the port is taken."""

import json
import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.support.helpers import wait_for
from tests.support.processes import ROOT, process_env


@pytest.fixture
def dev(dev_stack):
    return dev_stack


def dev_command(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "service", "dev", *args],
        cwd=ROOT,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_dev_stack_runs_web_and_worker_on_loopback_with_tokens_it_prints(dev):
    """gunicorn listens on 127.0.0.1 only; the worker's passes make the reconciler healthy; the
    admin API and /metrics answer the printed tokens, and no reconciler_stale alert is logged at startup."""
    assert f"Listening at: http://127.0.0.1:{dev.url.rsplit(':', 1)[1]}" in dev.logs()
    tokens = dev.env()
    banner = dev.logs()
    assert f"Bearer {tokens['ADMIN_TOKEN']}" in banner and f"Bearer {tokens['METRICS_TOKEN']}" in banner
    admin = {"Authorization": f"Bearer {tokens['ADMIN_TOKEN']}"}
    summary = wait_for(
        lambda: (
            (s := requests.get(dev.url + "/admin/summary", headers=admin, timeout=5).json())["reconciler"]["runs_ok"]
            and s
        ),
        timeout=20,
    )
    assert summary["reconciler_health"]["stale"] is False
    assert requests.get(dev.url + "/metrics", timeout=5).status_code == 401
    metrics = requests.get(dev.url + "/metrics", headers={"Authorization": f"Bearer {tokens['METRICS_TOKEN']}"}).text
    assert "payments_reconciler_stale 0.0" in metrics
    # Up to the worker's first pass: the stack is healthy from its start. (The stack is shared by
    # the session; a pass starved of CPU later by a parallel test run may rightly be called stale.)
    startup = dev.logs().split('"msg":"reconcile pass"', 1)[0]
    assert '"msg":"reconcile pass"' in dev.logs() and '"alert":"reconciler_stale"' not in startup


def test_dev_env_prints_exports_that_point_flask_commands_at_the_running_stack(dev):
    """`eval "$(python -m service dev env)"` then `flask --app wsgi orders show` finds an order
    the running stack just took."""
    order = requests.post(dev.url + "/checkout", json={"items": [{"sku": "tee", "quantity": 1}]}, timeout=10).json()
    printed = dev_command("env", "--state-file", dev.state_file)
    assert printed.returncode == 0, printed.stderr
    script = f'eval "$({sys.executable} -m service dev env --state-file {dev.state_file})" && ' + (
        f"flask --app wsgi orders show {order['order_id']} --json"
    )
    shown = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=process_env({}), capture_output=True, text=True, timeout=60, check=False
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["order"]["order_id"] == order["order_id"]
    as_json = json.loads(dev_command("env", "--json", "--state-file", dev.state_file).stdout)
    assert as_json["PAYMENTS_URL"] == dev.url and as_json["MONGODB_URI"].endswith("appName=payments-cli")


def test_the_dev_stack_shows_a_newcomer_the_order_events_it_delivers(dev):
    """Pay an order on the dev stack: its own shop receiver verifies and prints order.paid."""
    env = dev.env()
    assert "Order events:" in dev.logs() and env["SHOP_WEBHOOK_URLS"].startswith("http://127.0.0.1:")
    order = requests.post(dev.url + "/checkout", json={"items": [{"sku": "tee", "quantity": 1}]}, timeout=10).json()
    confirmed = requests.post(
        f"{env['STRIPE_API_BASE']}/v1/payment_intents/{order['payment_intent_id']}/confirm",
        auth=(env["STRIPE_SECRET_KEY"], ""),
        data={"payment_method": "pm_card_visa"},
        timeout=10,
    )
    assert confirmed.status_code == 200, confirmed.text
    wait_for(lambda: f"shop received order.paid oev_{order['order_id']}_1" in dev.logs(), timeout=30)


def test_dev_env_without_a_running_stack_says_how_to_start_one(tmp_path):
    """No state file: exit 1 and the command to run."""
    result = dev_command("env", "--state-file", str(tmp_path / "none.json"))
    assert result.returncode == 1 and "python -m service dev" in result.stderr


def test_a_taken_port_is_refused_at_once_with_the_option_to_use(tmp_path):
    """Port in use: exit 1 within seconds, no banner, and the hint to pass --port."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()
        result = dev_command(
            "--port", str(port), "--data-dir", str(tmp_path / "db"), "--state-file", str(tmp_path / "d")
        )
    assert result.returncode == 1
    assert time.monotonic() - started < 10
    assert "Checkout page" not in result.stdout
    assert f"127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert not os.path.exists(tmp_path / "db")
