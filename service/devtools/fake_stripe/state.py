"""The fake's memory: objects, events, delivery status and the request log, behind one lock."""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
from collections.abc import Callable

from . import objects
from .errors import missing
from .pricing import Pricing, Settlement

EVENT_RETENTION = 30 * 24 * 3600


@dataclasses.dataclass(frozen=True)
class AsyncTiming:
    """Delays (seconds, by the store's clock) of the simulated customer and bank in
    async_methods.py: a voucher paid or expired at once, a voucher's validity, a debit's
    processing time."""

    voucher_paid_after: float = 5.0
    voucher_expired_after: float = 5.0
    voucher_days: int = 3
    debit_processing: float = 5.0


@dataclasses.dataclass
class RequestRecord:
    """One HTTP request the server received. `status` is what the fake answered, None while
    in progress or when it closed without answering (a "reset" or "after" fault); `fault`
    names the injected fault; `replayed` marks an idempotent replay."""

    method: str
    path: str
    params: dict
    idempotency_key: str | None
    request_id: str
    status: int | None = None
    replayed: bool = False
    fault: str | None = None


@dataclasses.dataclass(frozen=True)
class Origin:
    """The API request that caused a change, copied into the event's `request` field."""

    request_id: str | None = None
    idempotency_key: str | None = None


@dataclasses.dataclass
class Call:
    """One routed API request: the store, decoded params, ids from the path, its origin."""

    store: Store
    params: dict
    args: dict
    origin: Origin


class Store:
    """Thread-safe state. Every read or write of the dicts below happens under `lock`
    (re-entrant, so lifecycle operations can compose)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        search_lag: float = 0.0,
        pricing: Pricing | None = None,
        settlement: Settlement | None = None,
        async_timing: AsyncTiming | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.async_timing = async_timing or AsyncTiming()
        self.clock = clock
        self.search_lag = search_lag
        self.pricing = pricing or Pricing()
        self.settlement = settlement or Settlement()
        self.listeners: list[Callable[[dict], None]] = []
        # Called with a delay in seconds when work falls due later (see ledger.run_due).
        self.wakers: list[Callable[[float], None]] = []
        self.reset()

    def reset(self) -> None:
        """Forget every object, event and request; listeners and settings are kept."""
        with self.lock:
            self.payment_intents: dict[str, dict] = {}
            self.charges: dict[str, dict] = {}
            self.refunds: dict[str, dict] = {}
            self.balance_transactions: dict[str, dict] = {}
            self.payouts: dict[str, dict] = {}
            self.disputes: dict[str, dict] = {}
            self.reviews: dict[str, dict] = {}  # Radar reviews and early fraud warnings (radar.py)
            self.early_fraud_warnings: dict[str, dict] = {}
            # Balance transaction id -> the automatic payout that paid it out.
            self.swept: dict[str, str] = {}
            # Charge id -> clock time its (delayed) balance transaction is due.
            self.deferred: dict[str, float] = {}
            self.bank_account = objects.new_id("ba")
            self.events: list[dict] = []
            self.requests: list[RequestRecord] = []
            # Stripe search is eventually consistent; an object is searchable from this time.
            self.searchable_at: dict[str, float] = {}
            # Payment methods made by confirming with payment_method_data (async_methods.py),
            # and each waiting PI's later outcome: pi id -> (clock time, "succeed"|"fail"|"expire").
            self.payment_methods: dict[str, dict] = {}
            self.scheduled: dict[str, tuple[float, str]] = {}

    def now(self) -> int:
        """Return the current unix time in whole seconds, as Stripe's `created` fields are."""
        return int(self.clock())

    def add_payment_intent(self, pi: dict) -> None:
        """Store a new PaymentIntent and schedule when search starts to see it."""
        with self.lock:
            self.payment_intents[pi["id"]] = pi
            self.searchable_at[pi["id"]] = self.clock() + self.search_lag

    def payment_intent(self, pi_id: str, param: str = "intent") -> dict:
        """Return the live PaymentIntent dict (caller holds `lock`), or raise 404."""
        try:
            return self.payment_intents[pi_id]
        except KeyError:
            raise missing("payment_intent", pi_id, param) from None

    def emit(
        self, type_: str, obj: dict, origin: Origin | None = None, previous_attributes: dict | None = None
    ) -> dict:
        """Record an event with a snapshot of `obj` (and `data.previous_attributes` when
        given), notify listeners, return a copy."""
        origin = origin or Origin()
        with self.lock:
            evt = objects.event(
                type_, obj, created=self.now(), request_id=origin.request_id, idempotency_key=origin.idempotency_key
            )
            if previous_attributes is not None:
                evt["data"]["previous_attributes"] = copy.deepcopy(previous_attributes)
            self.events.append(evt)
            listeners = list(self.listeners)
        for listener in listeners:
            listener(copy.deepcopy(evt))
        return copy.deepcopy(evt)

    def find(self, collection: str, kind: str, object_id: str, param: str = "id") -> dict:
        """Return the live object `object_id` of one collection (caller holds `lock`), or
        raise 404 resource_missing naming `kind`."""
        try:
            return getattr(self, collection)[object_id]
        except KeyError:
            raise missing(kind, object_id, param) from None

    def find_event(self, event_id: str) -> dict:
        """Return the live event dict (caller holds `lock`) within retention, or raise 404."""
        for evt in self.events:
            if evt["id"] == event_id and evt["created"] >= self.now() - EVENT_RETENTION:
                return evt
        raise missing("event", event_id, "id")

    def mark_delivered(self, event_id: str, ok: bool) -> None:
        """Record the outcome of the latest delivery attempt; `pending_webhooks` drops to 0
        only on success, which is what `delivery_success` filters on."""
        with self.lock:
            for evt in self.events:
                if evt["id"] == event_id:
                    evt["pending_webhooks"] = 0 if ok else 1
                    return
        raise KeyError(event_id)

    def log_request(self, record: RequestRecord) -> RequestRecord:
        """Append a received request to the log and return it for later completion."""
        with self.lock:
            self.requests.append(record)
        return record

    def snapshot(self, name: str):
        """Return a deep copy of one collection, safe to read while the server runs."""
        with self.lock:
            value = getattr(self, name)
            if name == "requests":
                return [dataclasses.replace(rec, params=copy.deepcopy(rec.params)) for rec in value]
            return copy.deepcopy(value)
