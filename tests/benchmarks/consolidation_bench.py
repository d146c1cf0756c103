"""Consolidation at size: one day of N balance transactions, all with their ledger entries,
consolidated by ``flask --app wsgi consolidate`` as a separate process; its wall time per
transaction and its peak RSS.

    .venv/bin/python -m tests.benchmarks.consolidation_bench --sizes 10000 100000

The fake Stripe (in this process, on a simulated clock) books N balance transactions in one
day (9 in 10 charges, the rest Stripe fees; several share each second, so paging by
(created, id) is exercised); the ledger gets their entries directly (the benchmark measures
consolidation, not posting). The consolidate process lists them from the fake (100 a page,
sources expanded), mirrors them, pairs them with the ledger and checks the payments.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from service.devtools.fake_stripe import FakeStripe
from service.domain.ledger import entry_for_balance_transaction
from service.store.ledger import to_doc
from tests.benchmarks.stack import BENCHMARK_SETTINGS
from tests.support.helpers import API_KEY
from tests.support.processes import BIN, ROOT, process_env
from tests.support.stack import ServiceStack

DAY = datetime(2025, 6, 1, tzinfo=UTC)
SETTINGS = {"STRIPE_READ_RATE": 0, "LOG_LEVEL": "WARNING"}


class Clock:
    """The fake's simulated clock."""

    def __init__(self):
        self.now = DAY.timestamp()

    def __call__(self):
        return self.now


def seed(fake, clock, size):
    """Book ``size`` balance transactions in DAY, ~2 per second; returns them."""
    txns = []
    for index in range(size):
        clock.now = DAY.timestamp() + 60 + index * 0.4
        if index % 10:
            txns.append(fake.add_balance_transaction(type="charge", amount=2000, fee=88, currency="usd"))
        else:
            txns.append(fake.add_balance_transaction(type="stripe_fee", amount=-150, currency="usd"))
    clock.now = (DAY + timedelta(days=2)).timestamp()
    return txns


def post_entries(db, txns):
    """The ledger entries of ``txns``, inserted directly in batches."""
    docs = [to_doc(entry_for_balance_transaction(txn), "benchmark") for txn in txns]
    for start in range(0, len(docs), 2000):
        db.ledger.insert_many(docs[start : start + 2000], ordered=False)


def consolidate(env):
    """Run the consolidate command once; returns (seconds, peak RSS MiB, the run as JSON). The
    peak is the process's own VmHWM, read from /proc while it runs (``wait4``'s ru_maxrss would
    count the benchmark's own pages, which the child shares between fork and exec)."""
    argv = ["flask", "--app", "wsgi", "consolidate", "--period", "day", "--at", DAY.isoformat()[:19], "--json"]
    argv[0] = os.path.join(BIN, "flask")
    started, peak = time.monotonic(), [0]
    with open(os.path.join(ROOT, "var", "consolidation-bench.log"), "ab") as log:
        process = subprocess.Popen(argv, cwd=ROOT, env=process_env(env), stdout=subprocess.PIPE, stderr=log)
        watcher = threading.Thread(target=_watch_peak, args=(process, peak), daemon=True)
        watcher.start()
        out = process.stdout.read()
        process.wait()
        watcher.join(5)
    seconds = time.monotonic() - started
    if not out.strip():
        raise RuntimeError(f"consolidate exited {process.returncode} with no output: see var/consolidation-bench.log")
    return seconds, round(peak[0] / 1024, 1), json.loads(out)


def _watch_peak(process, peak):
    while process.poll() is None:
        try:
            with open(f"/proc/{process.pid}/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        peak[0] = max(peak[0], int(line.split()[1]))
        except OSError:
            return
        time.sleep(0.05)


def measure(mongo, size):
    """Seed ``size`` transactions on a fresh database and consolidate them; returns the figures."""
    clock = Clock()
    fake = FakeStripe(api_key=API_KEY, clock=clock).start()
    try:
        with ServiceStack(mongo=mongo, fake=fake, defaults=BENCHMARK_SETTINGS, env=SETTINGS) as stack:
            env = stack.environment()
            stack.make_app(env)  # indexes and catalog on a fresh database
            db = stack.database(urlsplit(env["MONGODB_URI"]).path.lstrip("/"))
            txns = seed(fake, clock, size)
            post_entries(db, txns)
            seconds, rss, run = consolidate(env)
            assert run["ok"] and run["counts"]["matched"] == size, {k: run.get(k) for k in ("counts", "items")}
            return {
                "balance_transactions": size,
                "seconds": round(seconds, 1),
                "ms_per_transaction": round(seconds * 1000 / size, 3),
                "peak_rss_mib": rss,
            }
    finally:
        fake.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.consolidation_bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args(argv)
    with ServiceStack(test_commands=False) as base:
        base.start_database()
        results = [measure(base.mongo, size) for size in args.sizes]
    for row in results:
        print(json.dumps(row))
    first, last = results[0], results[-1]
    ratio = last["ms_per_transaction"] / first["ms_per_transaction"]
    sizes = f"{last['balance_transactions']} vs {first['balance_transactions']}"
    print(f"time per transaction {sizes}: {ratio:.2f}; peak RSS {first['peak_rss_mib']} -> {last['peak_rss_mib']} MiB")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"benchmark process max RSS {own:.0f} MiB (the fake's memory, not the service's)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
