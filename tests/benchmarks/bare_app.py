"""The bare reference webhook receiver: the minimum correct work per Stripe event.

A plain WSGI callable (no Flask, no mongoengine, no logging), served by the same
gunicorn settings as the service (``gunicorn -c python:service.gunicorn_config
tests.benchmarks.bare_app:app``) against the same database and collections. Per event:
verify the HMAC-SHA256 signature (``t=..,v1=..``, tolerance), insert the raw event with
its id as ``_id`` (journaled; a duplicate key means "already seen": answer 200, one
command), then one conditional order update (``payment_intent.succeeded`` -> ``paid`` if
the order is still open and amount, currency and PI match; ``processing`` -> ``processing``
only from ``pending``/``payment_failed`` and if no newer fact was applied).

What it leaves out, and the service does not: the inbox state (a crash between the two
writes leaves an event that a redelivery will not apply), needs_review on a mismatch,
the transition history, request logs, retries of transient errors.
"""

import hashlib
import hmac
import json
import os
import threading
import time
from datetime import UTC, datetime

import pymongo
from pymongo.errors import ConnectionFailure, DuplicateKeyError

_OPEN_FOR_SUCCESS = ["pending", "processing", "payment_failed"]
_OPEN_FOR_PROCESSING = ["pending", "payment_failed"]


def verify(body, header, secrets, tolerance, now=None):
    """True when ``header`` carries a v1 HMAC of ``t.body`` by one of ``secrets`` (bytes)
    and its timestamp is within ``tolerance`` seconds."""
    stamp, signatures = None, []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            stamp = value
        elif key == "v1":
            signatures.append(value)
    if stamp is None or abs((now or time.time()) - int(stamp)) > tolerance:
        return False
    signed = stamp.encode() + b"." + body
    expected = [hmac.new(secret, signed, hashlib.sha256).hexdigest() for secret in secrets]
    return any(hmac.compare_digest(e, s) for e in expected for s in signatures)


def order_update(event):
    """(filter, update) of the one conditional order write an event implies, or None."""
    pi = event["data"]["object"]
    order_id = (pi.get("metadata") or {}).get("order_id")
    if not order_id or bool(event.get("livemode")):
        return None
    now = datetime.now(UTC)
    if event["type"] == "payment_intent.succeeded":
        query = {
            "_id": order_id,
            "status": {"$in": _OPEN_FOR_SUCCESS},
            "amount": pi.get("amount_received"),
            "currency": pi.get("currency"),
            "payment_intent_id": pi.get("id"),
        }
        return query, {"$set": {"status": "paid", "updated_at": now}, "$max": {"last_event_at": event["created"]}}
    if event["type"] == "payment_intent.processing":
        query = {"_id": order_id, "status": {"$in": _OPEN_FOR_PROCESSING}, "last_event_at": {"$lte": event["created"]}}
        return query, {"$set": {"status": "processing", "updated_at": now}, "$max": {"last_event_at": event["created"]}}
    return None


class BareReceiver:
    """WSGI app for ``POST /webhooks/stripe`` (and ``GET /healthz``), configured from ``env``
    (MONGODB_URI, STRIPE_WEBHOOK_SECRET, WEBHOOK_TOLERANCE_SECONDS). Connects on first use."""

    def __init__(self, env):
        self.uri = env.get("MONGODB_URI", "")
        self.secrets = [s.strip().encode() for s in env.get("STRIPE_WEBHOOK_SECRET", "").split(",") if s.strip()]
        self.tolerance = int(env.get("WEBHOOK_TOLERANCE_SECONDS", "300"))
        self._lock = threading.Lock()
        self._db = None

    def database(self):
        """The database named in the URI (``payments`` if none), connected after the fork."""
        with self._lock:
            if self._db is None:
                client = pymongo.MongoClient(
                    self.uri,
                    journal=True,
                    retryWrites=False,
                    retryReads=False,
                    tz_aware=True,
                    serverSelectionTimeoutMS=1500,
                    socketTimeoutMS=3000,
                )
                self._db = client.get_default_database(default="payments")
            return self._db

    def handle(self, body, header):
        """(status, reply dict) for one delivery."""
        if not verify(body, header, self.secrets, self.tolerance):
            return 400, {"error": "bad signature"}
        try:
            event = json.loads(body)
            row = {
                "_id": event["id"],
                "type": event["type"],
                "payload": body.decode("utf-8"),
                "received_at": datetime.now(UTC),
            }
            change = order_update(event)
        except (ValueError, KeyError, TypeError, AttributeError):
            return 400, {"error": "malformed event"}
        db = self.database()
        try:
            try:
                db.stripe_events.insert_one(row)
            except DuplicateKeyError:
                return 200, {"received": True, "duplicate": True}
            if change is not None:
                db.orders.update_one(*change)
        except ConnectionFailure:
            return 503, {"error": "database unavailable"}
        return 200, {"received": True, "duplicate": False}

    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz":
            status, reply = 200, {}
        elif path == "/webhooks/stripe" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            status, reply = self.handle(body, environ.get("HTTP_STRIPE_SIGNATURE"))
        else:
            status, reply = 404, {"error": "not found"}
        data = json.dumps(reply).encode()
        start_response(
            f"{status} {'OK' if status == 200 else 'Error'}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
        )
        return [data]


app = BareReceiver(os.environ)
