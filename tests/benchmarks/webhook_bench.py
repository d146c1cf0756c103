"""Webhook ingestion phases: saturation throughput and fixed-rate latency for one server,
with the database's command count and the CPU each process spent per request."""

import math
import resource
from collections import Counter

from tests.benchmarks import servers, workload
from tests.benchmarks.stack import run_loadgen
from tests.support.helpers import WEBHOOK_SECRET

NEW_SHARE = 0.8  # see workload.webhook_stream


class Meter:
    """Server-side deltas over one load-generator run: database commands (``top``) and CPU
    seconds of the gunicorn processes, the database daemon and the load generator."""

    def __init__(self, stack, server, db_name):
        self.stack, self.server, self.db_name = stack, server, db_name

    def _snapshot(self):
        app_pids = [self.server.process.pid, *self.server.worker_pids()]
        return {
            "commands": servers.namespace_commands(self.stack.client, self.db_name),
            "app": servers.cpu_seconds(app_pids),
            "database": servers.cpu_seconds([self.stack.mongo.process.pid]),
            "loadgen": _children_cpu(),
        }

    def __enter__(self):
        self.before = self._snapshot()
        return self

    def __exit__(self, *exc):
        self.after = self._snapshot()

    def per_request(self, requests):
        """Commands and CPU milliseconds per request over the run (warm-up included)."""
        delta = {key: self.after[key] - self.before[key] for key in self.before}
        return {
            "db_commands_per_request": round(delta.pop("commands") / requests, 2),
            "cpu_ms_per_request": {key: round(value * 1000 / requests, 2) for key, value in delta.items()},
        }


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def drive(stack, server, db_name, name, orders, mode, duration, warmup, seed, streamer=None, **options):
    """On a freshly reset database, seed ``orders`` pending orders, pre-sign their event
    stream (``streamer(intents, secret, seed=...)``, ``workload.webhook_stream`` by default)
    and replay it against ``server`` with the load generator in ``mode``; returns the
    loadgen result plus meters and the collection sizes at the end."""
    stack.reset_database(db_name)
    database = stack.client[db_name]
    intents = workload.seed_pending_orders(database, orders)
    stream = (streamer or workload.webhook_stream)(intents, WEBHOOK_SECRET, seed=seed)
    path = workload.write_requests(stack.path(f"{name}.jsonl"), [spec for _, spec in stream])
    with Meter(stack, server, db_name) as meter:
        result = run_loadgen(server.url, path, mode, duration, warmup, **options)
    result.update(meter.per_request(max(1, result["sent_total"])))
    result["mix"] = dict(Counter(kind for kind, _ in stream[: result["sent_total"]]))
    result["inbox_rows_at_end"] = database.stripe_events.estimated_document_count()
    return result


def orders_for_rate(rate, duration, warmup):
    """Pending orders a fixed-rate run at ``rate`` needs (every request pre-built)."""
    return math.ceil(rate * (duration + warmup) * 1.05 / NEW_SHARE) + 2 * workload.LAG


def run_phases(stack, targets, db_name, args, own_rates=True):
    """Saturation rounds (alternating between ``targets``, a list of (name, server)), then a
    fixed-rate run for each at half the first target's best throughput, and for the others
    also at half their own (``name@own``); without ``own_rates``, one fixed-rate run each at
    half the slowest target's best throughput.

    Returns {"saturation": {name: [round results]}, "fixed_rate": {name: result}, "rate": r}.
    """
    saturation = {name: [] for name, _ in targets}
    seed = 0
    for round_no in range(args.rounds):
        for name, server in targets:
            seed += 1
            print(f"  saturation {name} round {round_no + 1}", flush=True)
            saturation[name].append(
                drive(
                    stack,
                    server,
                    db_name,
                    f"sat_{name}_{round_no}",
                    args.saturation_orders,
                    "closed",
                    args.duration,
                    args.warmup,
                    seed,
                    connections=args.connections,
                )
            )
    best = {name: max(r["throughput_rps"] for r in rounds) for name, rounds in saturation.items()}
    rate = round(0.5 * (best[targets[0][0]] if own_rates else min(best.values())), 1)
    runs = [(name, server, rate) for name, server in targets]
    if own_rates:
        runs += [(f"{name}@own", server, round(0.5 * best[name], 1)) for name, server in targets[1:]]
    fixed = {}
    for name, server, run_rate in runs:
        seed += 1
        print(f"  fixed rate {name} at {run_rate}/s", flush=True)
        fixed[name] = drive(
            stack,
            server,
            db_name,
            f"rate_{name}",
            orders_for_rate(run_rate, args.duration, args.warmup),
            "open",
            args.duration,
            args.warmup,
            seed,
            rate=run_rate,
        )
    return {"saturation": saturation, "fixed_rate": fixed, "rate": rate}
