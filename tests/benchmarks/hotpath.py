"""The webhook hot path against the bare receiver on the stream Stripe really sends (issue 15).

    .venv/bin/python -m tests.benchmarks.hotpath          # about 5 minutes on 2 cores

One SecantusDB daemon, one fake Stripe; the service and the bare receiver under gunicorn as
the Procfile runs them, on the same database. Phases: database commands per kind of delivery
(in process, pymongo command monitoring) and per checkout; saturation rounds alternating
between the two receivers on the three-event stream and on the all-events variant
(realistic.py), with worker and database CPU per event; fixed-rate latency at half the bare
receiver's capacity and at half the service's own; per-command server time at growing
collection sizes (dbcost.py); both receivers and checkout again through a loopback proxy
adding ``--latency-ms`` per database round trip (tests/support/latency_proxy.py); checkout.
Results: ``hotpath.json`` and ``hotpath.md`` (also printed) in ``--workdir``, with every
process's log.
"""

import argparse
import functools
import math
import os
import shutil
import sys
from datetime import UTC, datetime

from tests.benchmarks import checkout_bench, dbcost, hotpath_report, realistic, servers, webhook_bench, workload
from tests.benchmarks import run as full_run  # registers the command counter before any client
from tests.benchmarks.bare_app import BareReceiver
from tests.benchmarks.dbcommands import commands_per_kind
from tests.benchmarks.stack import Stack
from tests.support.helpers import WEBHOOK_SECRET
from tests.support.latency_proxy import LatencyProxy
from tests.support.processes import ROOT

DB_NAME = "bench_hot"
VARIANTS = {"three events": False, "all events": True}
PHASES = ("commands", "saturation", "latency", "dbcost", "proxy", "checkout")


