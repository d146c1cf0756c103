"""Run every benchmark in one invocation and write the results (JSON and Markdown).

    .venv/bin/python -m tests.benchmarks.run            # ~5 minutes on 2 cores

One SecantusDB daemon and one fake Stripe server; the service under gunicorn exactly as
the Procfile runs it (2 workers) and, on the same database with the same gunicorn
settings, the bare reference receiver (``bare_app``); an external load generator process
(``loadgen``). Results go to ``--workdir`` (default ``var/benchmarks``): ``results.json``,
``results.md`` (also printed), and every process's log.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime

from pymongo import monitoring

from tests.benchmarks.dbcommands import CommandCounter, commands_per_kind

COUNTER = CommandCounter()
monitoring.register(COUNTER)  # before any MongoClient exists: counts in-process commands

from tests.benchmarks import checkout_bench, dbcost, reconcile_bench, report, servers, webhook_bench, workload  # noqa: E402
from tests.benchmarks.bare_app import BareReceiver  # noqa: E402
from tests.benchmarks.stack import Stack  # noqa: E402
from tests.support.helpers import WEBHOOK_SECRET  # noqa: E402
from tests.support.processes import ROOT  # noqa: E402

DB_NAME = "bench"
PHASES = ("webhooks", "checkout", "dbcost", "reconcile")
SAMPLE_ORDERS = 400  # in-process command-count sample: 400 new, ~30 duplicates, ~30 late


def parse_args(argv):
    """Command-line options (all have defaults)."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--workdir", default=os.path.join(ROOT, "var", "benchmarks"), help="where results and logs go (var/benchmarks)"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per load run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each load run")
    parser.add_argument("--connections", type=int, default=16, help="closed-loop connections at saturation")
    parser.add_argument("--rounds", type=int, default=2, help="saturation rounds per webhook receiver")
    parser.add_argument("--saturation-orders", type=int, default=6000, help="pending orders per saturation run")
    parser.add_argument("--checkout-requests", type=int, default=20000, help="checkout requests in the checkout phase")
    parser.add_argument(
        "--cost-sizes",
        type=int,
        nargs="+",
        default=[1000, 10_000, 30_000],
        help="collection sizes for the per-command database cost table",
    )
    parser.add_argument(
        "--reconcile-sizes", type=int, nargs="+", default=[10_000, 100_000], help="order counts the pass is timed at"
    )
    parser.add_argument("--reconcile-repeats", type=int, default=3, help="timed passes per size")
    parser.add_argument(
        "--reconcile-read-rate",
        type=float,
        default=1000.0,
        help="STRIPE_READ_RATE for the reconcile pass (the service default 20/s would "
        "make the pass ~10 s of sleeping, whatever the database does)",
    )
    parser.add_argument(
        "--gunicorn-args",
        default="",
        help="extra gunicorn options for both servers, e.g. '--worker-class gthread --threads 4' "
        "to measure another worker class than the Procfile's",
    )
    parser.add_argument(
        "--phases", nargs="+", default=list(PHASES), choices=PHASES, help="what to run (checkout needs webhooks)"
    )
    return parser.parse_args(argv)


def machine():
    """What the numbers were measured on."""
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "?")
    with open("/proc/meminfo", encoding="utf-8") as handle:
        mem_kb = int(handle.readline().split()[1])
    import secantus

    return {
        "cpu": f"{model}, {os.cpu_count()} cores",
        "memory": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "database": f"SecantusDB {secantus.__version__} (pure-Python server over WiredTiger)",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def command_counts(stack, app):
    """In-process DB commands per kind of delivery, for the service and the bare receiver."""
    counts = {}
    for name, wsgi_app in (("service", app), ("bare", BareReceiver(stack.environment(DB_NAME)))):
        intents = workload.seed_pending_orders(stack.client[DB_NAME], SAMPLE_ORDERS)
        counts[name] = commands_per_kind(wsgi_app, COUNTER, DB_NAME, workload.webhook_stream(intents, WEBHOOK_SECRET))
    return counts


def serve_phases(stack, app, args, results):
    """In-process command counts, then webhook and/or checkout load against gunicorn."""
    env = stack.environment(DB_NAME)
    extra = args.gunicorn_args.split()
    bare = stack.gunicorn(
        "gunicorn-bare.log", env, server_class=servers.GunicornApp, target=servers.BARE_TARGET, extra=extra
    )
    service = stack.gunicorn("gunicorn-service.log", env, server_class=servers.GunicornApp, extra=extra)
    results["rss"] = {}
    try:
        service.start()
        if "webhooks" in args.phases:
            print("DB commands per event (in-process)", flush=True)
            results["commands"] = command_counts(stack, app)
            bare.start()
            print("webhook ingestion", flush=True)
            results["webhooks"] = webhook_bench.run_phases(stack, [("bare", bare), ("service", service)], DB_NAME, args)
            results["rss"] = {"bare": bare.peak_rss_mb(), "service": service.peak_rss_mb()}
            bare.stop()
        if "checkout" in args.phases:
            print("checkout", flush=True)
            stack.reset_database(DB_NAME)
            results["checkout"] = checkout_bench.run_phase(stack, service, DB_NAME, args)
            results["rss"]["service_after_checkout"] = service.peak_rss_mb()
    finally:
        bare.stop()
        service.stop()


def run(args, command):
    """The phases named in ``args.phases``; returns the results dict."""
    results = {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "machine": machine(),
        "settings": vars(args),
        "code": code_version(),
    }
    shutil.rmtree(os.path.join(args.workdir, "secantus"), ignore_errors=True)  # a fresh database
    with Stack(args.workdir) as stack:
        app = stack.prepare_database(DB_NAME)
        if "webhooks" in args.phases or "checkout" in args.phases:
            serve_phases(stack, app, args, results)
        if "dbcost" in args.phases:
            print("database cost per command by collection size", flush=True)
            results["dbcost"] = dbcost.cost_by_size(stack, "bench_cost", args.cost_sizes)
        if "reconcile" in args.phases:
            print("reconcile scaling", flush=True)
            results["reconcile"] = reconcile_bench.run_phase(stack, COUNTER, args)
    results["machine"]["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return results


def code_version():
    """The commit measured, and whether the working tree had uncommitted changes."""

    def git(*argv):
        done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "--short", "HEAD") + (" + uncommitted changes" if dirty else "")


def main(argv=None):
    """Entry point: run, then write results.json and results.md into the work directory."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    command = " ".join([".venv/bin/python -m tests.benchmarks.run", *argv])
    results = run(args, command)
    save(args.workdir, "results", results, report.render(results))


def save(workdir, stem, results, markdown):
    """Write ``<stem>.json`` and ``<stem>.md`` into ``workdir`` (created if missing); print the markdown."""
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, stem + ".json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=2, default=str)
    with open(os.path.join(workdir, stem + ".md"), "w", encoding="utf-8") as handle:
        handle.write(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
