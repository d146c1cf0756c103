"""One fault-test stack and the client side of every scenario.

``FaultStack`` is a ``ServiceStack`` (tests/support/stack.py) with a SecantusDB daemon of its
own (so a test may SIGKILL it), the fake Stripe server, gunicorn exactly as the Procfile's
``web`` line, and the operator CLI (``flask --app wsgi ...``). The service connects with
``appName=faults-web`` and every failpoint is scoped to that name, so the test's own
assertion client is never faulted and ``skip``/``times`` count only the service's commands.

Every scenario ends with ``heal_and_check``: faults off, Stripe-like redelivery of every
event whose last delivery was not a 2xx, one ``reconcile`` pass, then the invariants.
"""

import http.client
import json
import os
import threading
from urllib.parse import urlsplit

import requests

from service.devtools.fake_stripe import sign_payload
from service.devtools.fake_stripe.webhooks import Deliverer, encode_event
from tests.faults.invariants import assert_invariants
from tests.support.helpers import WEBHOOK_SECRET
from tests.support.stack import ServiceStack

APP_NAME = "faults-web"
WEBHOOK_PATH = "/webhooks/stripe"


class FaultStack(ServiceStack):
    """Database daemon + fake Stripe + gunicorn (``workers`` workers) + CLI, on 127.0.0.1."""

    def __init__(self, directory, workers=2, **env):
        super().__init__(
            directory,
            workers=workers,
            app_name=APP_NAME,
            env={"STRIPE_READ_RATE": 1000, "RECONCILE_GRACE_SECONDS": 0, **env},
        )
        self.last_status = {}  # event id -> status of its latest delivery (0: no answer)
        self.sent = {}  # event id -> event, for redelivery

    # -- lifecycle -------------------------------------------------------------
    def start(self):
        """Every process, the database prepared through the CLI; stops them all if one fails."""
        super().start()
        self.db = self.database()
        self.deliverer = Deliverer(self.web.url + WEBHOOK_PATH, [WEBHOOK_SECRET], backoff=(0.0,), timeout=15)
        return self

    # -- faults ----------------------------------------------------------------
    def fail_point(self, mode, **data):
        """Arm ``failCommand`` for the service's connections only (replaces any armed one)."""
        self.mongo.fail_point(mode, {"appName": APP_NAME, **data})

    def no_faults(self):
        """Disarm the database failpoint and drop unconsumed Stripe faults (restarting the
        daemon first if a test left it killed)."""
        if self.mongo.process.poll() is not None:
            self.mongo.restart()
        self.mongo.fail_point("off", {})
        self.fake.clear_faults()

    # -- the outside world -----------------------------------------------------
    def checkout(self, quantity=1, key=None, sku="tee"):
        """POST /checkout over HTTP; returns the requests.Response."""
        headers = {"Idempotency-Key": key} if key else {}
        return requests.post(
            self.url + "/checkout", json={"items": [{"sku": sku, "quantity": quantity}]}, headers=headers, timeout=30
        )

    def new_order(self, quantity=1):
        """A checked-out order: (order_id, payment_intent_id)."""
        response = self.checkout(quantity)
        assert response.status_code == 201, response.text
        return response.json()["order_id"], response.json()["payment_intent_id"]

    def deliver(self, event, max_attempts=1, deliverer=None):
        """Deliver like Stripe (fresh signature per attempt, ``deliverer``'s backoff between
        attempts); returns every status."""
        self.sent[event["id"]] = event
        statuses = (deliverer or self.deliverer).deliver(event, max_attempts)
        self.last_status[event["id"]] = statuses[-1]
        return statuses

    def post_in_flight(self, event):
        """Start delivering ``event`` on a connection whose client port is known (see InFlight)."""
        self.sent[event["id"]] = event
        body = encode_event(event)
        headers = {"Content-Type": "application/json", "Stripe-Signature": sign_payload(body, WEBHOOK_SECRET)}
        return InFlight(self, WEBHOOK_PATH, body, headers, event_id=event["id"])

    def checkout_in_flight(self, key, quantity=1):
        """Start a checkout on a connection whose client port is known (see InFlight)."""
        body = json.dumps({"items": [{"sku": "tee", "quantity": quantity}]}).encode()
        return InFlight(self, "/checkout", body, {"Content-Type": "application/json", "Idempotency-Key": key})

    def log_mark(self):
        """A position in the service's log; pass it to ``logs_since``."""
        return os.path.getsize(self.web.log_path)

    def logs_since(self, mark=0):
        """The service's JSON log lines written after ``mark``, parsed."""
        with open(self.web.log_path, "rb") as handle:
            handle.seek(mark)
            lines = handle.read().decode("utf-8", "replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def order(self, order_id):
        return self.db.orders.find_one({"_id": order_id})

    def reconcile(self):
        """One reconcile pass over every open order, as an operator runs it."""
        return self.cli("reconcile", "--older-than", "0")

    # -- the end of every scenario ---------------------------------------------
    def redeliver_failed(self, max_attempts=3):
        """Stripe's redelivery: every event whose latest delivery got no 2xx, until a 2xx."""
        for event_id, status in list(self.last_status.items()):
            if not 200 <= status < 300:
                self.deliver(self.sent[event_id], max_attempts)
        return {event_id: status for event_id, status in self.last_status.items() if not 200 <= status < 300}

    def heal_and_check(self, require_pi=True):
        """Faults off, redelivery, one reconcile pass, then assert every invariant."""
        self.no_faults()
        unhealed = self.redeliver_failed()
        assert not unhealed, f"redelivery still failing: {unhealed}"
        result = self.reconcile()
        assert result.returncode == 0, result.stdout + result.stderr
        assert_invariants(self.db, self.fake, require_pi=require_pi)
        return result


class InFlight:
    """One POST sent from a known client port, answered in a background thread, so a test
    can find (``/proc``) and kill the worker serving it. ``status`` 0 means no answer."""

    def __init__(self, stack, path, body, headers, event_id=None):
        self.stack, self.event_id = stack, event_id
        split = urlsplit(stack.url)
        self.connection = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
        self.connection.connect()
        self.client_port = self.connection.sock.getsockname()[1]
        self.status, self.body = None, None
        self.thread = threading.Thread(target=self._run, args=(path, body, headers), daemon=True)
        self.thread.start()

    def _run(self, path, body, headers):
        try:
            self.connection.request("POST", path, body=body, headers=headers)
            response = self.connection.getresponse()
            self.status, self.body = response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.status = 0
        finally:
            self.connection.close()
            if self.event_id:
                self.stack.last_status[self.event_id] = self.status

    def wait(self, timeout=30):
        """Wait for the answer (or the dropped connection); returns the status."""
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the request neither finished nor failed"
        return self.status