def parse_args(argv):
    """Command-line options (all have defaults)."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.hotpath", description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", default=os.path.join(ROOT, "var", "benchmarks"), help="results and logs")
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds per load run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each load run")
    parser.add_argument("--connections", type=int, default=16, help="closed-loop connections at saturation")
    parser.add_argument("--rounds", type=int, default=3, help="saturation rounds per receiver and variant")
    parser.add_argument("--events", type=int, default=9000, help="pre-signed events per saturation run")
    parser.add_argument("--sample-orders", type=int, default=150, help="orders in the in-process command count")
    parser.add_argument("--checkout-requests", type=int, default=8000, help="checkout requests per checkout run")
    parser.add_argument("--cost-sizes", type=int, nargs="+", default=[1000, 10_000, 100_000], help="rows")
    parser.add_argument("--latency-ms", type=float, default=1.0, help="added per database round trip (proxy phase)")
    parser.add_argument("--phases", nargs="+", default=list(PHASES), choices=PHASES, help="what to run")
    return parser.parse_args(argv)


def _streamer(all_events):
    return functools.partial(realistic.payment_stream, all_events=all_events)


def _orders(events, all_events):
    return math.ceil(events / realistic.events_per_order(all_events)) + 2 * workload.LAG


def command_counts(stack, app, args):
    """In-process DB commands per kind of delivery (all-events stream: every kind) for both
    receivers, and per checkout by command and collection."""
    counts = {}
    for name, wsgi_app in (("service", app), ("bare", BareReceiver(stack.environment(DB_NAME)))):
        intents = workload.seed_pending_orders(stack.client[DB_NAME], args.sample_orders)
        stream = realistic.payment_stream(intents, WEBHOOK_SECRET, all_events=True)
        counts[name] = commands_per_kind(wsgi_app, full_run.COUNTER, DB_NAME, stream)
    client, counter = app.test_client(), full_run.COUNTER
    client.post("/checkout", json={"items": [{"sku": "tee", "quantity": 1}]})  # warm-up
    counter.take_timings()
    for _ in range(20):
        client.post("/checkout", json={"items": [{"sku": "tee", "quantity": 1}]})
    by_shape = counter.take_timings()
    counts["checkout"] = {shape: round(n / 20, 2) for shape, (n, _ms, _docs) in sorted(by_shape.items())}
    return counts


def saturation(stack, targets, args, results):
    """Alternating closed-loop rounds per variant: {variant: {receiver: [round results]}}."""
    seed = 0
    for variant, all_events in VARIANTS.items():
        rounds = results.setdefault("saturation", {}).setdefault(variant, {name: [] for name, _ in targets})
        for number in range(args.rounds):
            for name, server in targets:
                seed += 1
                print(f"  saturation {variant} {name} round {number + 1}", flush=True)
                label = f"hot_{name}_{variant.replace(' ', '_')}_{number}"
                rounds[name].append(_drive(stack, server, label, args, seed, all_events, "closed"))


def _drive(stack, server, label, args, seed, all_events, mode, rate=None):
    events = args.events if rate is None else math.ceil(rate * (args.duration + args.warmup) * 1.1)
    options = {"connections": args.connections} if rate is None else {"rate": rate}
    return webhook_bench.drive(
        stack, server, DB_NAME, label, _orders(events, all_events), mode, args.duration, args.warmup, seed,
        streamer=_streamer(all_events), **options,
    )  # fmt: skip


def best(rounds):
    """The round with the highest throughput."""
    return max(rounds, key=lambda r: r["throughput_rps"])


def latency(stack, targets, args, results):
    """Fixed rates on the three-event stream: both at half the bare receiver's best, and the
    service at half its own best."""
    rounds = results["saturation"]["three events"]
    half_bare, half_own = (round(0.5 * best(rounds[n])["throughput_rps"], 1) for n in ("bare", "service"))
    runs = [(name, server, half_bare) for name, server in targets]
    runs.append(("service@own", dict(targets)["service"], half_own))
    results["fixed_rate"] = {}
    for index, (name, server, rate) in enumerate(runs):
        print(f"  fixed rate {name} at {rate}/s", flush=True)
        results["fixed_rate"][name] = _drive(stack, server, f"hot_rate_{index}", args, 100 + index, False, "open", rate)


def proxied(stack, args, results):
    """Both receivers and checkout with ``--latency-ms`` added per database round trip."""
    port = stack.mongo.port
    with LatencyProxy("127.0.0.1", port, args.latency_ms / 1000) as proxy:
        env = dict(stack.environment(DB_NAME))
        env["MONGODB_URI"] = proxy.uri_for(env["MONGODB_URI"], port)
        targets = [
            ("bare", stack.gunicorn("gunicorn-bare-proxied.log", env, **_server(servers.BARE_TARGET))),
            ("service", stack.gunicorn("gunicorn-service-proxied.log", env, **_server(servers.SERVICE_TARGET))),
        ]
        results["proxy"] = {"latency_ms": args.latency_ms}
        for name, server in targets:
            server.start()
            try:
                print(f"  {args.latency_ms} ms database: {name}", flush=True)
                results["proxy"][name] = _drive(stack, server, f"hot_proxy_{name}", args, 200, False, "closed")
                if name == "service" and "checkout" in args.phases:
                    stack.reset_database(DB_NAME)
                    results["proxy"]["checkout"] = checkout_bench.run_phase(stack, server, DB_NAME, args)
            finally:
                server.stop()


def _server(target):
    return {"server_class": servers.GunicornApp, "target": target}


def run(args, command):
    """The phases named in ``args.phases``; returns the results dict."""
    results = {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "machine": full_run.machine(),
        "settings": vars(args),
        "code": full_run.code_version(),
    }
    shutil.rmtree(os.path.join(args.workdir, "secantus"), ignore_errors=True)  # a fresh database
    with Stack(args.workdir) as stack:
        app = stack.prepare_database(DB_NAME)
        if "commands" in args.phases:
            print("DB commands per kind of delivery (in-process)", flush=True)
            results["commands"] = command_counts(stack, app, args)
        env = stack.environment(DB_NAME)
        targets = [
            ("bare", stack.gunicorn("gunicorn-bare.log", env, **_server(servers.BARE_TARGET))),
            ("service", stack.gunicorn("gunicorn-service.log", env, **_server(servers.SERVICE_TARGET))),
        ]
        for _, server in targets:
            server.start()
        try:
            if "saturation" in args.phases or "latency" in args.phases:
                saturation(stack, targets, args, results)
            if "latency" in args.phases:
                latency(stack, targets, args, results)
            if "checkout" in args.phases:
                print("checkout", flush=True)
                stack.reset_database(DB_NAME)
                results["checkout"] = checkout_bench.run_phase(stack, dict(targets)["service"], DB_NAME, args)
        finally:
            for _, server in targets:
                server.stop()
        if "proxy" in args.phases:
            proxied(stack, args, results)
        if "dbcost" in args.phases:
            print("database server time per command by collection size", flush=True)
            results["dbcost"] = dbcost.cost_by_size(stack, DB_NAME + "_cost", args.cost_sizes)
    results["machine"]["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return results


def main(argv=None):
    """Entry point: run, then write hotpath.json and hotpath.md into the work directory."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    results = run(args, " ".join([".venv/bin/python -m tests.benchmarks.hotpath", *argv]))
    full_run.save(args.workdir, "hotpath", results, hotpath_report.render(results))


if __name__ == "__main__":
    main()
