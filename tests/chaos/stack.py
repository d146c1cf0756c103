"""The processes a chaos run drives: a SecantusDB daemon, the fake Stripe API, gunicorn."""

import json
import os
import tempfile

from service.devtools.fake_stripe import FakeStripe
from service.devtools.secantus import SecantusServer
from tests.conftest import app_env
from tests.helpers import API_KEY, CATALOG
from tests.processes import Gunicorn, flask_cli


class Stack:
    """Everything started in ``start`` is stopped in ``stop``, whatever happened between."""

    def __init__(self, workers=2):
        self.workdir = tempfile.mkdtemp(prefix="chaos-")
        self.workers = workers
        self.mongo = self.fake = self.web = self.env = None

    def start(self):
        """Start every process; if any step fails, stop what was started and re-raise."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self):
        self.mongo = SecantusServer(os.path.join(self.workdir, "db")).start()
        self.fake = FakeStripe(api_key=API_KEY).start()
        # Short Stripe timeout so "slower than our timeout" faults are cheap; no grace so the
        # reconcile pass replays every unapplied inbox row.
        self.env = app_env(
            self.mongo,
            self.fake,
            STRIPE_TIMEOUT_SECONDS=1,
            RECONCILE_GRACE_SECONDS=0,
            STRIPE_READ_RATE=500,
            DB_RETRY_MAX_SECONDS=1,
            LOG_LEVEL="WARNING",
        )
        catalog = os.path.join(self.workdir, "catalog.json")
        with open(catalog, "w") as handle:
            json.dump(CATALOG, handle)
        for args in (("db", "init"), ("products", "import", catalog)):
            result = flask_cli(self.env, *args)
            if result.returncode:
                raise RuntimeError(f"flask {' '.join(args)} failed: {result.stderr}")
        self.web = Gunicorn(self.env, os.path.join(self.workdir, "gunicorn.log"), self.workers).start()
        return self

    def reconcile(self):
        """One reconcile pass as an operator runs it; returns (exit status, summary line)."""
        result = flask_cli(self.env, "reconcile", "--older-than", "0")
        return result.returncode, (result.stdout.strip().splitlines() or [result.stderr.strip()])[-1]

    def stop(self):
        for part in (self.web, self.fake, self.mongo):
            if part is not None:
                part.stop()
