"""The worker-class comparison behind the Procfile's choice: the service under gunicorn's
gthread worker (2 workers x 4 threads, the previous setting) and under the gevent worker it
runs now, on the same database, saturation rounds alternating between the two so both see
the same machine, then a fixed-rate run of each at half the slower one's capacity.

    .venv/bin/python -m tests.benchmarks.worker_classes [--rounds 3] [--duration 10]

Prints a Markdown table (also written to ``--workdir``/worker_classes.md)."""

import argparse
import os
import shutil

from tests.benchmarks import servers, webhook_bench
from tests.benchmarks.stack import Stack
from tests.support.processes import ROOT

DB_NAME = "bench_workers"
CLASSES = {
    "gthread (2 x 4 threads)": ["--worker-class", "gthread", "--threads", "4"],
    "gevent (service.web_worker)": [],
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.worker_classes", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--workdir", default=os.path.join(ROOT, "var", "benchmarks-workers"))
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--saturation-orders", type=int, default=6000)
    return parser.parse_args(argv)


def table(results):
    """Markdown lines: throughput per round, CPU per request, latency at the fixed rate."""
    names = list(results["saturation"])
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]

    def row(label, cell):
        lines.append(f"| {label} | " + " | ".join(cell(name) for name in names) + " |")

    best = {name: max(r["throughput_rps"] for r in results["saturation"][name]) for name in names}
    row(
        "events/s at saturation, best (all rounds)",
        lambda n: f"{best[n]:.0f} (" + ", ".join(f"{r['throughput_rps']:.0f}" for r in results["saturation"][n]) + ")",
    )
    row(
        "median round, events/s",
        lambda n: (
            f"{sorted(r['throughput_rps'] for r in results['saturation'][n])[len(results['saturation'][n]) // 2]:.0f}"
        ),
    )
    row("CPU ms per request, gunicorn workers (median round)", lambda n: f"{_median(results, n, 'app'):.2f}")
    row("CPU ms per request, database (median round)", lambda n: f"{_median(results, n, 'database'):.2f}")
    row(
        "errors", lambda n: str(sum(r["errors"] for r in results["saturation"][n]) + results["fixed_rate"][n]["errors"])
    )
    rate = results["rate"]
    row(
        f"p50 / p95 / p99 ms at {rate:.0f} ev/s",
        lambda n: "{p50:.1f} / {p95:.1f} / {p99:.1f}".format(**results["fixed_rate"][n]["latency_ms"]),
    )
    return lines


def _median(results, name, key):
    values = sorted(r["cpu_ms_per_request"][key] for r in results["saturation"][name])
    return values[len(values) // 2]


def main(argv=None):
    args = parse_args(argv)
    shutil.rmtree(os.path.join(args.workdir, "secantus"), ignore_errors=True)
    with Stack(args.workdir) as stack:
        stack.prepare_database(DB_NAME)
        env = stack.environment(DB_NAME)
        targets = [
            (name, stack.gunicorn(f"gunicorn-{n}.log", env, server_class=servers.GunicornApp, extra=extra))
            for n, (name, extra) in enumerate(CLASSES.items())
        ]
        for _, server in targets:
            server.start()
        results = webhook_bench.run_phases(stack, targets, DB_NAME, args, own_rates=False)
    lines = table(results)
    with open(os.path.join(args.workdir, "worker_classes.md"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
