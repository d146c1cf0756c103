"""The shared fixtures of one benchmark run: a ``ServiceStack`` (tests/support/stack.py)
with a SecantusDB daemon (no test commands), the fake Stripe server and the service's
production settings; and a way to run the external load generator."""

import json
import subprocess
import sys

from tests.support.helpers import WEBHOOK_SECRET
from tests.support.processes import ROOT
from tests.support.stack import ServiceStack

# Production defaults otherwise (no fast test budgets, INFO logs, one webhook secret).
# Checkout rate limits raised: the load generator is one client sending thousands of checkouts.
BENCHMARK_SETTINGS = {
    "STRIPE_PUBLISHABLE_KEY": "pk_test_bench",
    "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "CHECKOUT_LIMIT_PER_IP": "10000000",
    "CHECKOUT_LIMIT_GLOBAL": "10000000",
}


class Stack(ServiceStack):
    """The database daemon (data in ``workdir/secantus``) and fake Stripe; a context manager
    that starts them on entry and stops everything on exit. Databases are prepared by name,
    in process, with the in-process log lines in ``in-process.log``."""

    def __init__(self, workdir):
        super().__init__(
            workdir,
            defaults=BENCHMARK_SETTINGS,
            test_commands=False,
            data_dir="secantus",
            app_log="in-process.log",
            client_options={"journal": True, "tz_aware": True},
        )

    def __enter__(self):
        return self.start(prepare=None, web=False)

    def prepare_database(self, db_name, **overrides):
        """Indexes (the release phase) and the test catalog; returns an in-process app whose
        log lines (production level, INFO) go to ``in-process.log`` in the work directory."""
        return self.make_app(self.environment(db_name, **overrides))

    def reset_database(self, db_name):
        """Drop ``db_name`` and prepare it again (indexes, catalog): every load run starts
        from the same empty inbox and order collections."""
        self.client.drop_database(db_name)
        return self.prepare_database(db_name)


def run_loadgen(url, requests_file, mode, duration, warmup, **options):
    """Run ``python -m tests.benchmarks.loadgen`` as a separate process; returns its JSON."""
    argv = [
        sys.executable,
        "-m",
        "tests.benchmarks.loadgen",
        "--url",
        url,
        "--requests",
        requests_file,
        "--duration",
        str(duration),
        "--warmup",
        str(warmup),
        mode,
    ]
    for name, value in options.items():
        argv += [f"--{name}", str(value)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=duration + warmup + 120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"loadgen failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)
