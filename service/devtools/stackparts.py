"""The pieces of ``python -m service dev`` (devstack.py): the embedded database, the Stripe
simulator, the dev tokens, the Procfile's processes, and the checks that the stack is up."""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import requests

from . import devenv, outage
from .secantus import SecantusServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
DEMO_CATALOG = os.path.join(os.path.dirname(__file__), "demo_catalog.json")
SIM_KEY, SIM_PUBLISHABLE, SIM_WEBHOOK_SECRET = "sk_test_simulator", "pk_test_simulator", "whsec_simulator"
# Stripe retries for days; the demo redelivers every 5 s for about 3 minutes, so an order
# whose webhook met an outage turns paid a few seconds after the outage ends.
DEV_BACKOFF, DEV_DELIVERY_ATTEMPTS = (1.0, 2.0, 4.0, 5.0), 40
START_TIMEOUT = 60.0
SIMULATOR_SETTINGS = (
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "STRIPE_JS_URL",
)


def port_problem(host, port):
    """Why the web port cannot be used (with the fix), or None when it is free."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            sock.bind((host, port))
        except OSError as exc:
            return f"cannot listen on {host}:{port} ({exc.strerror}): stop what uses it, or pass --port N"
    return None


def prepare(env):
    """Create indexes and load the demo catalog (idempotent), as the release phase would.
    Returns the services, for ``wait_for_first_pass``; ``connection.disconnect()`` ends them."""
    from service import create_app, handlers

    services = handlers.services_of(create_app(env))
    handlers.prepare_database(services)
    with open(DEMO_CATALOG, encoding="utf-8") as handle:
        handlers.import_products(services, json.load(handle))
    return services


def wait_for_first_pass(services, worker, since, timeout=START_TIMEOUT):
    """Wait until the worker has completed a reconcile pass after ``since`` (so the stack never
    looks stale), or exited, or ``timeout`` passed; then close this process's connection."""
    from service.store import connection

    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and worker.poll() is None:
            last = (services.store.operations.reconcile_stats() or {}).get("last_completed_at")
            if last is not None and last >= since:
                return
            time.sleep(0.2)
    finally:
        connection.disconnect()


def real_stripe_problem(env):
    """Why the real-Stripe configuration cannot run the dev stack, or None when it can."""
    missing = [name for name in ("STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET") if not env.get(name)]
    if env["STRIPE_SECRET_KEY"].startswith(("sk_live_", "rk_live_")):
        return "dev refuses live keys: use your sk_test_/pk_test_ keys"
    if missing:
        return (
            f"with STRIPE_SECRET_KEY set, also set {' and '.join(missing)} (the webhook secret is "
            f"the whsec_... that `stripe listen --forward-to localhost:PORT/webhooks/stripe` prints)"
        )
    return None


def start_simulator(env, port):
    """Start the Stripe simulator and point the app (and the page's Stripe.js) at it."""
    from .fake_stripe import FakeStripe

    simulator = FakeStripe(
        api_key=SIM_KEY,
        publishable_key=SIM_PUBLISHABLE,
        webhook_secrets=[SIM_WEBHOOK_SECRET],
        webhook_url=f"http://127.0.0.1:{port}/webhooks/stripe",
        auto_deliver=True,
        webhook_backoff=DEV_BACKOFF,
        webhook_max_attempts=DEV_DELIVERY_ATTEMPTS,
    ).start()
    env.update(
        STRIPE_SECRET_KEY=SIM_KEY,
        STRIPE_PUBLISHABLE_KEY=SIM_PUBLISHABLE,
        STRIPE_JS_URL=f"{simulator.url}/v3/",
        STRIPE_WEBHOOK_SECRET=SIM_WEBHOOK_SECRET,
        STRIPE_API_BASE=simulator.url,
    )
    return simulator


def dev_tokens(env):
    """ADMIN_TOKEN and METRICS_TOKEN for this run, unless set: the admin API and /metrics
    behave as in production, with tokens the banner and `dev env` show."""
    made = {name: secrets.token_urlsafe(32) for name in ("ADMIN_TOKEN", "METRICS_TOKEN") if not env.get(name)}
    env.update(made)
    return made


def start_process(argv, env):
    """A Procfile process (argv[0] from this venv) in the project root; Ctrl-C reaches it too."""
    return subprocess.Popen([os.path.join(BIN, argv[0]), *argv[1:]], cwd=ROOT, env=env)


def wait_until_serving(web, url, timeout=START_TIMEOUT):
    """None once ``url``/healthz answers 200, else why not (gunicorn exited, or too slow)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if web.poll() is not None:
            return f"gunicorn exited with status {web.returncode} (its output is above)"
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return None
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return f"gunicorn did not answer {url}/healthz within {timeout:g} s"


def start_dependencies(env, args, stoppers):
    """Start the database and the simulator unless configured (each one's stop appended to
    ``stoppers``); returns (notes for the banner and the state file, the variables set for the
    operator's own commands)."""
    cli_env: dict[str, str] = {}
    state: dict[str, Any] = {"app_name": outage.SERVICE_APP_NAME}
    notes: dict[str, Any] = {"state": state}
    if not env.get("MONGODB_URI"):
        database = SecantusServer(args.data_dir).start()
        stoppers.append(database.stop)
        # The appName lets `dev outage` fail only the service's (web and worker) connections.
        env["MONGODB_URI"] = f"{database.uri('payments')}&appName={outage.SERVICE_APP_NAME}"
        cli_env["MONGODB_URI"] = f"{database.uri('payments')}&appName={devenv.CLI_APP_NAME}"
        state.update(outage_uri=database.uri(), database_pid=database.process.pid)
        notes["database"] = f"embedded SecantusDB on port {database.port}, data in {args.data_dir}"
        notes["outage"] = "Outage demo:       .venv/bin/python -m service dev outage --seconds 20"
    else:
        notes["database"] = "MONGODB_URI"
    if not env.get("STRIPE_SECRET_KEY"):
        simulator = start_simulator(env, args.port)
        stoppers.append(simulator.stop)
        state["simulator_url"] = simulator.url
        cli_env.update({name: env[name] for name in SIMULATOR_SETTINGS})
        notes["stripe"] = f"Stripe simulator:  {simulator.url}  (offline; webhooks signed and redelivered)"
    else:
        notes["stripe"] = (
            "Stripe:            real test mode. Forward webhooks with\n"
            f"  stripe listen --forward-to localhost:{args.port}/webhooks/stripe"
        )
    return notes, cli_env


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 30 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def remove(path: str) -> None:
    """Delete ``path`` if it exists."""
    if os.path.exists(path):
        os.remove(path)
