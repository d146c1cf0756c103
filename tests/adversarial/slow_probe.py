"""Measure what slow clients do to one instance started as the Procfile starts it.

    .venv/bin/python -m tests.adversarial.slow_probe [--idle 200] [--stalled 64] [--gunicorn-args "..."]

For each scenario (none, idle connections only, stalled bodies only, both) it holds the
connections, waits ``--settle`` seconds, then times ``/healthz`` and one genuine signed
webhook (a real order's ``payment_intent.succeeded``), each on a fresh connection with a
10 s client timeout, and prints a table. ``--gunicorn-args`` are added to the Procfile's
command (the command line wins over gunicorn's config file), e.g. ``"--worker-class gthread
--threads 4"`` for the worker the service ran before."""

import argparse
import json
import sys
import time

import requests

from tests.support.helpers import WEBHOOK_SECRET
from tests.support.processes import Gunicorn
from tests.support.stack import ServiceStack

from .slow_clients import SlowClients, healthz, webhook


class GunicornWith(Gunicorn):
    """The Procfile's web command with extra gunicorn options appended."""

    def __init__(self, app_env, log_path, workers=2, extra=()):
        super().__init__(app_env, log_path, workers)
        self.extra = list(extra)

    def argv(self):
        return [*super().argv()[:-1], *self.extra, super().argv()[-1]]


def genuine_event(stack):
    """(body, signature) of a fresh order's payment_intent.succeeded, signed now."""
    from service.devtools.fake_stripe import sign_payload

    order = requests.post(stack.url + "/checkout", json={"items": [{"sku": "tee", "quantity": 1}]}, timeout=30).json()
    body = json.dumps(stack.fake.succeed(order["payment_intent_id"])).encode()
    return body, sign_payload(body, WEBHOOK_SECRET)


def scenario(stack, idle, stalled, settle):
    """Hold ``idle`` + ``stalled`` connections, then time /healthz and a webhook."""
    body, signature = genuine_event(stack)
    port = stack.web.port
    with SlowClients("127.0.0.1", port) as slow:
        slow.open_idle(idle).open_stalled(stalled)
        time.sleep(settle)
        health = healthz(stack.url)
        hook = webhook(stack.url, body, signature)
    return {"idle": idle, "stalled": stalled, "healthz": health, "webhook": hook}


def run(idle, stalled, settle, gunicorn_args, workers):
    extra = gunicorn_args.split()
    with ServiceStack(workers=workers, env={"LOG_LEVEL": "WARNING"}) as stack:
        stack.start(web=False)
        stack.web = stack.gunicorn(server_class=GunicornWith, extra=extra)
        stack.web.start()
        rows = [
            scenario(stack, 0, 0, settle),
            scenario(stack, idle, 0, settle),
            scenario(stack, 0, stalled, settle),
            scenario(stack, idle, stalled, settle),
        ]
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.adversarial.slow_probe", description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--stalled", type=int, default=64)
    parser.add_argument("--settle", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--gunicorn-args", default="")
    args = parser.parse_args(argv)
    rows = run(args.idle, args.stalled, args.settle, args.gunicorn_args, args.workers)
    print(f"gunicorn: Procfile {args.gunicorn_args or '(as configured)'}, WEB_CONCURRENCY={args.workers}")
    print("| idle | stalled | /healthz s (status) | webhook s (status) |")
    print("|---|---|---|---|")
    for row in rows:
        cells = [
            f"{s} ({status})" if isinstance(status, int) else f"no answer in {s} s"
            for s, status in (row["healthz"], row["webhook"])
        ]
        print(f"| {row['idle']} | {row['stalled']} | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
