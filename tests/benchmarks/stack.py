"""The shared fixtures of one benchmark run: a SecantusDB daemon, the fake Stripe server, the
service's environment, and a way to run the external load generator."""

import json
import os
import subprocess
import sys

import pymongo

from service import create_app, handlers
from service.observability import logs
from service.store import connection as db
from service.devtools.fake_stripe import FakeStripe
from service.devtools.secantus import SecantusServer
from tests.helpers import API_KEY, CATALOG, WEBHOOK_SECRET
from tests.processes import ROOT


class Stack:
    """Starts the database daemon and fake Stripe under ``workdir``; a context manager."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.mongo = SecantusServer(os.path.join(workdir, "secantus"), test_commands=False)
        self.fake = FakeStripe(api_key=API_KEY)
        self.client = None
        self._log = None

    def __enter__(self):
        os.makedirs(self.workdir, exist_ok=True)
        self.mongo.start()
        self.fake.start()
        self.client = pymongo.MongoClient(self.mongo.uri(), journal=True, tz_aware=True)
        return self

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
        self.fake.stop()
        self.mongo.stop()
        if self._log is not None:
            self._log.close()

    def env(self, db_name, **overrides):
        """The service's environment for database ``db_name``: production defaults otherwise."""
        env = {
            "MONGODB_URI": self.mongo.uri(db_name),
            "STRIPE_SECRET_KEY": API_KEY,
            "STRIPE_PUBLISHABLE_KEY": "pk_test_bench",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": self.fake.url,
        }
        env.update({key: str(value) for key, value in overrides.items()})
        return env

    def prepare_database(self, db_name, **overrides):
        """Indexes (the release phase) and the test catalog; returns an in-process app whose
        log lines (production level, INFO) go to ``in-process.log`` in the work directory."""
        app = create_app(self.env(db_name, **overrides))
        if self._log is None:
            self._log = open(self.path("in-process.log"), "a", encoding="utf-8")
        logs.configure(app.extensions["payments"].settings.log_level, stream=self._log)
        with app.app_context():
            db.ensure_indexes()
            handlers.import_products(app.extensions["payments"], CATALOG)
        return app

    def reset_database(self, db_name):
        """Drop ``db_name`` and prepare it again (indexes, catalog): every load run starts
        from the same empty inbox and order collections."""
        self.client.drop_database(db_name)
        return self.prepare_database(db_name)

    def path(self, name):
        """A file path inside the run's work directory."""
        return os.path.join(self.workdir, name)


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
