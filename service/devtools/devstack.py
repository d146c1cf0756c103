"""``python -m service dev``: the whole stack on one machine, offline, in one command.

Runs what production runs, as the Procfile does: gunicorn (``web``) and the reconciler loop
(``worker``, which also delivers order events), with dev tokens for the admin API and
/metrics, and a small shop receiver that prints the order events it gets. Starts what is not configured:
an embedded SecantusDB (data kept under ``var/``) when MONGODB_URI is unset, and the local
Stripe simulator (the Stripe.js stand-in for the checkout page, signed webhook delivery with
redelivery) when STRIPE_SECRET_KEY is unset. Creates the indexes and loads the demo catalog
first. Records its settings in ``var/dev.json`` for ``dev env`` and ``dev outage``. Ctrl-C
stops everything.
"""

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from . import devenv, outage, shop_receiver, stackparts

ROOT = stackparts.ROOT


def parse_args(argv):
    """The ``dev`` options; defaults keep all state under the checkout's ``var/``."""
    parser = argparse.ArgumentParser(
        prog="python -m service dev",
        description="Run the whole stack offline: database, Stripe simulator, gunicorn and the reconciler worker.",
        epilog="Also: `python -m service dev env` prints the running stack's settings for your own commands; "
        "`python -m service dev outage --seconds N` makes its database refuse writes for a while.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s; 0.0.0.0 for every interface)"
    )
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT", "8000")), help="web port (default: $PORT or 8000)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", "2")),
        help="gunicorn workers (default: $WEB_CONCURRENCY or 2)",
    )
    parser.add_argument(
        "--data-dir",
        default=os.path.join(ROOT, "var", "secantus"),
        help="the embedded database's data, kept between runs (default: var/secantus)",
    )
    parser.add_argument(
        "--state-file",
        default=os.path.join(ROOT, "var", "dev.json"),
        help="where the running stack records its settings for `dev env` and `dev outage` (default: var/dev.json)",
    )
    return parser.parse_args(argv)


def main(argv=None):
    """Run the dev stack until interrupted; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    state_file = parse_args([]).state_file
    if argv[:1] == ["outage"]:
        return outage.main(argv[1:], state_file)
    if argv[:1] == ["env"]:
        return devenv.main(argv[1:], state_file)
    args = parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # first, so a stop never skips the cleanup
    env = dict(os.environ, PORT=str(args.port), WEB_CONCURRENCY=str(args.workers))
    if env.get("STRIPE_SECRET_KEY") and stackparts.real_stripe_problem(env):
        print(stackparts.real_stripe_problem(env), file=sys.stderr)
        return 2
    if stackparts.port_problem(args.host, args.port):
        print(stackparts.port_problem(args.host, args.port), file=sys.stderr)
        return 1
    local = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    web_url = f"http://{local}:{args.port}"
    stoppers: list[Callable[[], None]] = []
    try:
        notes, cli_env = stackparts.start_dependencies(env, args, stoppers)
        cli_env.update(stackparts.dev_tokens(env), PAYMENTS_URL=web_url)
        notes["shop"] = shop_receiver.start_for_dev(env, cli_env, stoppers)
        services, started = stackparts.prepare(env), datetime.now(UTC)
        bind = f"{args.host}:{args.port}"
        web = stackparts.start_process(
            ["gunicorn", "-c", "python:service.gunicorn_config", "--bind", bind, "wsgi:app"], env
        )
        stoppers.append(lambda: stackparts.stop_process(web))
        worker = stackparts.start_process(["flask", "--app", "wsgi", "reconcile", "--loop"], env)
        stoppers.append(lambda: stackparts.stop_process(worker))
        stackparts.wait_for_first_pass(services, worker, started)
        problem = stackparts.wait_until_serving(web, web_url)
        if problem:
            print(f"the dev stack could not start: {problem}", file=sys.stderr)
            return 1
        state = {"pid": os.getpid(), "web_url": web_url, "env": cli_env, **notes.pop("state")}
        devenv.write_state(args.state_file, state)
        stoppers.append(lambda: stackparts.remove(args.state_file))
        print(_banner(web_url, args, env, notes), flush=True)
        while not stop.is_set() and web.poll() is None and worker.poll() is None:
            stop.wait(0.5)
        return (web.poll() or worker.poll() or 0) if not stop.is_set() else 0
    except KeyboardInterrupt:
        return 0
    finally:
        for halt in reversed(stoppers):
            halt()


def _banner(web_url, args, env, notes):
    listening = "every interface" if args.host in ("0.0.0.0", "::") else args.host
    lines = [
        "",
        f"Checkout page:     {web_url}/",
        f"Payments API:      {web_url}  (listening on {listening}; description at /openapi.json)",
        f"Admin API:         {web_url}/admin/summary  Authorization: Bearer {env['ADMIN_TOKEN']}",
        f"Metrics:           {web_url}/metrics  Authorization: Bearer {env['METRICS_TOKEN']}",
        f"Worker:            flask --app wsgi reconcile --loop (every {env.get('RECONCILE_INTERVAL_SECONDS', '60')} s)",
        notes["stripe"],
        notes["shop"],
        f"Database:          {notes['database']}",
        'Your commands:     eval "$(.venv/bin/python -m service dev env)"  then flask --app wsgi ..., curl ...',
        *([notes["outage"]] if "outage" in notes else []),
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)
