"""The processes a chaos run drives: a SecantusDB daemon, the fake Stripe API, gunicorn —
a ``ServiceStack`` (tests/support/stack.py) with the chaos settings."""

import tempfile

from tests.support.stack import ServiceStack

# Short Stripe timeout so "slower than our timeout" faults are cheap; no grace so the
# reconcile pass replays every unapplied inbox row.
CHAOS_SETTINGS = {
    "STRIPE_TIMEOUT_SECONDS": 1,
    "RECONCILE_GRACE_SECONDS": 0,
    "STRIPE_READ_RATE": 500,
    "DB_RETRY_MAX_SECONDS": 1,
    "LOG_LEVEL": "WARNING",
}


class Stack(ServiceStack):
    """Everything started in ``start`` is stopped in ``stop``, whatever happened between (the
    work directory, with the gunicorn log, is kept)."""

    def __init__(self, workers=2):
        super().__init__(tempfile.mkdtemp(prefix="chaos-"), workers=workers, env=CHAOS_SETTINGS)

    def reconcile(self):
        """One reconcile pass as an operator runs it; returns (exit status, summary line)."""
        result = self.cli("reconcile", "--older-than", "0")
        return result.returncode, (result.stdout.strip().splitlines() or [result.stderr.strip()])[-1]

    def ledger_pending(self):
        """How many inbox rows still wait for the ledger worker."""
        return self.database().stripe_events.count_documents({"ledger": "pending"})
