"""``python -m service dev``: the whole stack on one machine, offline, in one command.

Starts what is not configured: an embedded SecantusDB (data kept under ``var/``) when
MONGODB_URI is unset, and the local Stripe simulator (the Stripe.js stand-in for the
checkout page, signed webhook delivery with redelivery) when STRIPE_SECRET_KEY is unset;
creates the indexes, loads the demo catalog and runs gunicorn exactly as the Procfile does.
Records its URLs in ``var/dev.json`` for ``python -m service dev outage``. Ctrl-C stops all.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading

from . import outage
from .secantus import SecantusServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_CATALOG = os.path.join(os.path.dirname(__file__), "demo_catalog.json")
SIM_KEY, SIM_PUBLISHABLE, SIM_WEBHOOK_SECRET = "sk_test_simulator", "pk_test_simulator", "whsec_simulator"
# Stripe retries for hours; the demo's redelivery lands within ~30 s so an outage heals visibly.
DEV_BACKOFF, DEV_DELIVERY_ATTEMPTS = (1.0, 2.0, 4.0, 8.0, 15.0), 6


def parse_args(argv):
    """The ``dev`` options; defaults keep all state under the checkout's ``var/``."""
    parser = argparse.ArgumentParser(
        prog="python -m service dev",
        description=__doc__.splitlines()[0],
        epilog="python -m service dev outage --seconds N: a database outage demo",
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--data-dir", default=os.path.join(ROOT, "var", "secantus"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    parser.add_argument("--state-file", default=os.path.join(ROOT, "var", "dev.json"))
    return parser.parse_args(argv)


def prepare(env):
    """Create indexes and load the demo catalog (idempotent), as the release phase would."""
    from service import create_app, handlers
    from service.store import connection

    app = create_app(env)
    services = handlers.services_of(app)
    handlers.prepare_database(services)
    with open(DEMO_CATALOG, encoding="utf-8") as handle:
        handlers.import_products(services, json.load(handle))
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


def write_state(path, state):
    """Write the state file atomically, so ``outage`` never reads half of it."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(state, handle)
    os.replace(path + ".tmp", path)


def main(argv=None):
    """Run the dev stack until interrupted (or ``dev outage``); returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["outage"]:
        return outage.main(argv[1:], parse_args([]).state_file)
    args = parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # first, so a stop never skips the cleanup
    env = dict(os.environ, PORT=str(args.port), WEB_CONCURRENCY=str(args.workers))
    if env.get("STRIPE_SECRET_KEY") and real_stripe_problem(env):
        print(real_stripe_problem(env), file=sys.stderr)
        return 2
    web_url = f"http://127.0.0.1:{args.port}"
    state, stoppers = {"pid": os.getpid(), "web_url": web_url, "app_name": outage.WEB_APP_NAME}, []
    try:
        if not env.get("MONGODB_URI"):
            database = SecantusServer(args.data_dir).start()
            stoppers.append(database.stop)
            # The appName lets `dev outage` fail only the web app's connections.
            env["MONGODB_URI"] = f"{database.uri('payments')}&appName={outage.WEB_APP_NAME}"
            state.update(outage_uri=database.uri(), database_pid=database.process.pid)
            db_note = f"embedded SecantusDB on port {database.port}, data in {args.data_dir}"
        else:
            db_note = "MONGODB_URI"
        if not env.get("STRIPE_SECRET_KEY"):
            simulator = start_simulator(env, args.port)
            stoppers.append(simulator.stop)
            state["simulator_url"] = simulator.url
            stripe_note = (
                f"Stripe simulator:  {simulator.url}  (offline; webhooks signed and redelivered)\n"
                "Outage demo:       .venv/bin/python -m service dev outage --seconds 20"
            )
        else:
            stripe_note = (
                "Stripe:            real test mode. Forward webhooks with\n"
                f"  stripe listen --forward-to localhost:{args.port}/webhooks/stripe"
            )
        prepare(env)
        web = subprocess.Popen(
            [
                os.path.join(os.path.dirname(sys.executable), "gunicorn"),
                "-c",
                "python:service.gunicorn_config",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
        )
        stoppers.append(lambda: _stop_process(web))
        write_state(args.state_file, state)
        stoppers.append(lambda: _remove(args.state_file))
        print(
            f"\nCheckout page:     {web_url}/\nPayments API:      {web_url}  (POST /checkout, GET /orders/<id>)\n"
            f"{stripe_note}\nDatabase:          {db_note}\nPress Ctrl-C to stop.\n",
            flush=True,
        )
        while not stop.is_set() and web.poll() is None:
            stop.wait(0.5)
        return web.returncode or 0
    except KeyboardInterrupt:
        return 0
    finally:
        for halt in reversed(stoppers):
            halt()


def _stop_process(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(30)


def _remove(path: str) -> None:
    if os.path.exists(path):
        os.remove(path)
