"""The chaos monkey: arms one database fault at a time while deliveries run; and the
database kill (SIGKILL, then restart on the same data)."""

import contextlib
import random
import threading
import time
from collections import Counter

DB_FAULTS = {
    "db closeConnection": {"closeConnection": True},
    "db errorCode 2": {"errorCode": 2},
    "db blockConnection 300ms": {"blockConnection": True, "blockTimeMS": 300},
}
WEBHOOK_COMMANDS = ["insert", "update", "findAndModify", "find"]


class Monkey(threading.Thread):
    """Every ``period`` seconds, with probability ``rate``, arms a one-shot failpoint on a
    random webhook-path command."""

    def __init__(self, mongo, rng, rate, period=0.05):
        super().__init__(daemon=True)
        self.mongo, self.rng, self.rate, self.period = mongo, rng, rate, period
        self.counts = Counter()
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(self.period):
            if self.rng.random() < self.rate:
                kind = self.rng.choice(sorted(DB_FAULTS))
                data = {"failCommands": [self.rng.choice(WEBHOOK_COMMANDS)], **DB_FAULTS[kind]}
                try:
                    self.mongo.fail_point({"times": 1}, data)
                    self.counts[kind] += 1
                except Exception:  # the database is restarting; skip this one
                    pass

    def stop(self):
        self.stopping.set()
        self.join(10)
        with contextlib.suppress(Exception):
            self.mongo.fail_point("off", {})


def kill_database(mongo, counts, down_seconds=1.0):
    """Start a thread that SIGKILLs the database, keeps it down, then restarts it."""

    def cycle():
        mongo.kill()
        time.sleep(down_seconds)
        mongo.restart()

    counts["db SIGKILL + restart"] += 1
    thread = threading.Thread(target=cycle, daemon=True)
    thread.start()
    return thread


def stripe_fault(fake, rng, counts):
    """Script one random Stripe API fault for the next PaymentIntent create."""
    kind = rng.choice(["500", "500 should-retry false", "429", "reset", "slow", "lost response"])
    path = "/v1/payment_intents"
    if kind == "500":
        fake.inject("POST", path, "error", status=500)
    elif kind == "500 should-retry false":
        fake.inject("POST", path, "error", status=500, should_retry=False)
    elif kind == "429":
        fake.inject("POST", path, "error", status=429)
    elif kind == "reset":
        fake.inject("POST", path, "reset")
    elif kind == "slow":
        fake.inject("POST", path, "delay", delay=1.5)
    else:
        fake.inject("POST", path, "after")
    counts["stripe " + kind] += 1


def make_rng(seed):
    return random.Random(seed)
