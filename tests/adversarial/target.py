"""What the attacks aim at: one gunicorn instance as the Procfile runs it, with its database
and fake Stripe, plus the means to check what an attack changed (stored rows, PaymentIntents,
log lines) and to speak raw HTTP to it."""

import json
import socket
import time
import uuid

import requests

from service.devtools.fake_stripe import sign_payload
from tests.support.helpers import WEBHOOK_SECRET
from tests.support.stack import ServiceStack

# The service's defaults, except: a fake Stripe, low checkout limits so a flood is refused
# within a bounded test, and a 2 s body deadline so a stalled body is seen cut in the run.
SETTINGS = {
    "CHECKOUT_LIMIT_PER_IP": 20,
    "CHECKOUT_LIMIT_GLOBAL": 100000,
    "BODY_TIMEOUT_SECONDS": 2,
    "LOG_LEVEL": "INFO",
    "ADMIN_TOKEN": "admin-" + uuid.uuid4().hex + uuid.uuid4().hex,
    "METRICS_TOKEN": "metrics-" + uuid.uuid4().hex + uuid.uuid4().hex,
}
HEAD_END = b"\r\n\r\n"


class Target:
    """A started stack; ``close`` stops it."""

    def __init__(self, workers=2):
        self.stack = ServiceStack(workers=workers, env=SETTINGS).start()
        self.url, self.port = self.stack.url, self.stack.web.port
        self.fake, self.db = self.stack.fake, self.stack.database()
        self._ips = iter(range(1, 10**6))

    def close(self):
        self.stack.stop()

    # -- what an attack may have changed -------------------------------------------------
    def stored(self):
        """(orders, inbox rows, PaymentIntents created at Stripe)."""
        return (
            self.db.orders.count_documents({}),
            self.db.stripe_events.count_documents({}),
            self.fake.payment_intents_created,
        )

    def log_lines(self):
        """Every line gunicorn's process wrote to stdout so far."""
        return self.stack.web.logs().splitlines()

    # -- legitimate traffic, for attacks that need a real order or event -----------------------
    def client_ip(self):
        """A fresh client address (as the router would report it) for legitimate requests."""
        return f"10.{(n := next(self._ips)) // 65536 % 256}.{n // 256 % 256}.{n % 256}"

    def order(self):
        """A fresh order: its checkout answer."""
        response = requests.post(
            self.url + "/checkout",
            json={"items": [{"sku": "tee", "quantity": 1}]},
            headers={"X-Forwarded-For": self.client_ip()},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        return response.json()

    def genuine_event(self):
        """(order, event body, signature): a fresh order's payment_intent.succeeded, signed now."""
        order = self.order()
        body = json.dumps(self.fake.succeed(order["payment_intent_id"])).encode()
        return order, body, sign_payload(body, WEBHOOK_SECRET)

    # -- raw HTTP ------------------------------------------------------------------------
    def raw(self, data, timeout=10.0):
        """Send ``data`` on a fresh connection; returns (status or 0 for none, head bytes, body
        bytes) of the first answer (read until the server closes or the answer is complete)."""
        reply = b""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            try:
                sock.sendall(data)
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline and not _complete(reply):
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
            except OSError:
                pass
        reply = _without_interim(reply)
        head, _, body = reply.partition(HEAD_END)
        parts = head.split(b" ", 2)
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        return status, head, body


def _without_interim(reply):
    """The reply less any 1xx interim answers (``100 Continue``) before the real one."""
    while reply.startswith(b"HTTP/1.1 1") and HEAD_END in reply:
        reply = reply.partition(HEAD_END)[2]
    return reply


def _complete(reply):
    reply = _without_interim(reply)
    if HEAD_END not in reply:
        return False
    head, _, body = reply.partition(HEAD_END)
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(body) >= int(value)
    return False
