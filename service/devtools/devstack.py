"""``python -m service dev``: the whole stack on one machine, offline, in one command.

Starts what is not configured: an embedded SecantusDB (data kept under ``var/``) when
MONGODB_URI is unset, and the local Stripe simulator (signed webhook delivery with
redelivery) when STRIPE_SECRET_KEY is unset; creates the indexes, loads the demo catalog
and runs gunicorn exactly as the Procfile does. Ctrl-C stops everything.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import threading

from .secantus import SecantusServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_CATALOG = os.path.join(os.path.dirname(__file__), "demo_catalog.json")
SIM_KEY, SIM_PUBLISHABLE, SIM_WEBHOOK_SECRET = "sk_test_simulator", "pk_test_simulator", "whsec_simulator"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m service dev", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--data-dir", default=os.path.join(ROOT, "var", "secantus"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    return parser.parse_args(argv)


def prepare(env):
    """Create indexes and load the demo catalog (idempotent), as the release phase would."""
    from service import create_app, db, handlers

    app = create_app(env)
    with app.app_context():
        db.ensure_indexes()
        with open(DEMO_CATALOG, encoding="utf-8") as handle:
            handlers.import_products(app.extensions["payments"], json.load(handle))
    db.disconnect()


def main(argv=None):
    """Run the dev stack until interrupted; returns the process exit status."""
    args = parse_args(argv)
    env = dict(os.environ, PORT=str(args.port), WEB_CONCURRENCY=str(args.workers))
    stoppers, db_note = [], "MONGODB_URI"
    try:
        if not env.get("MONGODB_URI"):
            database = SecantusServer(args.data_dir).start()
            stoppers.append(database.stop)
            env["MONGODB_URI"] = database.uri("payments")
            db_note = f"embedded SecantusDB on port {database.port}, data in {args.data_dir}"
        if not env.get("STRIPE_SECRET_KEY"):
            from .fake_stripe import FakeStripe

            simulator = FakeStripe(api_key=SIM_KEY, webhook_url=f"http://127.0.0.1:{args.port}/webhooks/stripe",
                                   webhook_secrets=[SIM_WEBHOOK_SECRET], auto_deliver=True)
            simulator.start()
            stoppers.append(simulator.stop)
            env.update(STRIPE_SECRET_KEY=SIM_KEY, STRIPE_PUBLISHABLE_KEY=SIM_PUBLISHABLE,
                       STRIPE_WEBHOOK_SECRET=SIM_WEBHOOK_SECRET, STRIPE_API_BASE=simulator.url)
            stripe_note = f"Stripe simulator:  {simulator.url}  (offline; webhooks are signed and redelivered)"
        else:
            stripe_note = ("Stripe: real test mode. Forward webhooks with\n  stripe listen --forward-to "
                           f"localhost:{args.port}/webhooks/stripe\nand set STRIPE_WEBHOOK_SECRET to the whsec_... it prints.")
        prepare(env)
        web = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-c",
                                "python:service.gunicorn_config", "wsgi:app"], cwd=ROOT, env=env)
        stoppers.append(lambda: (web.send_signal(signal.SIGTERM), web.wait(30)))
        print(f"\nPayments service:  http://127.0.0.1:{args.port}   (POST /checkout, GET /orders/<id>)\n"
              f"{stripe_note}\nDatabase:          {db_note}\n"
              "Press Ctrl-C to stop.\n", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        while not stop.is_set() and web.poll() is None:
            stop.wait(0.5)
        return web.returncode or 0
    except KeyboardInterrupt:
        return 0
    finally:
        for halt in reversed(stoppers):
            halt()
