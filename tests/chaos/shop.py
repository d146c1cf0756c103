"""The shop during a chaos run: a receiver of order events that answers 500 at random, times
out and stalls; and what it got, checked against what the orders say happened."""

import base64
import threading
from collections import Counter

from service.devtools.shop_receiver import ShopReceiver

SECRET = "whsec_" + base64.b64encode(b"chaos-shop-secret-of-32-bytes!!!").decode()
# The service gives up on an attempt after this (a "timeout" stalls longer; a "stall" a lot longer).
TIMEOUT_SECONDS = 0.5
SETTINGS = {"OUTBOX_TIMEOUT_SECONDS": TIMEOUT_SECONDS, "OUTBOX_INTERVAL_SECONDS": 0.2, "OUTBOX_BACKOFF_SECONDS": 0.05}
STATUS_EVENTS = {
    "order.paid": "paid",
    "order.payment_failed": "payment_failed",
    "order.awaiting_customer": "awaiting_customer",
    "order.canceled": "canceled",
    "order.needs_review": "needs_review",
}


class FlakyShop:
    """A ShopReceiver whose answers fail at ``fault_rate`` while ``flaky`` is set: random 500s,
    answers slower than the service's timeout, and now and then a long stall. Its first two
    answers while flaky are a 500 and a timeout, so every run meets both, however few
    deliveries the worker got to make before the shop came back."""

    def __init__(self, rng, fault_rate):
        self.rng, self.fault_rate, self.flaky = rng, fault_rate, True
        self.lock, self.faults = threading.Lock(), Counter()
        # Rolls that pick a 500, then a timeout: below 0.6 and 0.95 of the fault rate.
        self.forced = [fault_rate * 0.3, fault_rate * 0.8]
        self.receiver = ShopReceiver(SECRET, choose=self._choose)
        self.url = self.receiver.url

    def _choose(self, payload):
        if not self.flaky:
            return 200
        with self.lock:
            roll = self.forced.pop(0) if self.forced else self.rng.random()
        if roll >= self.fault_rate:
            return 200
        if roll < self.fault_rate * 0.6:
            self.faults["shop 500"] += 1
            return 500
        if roll < self.fault_rate * 0.95:
            self.faults["shop timeout"] += 1
            return ("stall", TIMEOUT_SECONDS * 2)
        self.faults["shop stall"] += 1
        return ("stall", 5.0)

    def settings(self):
        """The service's settings for this shop."""
        return {"SHOP_WEBHOOK_URLS": self.url, "SHOP_WEBHOOK_SECRETS": SECRET, **SETTINGS}

    def close(self):
        self.receiver.close()


def order_event_figures(db, shop):
    """expected (events recorded on orders and runs), delivered (of those, received at least
    once), out of order (orders whose events first arrived out of sequence), never happened
    (received events that no order or run recorded, or that tell a change the order's own
    history does not have), and duplicates received."""
    recorded = {}
    for source in (db.orders, db.consolidations):
        for doc in source.find({"events": {"$exists": True, "$ne": []}}):
            for event in doc["events"]:
                recorded[event["id"]] = (doc, event)
    received = shop.receiver.received
    first_seen, arrivals = [], Counter()
    for payload in received:
        event_id = payload["data"]["event_id"]
        arrivals[event_id] += 1
        if arrivals[event_id] == 1:
            first_seen.append(payload)
    out_of_order = set()
    last_seq = {}
    for payload in first_seen:
        subject = payload["data"].get("order_id") or payload["data"].get("run_id")
        if payload["data"]["seq"] != last_seq.get(subject, 0) + 1:
            out_of_order.add(subject)
        last_seq[subject] = payload["data"]["seq"]
    never = [
        p
        for p in first_seen
        if p["data"]["event_id"] not in recorded or not _happened(*recorded[p["data"]["event_id"]])
    ]
    return {
        "order_events_expected": len(recorded),
        "order_events_delivered": len(set(arrivals) & set(recorded)),
        "order_events_out_of_order": len(out_of_order),
        "order_events_never_happened": len(never),
        "order_events_duplicates": sum(n - 1 for n in arrivals.values()),
        "shop_faults": dict(shop.faults),
    }


def _happened(doc, event):
    """The change an event tells is in its document: a status the history reached, a refund
    or dispute recorded, a run with unmatched items."""
    kind = event["type"]
    if kind in STATUS_EVENTS:
        return any(step["to"] == STATUS_EVENTS[kind] for step in doc.get("history") or ())
    if kind in ("order.refunded", "order.partially_refunded"):
        return bool(doc.get("refund"))
    if kind in ("order.disputed", "order.dispute_closed"):
        return bool(doc.get("dispute"))
    return kind == "consolidation.mismatch" and bool(doc.get("unmatched"))
