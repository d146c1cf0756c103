"""The processes a chaos run drives: a SecantusDB daemon, the fake Stripe API, ``instances``
gunicorn masters on their own ports (as that many dynos) and ``reconcilers`` reconcile
workers (``flask --app wsgi reconcile --loop``, the Procfile's worker), all on one database —
a ``ServiceStack`` (tests/support/stack.py) with the chaos settings."""

import os
import subprocess
import tempfile
import time

from tests.support.processes import BIN, ROOT, process_env, stop_group
from tests.support.stack import ServiceStack

# Short Stripe timeout so "slower than our timeout" faults are cheap; no grace so the
# reconcile pass replays every unapplied inbox row.
CHAOS_SETTINGS = {
    "STRIPE_TIMEOUT_SECONDS": 1,
    "RECONCILE_GRACE_SECONDS": 0,
    "STRIPE_READ_RATE": 500,
    "DB_RETRY_MAX_SECONDS": 1,
    # A worker killed with the database mid-sweep may keep the lease (its release failed too):
    # short, so the final passes do not wait long for it.
    "SWEEP_LEASE_SECONDS": 5,
    "LOG_LEVEL": "WARNING",
}
LOOP_INTERVAL = 1.0  # seconds between a reconcile worker's passes (and the sweep's window)


class Stack(ServiceStack):
    """Everything started in ``start`` is stopped in ``stop``, whatever happened between (the
    work directory, with every process's log, is kept)."""

    def __init__(self, workers=2, instances=1, reconcilers=0, env=None):
        super().__init__(tempfile.mkdtemp(prefix="chaos-"), workers=workers, env={**CHAOS_SETTINGS, **(env or {})})
        self.instances, self.reconcilers = instances, reconcilers
        self.webs, self.loops = [], []

    def start(self, **options):
        """The database, fake Stripe, the prepared database, then every web instance."""
        super().start(web=False, **options)
        try:
            self.webs = [self.gunicorn(f"gunicorn-{n}.log").start() for n in range(self.instances)]
            self.web = self.webs[0]
        except BaseException:
            self.stop()
            raise
        return self

    def start_reconcilers(self):
        """Start the reconcile workers (``reconcile --loop``), each logging (INFO) to its own file."""
        for n in range(self.reconcilers):
            path = self.path(f"reconcile-{n}.log")
            with open(path, "ab") as log:
                self.loops.append(
                    subprocess.Popen(
                        [
                            os.path.join(BIN, "flask"),
                            "--app",
                            "wsgi",
                            "reconcile",
                            "--loop",
                            "--interval",
                            str(LOOP_INTERVAL),
                        ],
                        cwd=ROOT,
                        env=process_env({**self.env, "LOG_LEVEL": "INFO"}),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )

    def wait_for_passes(self, count, timeout):
        """Wait (bounded) until the workers have logged ``count`` completed passes in all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(text.count('"msg":"reconcile pass"') for text in self.reconciler_logs()) >= count:
                return
            time.sleep(0.2)

    def stop_reconcilers(self):
        """SIGTERM every reconcile worker (a clean stop after its current pass)."""
        for process in self.loops:
            stop_group(process, grace=60)

    def reconciler_logs(self):
        """Every reconcile worker's log text."""
        texts = []
        for n in range(len(self.loops)):
            with open(self.path(f"reconcile-{n}.log"), encoding="utf-8", errors="replace") as handle:
                texts.append(handle.read())
        return texts

    def stop(self):
        self.stop_reconcilers()
        super().stop()

    def reconcile(self):
        """One reconcile pass as an operator runs it; returns (exit status, summary line)."""
        result = self.cli("reconcile", "--older-than", "0")
        return result.returncode, (result.stdout.strip().splitlines() or [result.stderr.strip()])[-1]

    def deliver_order_events(self, passes=40):
        """`outbox deliver` passes (as an operator runs them) until nothing waits for the shop;
        returns how many passes it took."""
        db = self.database()
        for n in range(1, passes + 1):
            self.cli("outbox", "deliver", "--json")
            waiting = db.order_event_deliveries.count_documents({"state": "pending"})
            if not waiting and not db.orders.count_documents({"events_pending": True}):
                return n
            time.sleep(0.2)
        return passes

    def ledger_pending(self):
        """How many inbox rows still wait for the ledger worker."""
        return self.database().stripe_events.count_documents({"ledger": "pending"})
