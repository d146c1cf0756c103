"""FakeStripe: the one object tests and dev tools hold. Wires state, faults, idempotency,
the HTTP server and (optionally) automatic webhook delivery."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from . import payments
from .faults import Fault, FaultPlan
from .idempotency import IdempotencyStore
from .money_driver import MoneyDriver
from .pipeline import Pipeline
from .pricing import USD_VALUE, Pricing, Settlement
from .radar import RadarDriver
from .server import ServerThread
from .state import AsyncTiming, RequestRecord, Store
from .webhooks import AutoDeliverer, Deliverer


class FakeStripe(MoneyDriver, RadarDriver):
    """A local, stateful, thread-safe stand-in for the parts of api.stripe.com we use.

    Reached by the real stripe-python client through `base_addresses={"api": fake.url}`.
    Read accessors return deep copies. Money options: see pricing.Pricing and Settlement
    (`settlement_currency`, `exchange_rates`, `available_delay`, `charge_balance_delay`).
    Payments that take days (OXXO, SEPA debit): see async_methods.py and `async_timing`.
    """

    def __init__(
        self,
        api_key: str = "sk_test_fake",
        *,
        publishable_key: str | None = None,
        clock: Callable[[], float] = time.time,
        search_lag: float = 0.0,
        webhook_url: str | None = None,
        webhook_secrets: Sequence[str] = (),
        auto_deliver: bool = False,
        webhook_backoff: Sequence[float] = (0.0,),
        webhook_max_attempts: int = 3,
        webhook_timeout: float = 5.0,
        pricing: Pricing | None = None,
        settlement_currency: str | None = None,
        exchange_rates: Mapping[str, str | float] = USD_VALUE,
        available_delay: int = 0,
        charge_balance_delay: float | None = None,
        async_timing: AsyncTiming | None = None,
    ) -> None:
        self.api_key = api_key
        settlement = Settlement(settlement_currency, dict(exchange_rates), available_delay, charge_balance_delay)
        self.store = Store(
            clock=clock, search_lag=search_lag, pricing=pricing, settlement=settlement, async_timing=async_timing
        )
        self._timers: list[threading.Timer] = []
        self.store.wakers.append(self._wake_later)
        self.faults = FaultPlan()
        self.keys = IdempotencyStore(clock=clock)
        # With a publishable key, Stripe.js (the stand-in at /v3/) may confirm from a browser.
        self.pipeline = Pipeline(self.store, self.faults, self.keys, api_key, publishable_key)
        self.auto: AutoDeliverer | None = None
        if auto_deliver:
            if not webhook_url or not webhook_secrets:
                raise ValueError("auto_deliver needs webhook_url and webhook_secrets")
            deliverer = Deliverer(
                webhook_url, webhook_secrets, webhook_backoff, webhook_timeout, on_result=self._record_delivery
            )
            self.auto = AutoDeliverer(deliverer, webhook_max_attempts)
            self.store.listeners.append(self.auto)
        self._server: ServerThread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeStripe:
        """Serve in a background thread (port 0 picks a free port); returns self."""
        if self._server is not None:
            raise RuntimeError("FakeStripe already started")
        self._server = ServerThread(self.pipeline, host, port)
        return self

    def stop(self) -> None:
        """Stop serving and cut open connections; state stays readable. Idempotent."""
        self._cancel_timers()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> FakeStripe:
        return self if self._server else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL of the running server, e.g. "http://127.0.0.1:54321"."""
        if self._server is None:
            raise RuntimeError("FakeStripe is not started")
        return self._server.url

    def reset(self) -> None:
        """Forget all objects, events, requests, faults and idempotency keys."""
        self._cancel_timers()
        self.store.reset()
        self.faults.clear()
        self.keys.clear()

    # -- reading ---------------------------------------------------------------------------
    @property
    def payment_intents(self) -> dict[str, dict]:
        """Snapshot of every PaymentIntent by id, in creation order."""
        return self.store.snapshot("payment_intents")

    @property
    def payment_intents_created(self) -> int:
        """How many PaymentIntents exist (each POST that really created one, replays excluded)."""
        with self.store.lock:
            return len(self.store.payment_intents)

    @property
    def events(self) -> list[dict]:
        """Snapshot of every event, oldest first."""
        return self.store.snapshot("events")

    @property
    def requests(self) -> list[RequestRecord]:
        """Snapshot of every request received, oldest first, faulted ones included."""
        return self.store.snapshot("requests")

    def count(self, method: str, path_prefix: str) -> int:
        """How many requests with this method and path prefix were received (faulted,
        rejected and replayed ones included)."""
        return sum(1 for rec in self.requests if rec.method == method.upper() and rec.path.startswith(path_prefix))

    def event(self, event_id: str) -> dict:
        """Return a copy of one event by id (KeyError if unknown)."""
        for evt in self.events:
            if evt["id"] == event_id:
                return evt
        raise KeyError(event_id)

    # -- driving state (what the customer, the bank and Stripe do) -------------------------
    def succeed(self, pi_id: str, amount_received: int | None = None) -> dict:
        """Payment succeeds; returns the payment_intent.succeeded event."""
        return payments.succeed(self.store, pi_id, amount_received)

    def fail(
        self,
        pi_id: str,
        code: str = "card_declined",
        decline_code: str = "generic_decline",
        message: str = "Your card was declined.",
    ) -> dict:
        """Attempt declined, PI back to requires_payment_method; returns
        payment_intent.payment_failed."""
        return payments.fail(self.store, pi_id, code, decline_code, message)

    def process(self, pi_id: str) -> dict:
        """PI goes to processing; returns payment_intent.processing."""
        return payments.process(self.store, pi_id)

    def cancel(self, pi_id: str, reason: str | None = "abandoned") -> dict:
        """PI canceled (as Stripe or the dashboard would); returns payment_intent.canceled."""
        return payments.cancel(self.store, pi_id, reason)

    def confirm(self, pi_id: str, payment_method: str) -> dict:
        """Confirm with a Stripe test PaymentMethod (pm_card_visa, pm_card_chargeDeclined,
        pm_card_authenticationRequired, ...); returns the PaymentIntent."""
        return payments.confirm(self.store, pi_id, payment_method)

    def refund(self, pi_id: str, amount: int | None = None) -> dict:
        """Refund (default: all that remains); returns the charge.refunded event."""
        return payments.refund(self.store, pi_id, amount)[1]

    def make_event(self, type: str, obj: dict) -> dict:
        """Append an arbitrary event with a snapshot of `obj`; returns it."""
        return self.store.emit(type, obj)

    def mark_delivered(self, event_id: str, ok: bool) -> None:
        """Record a delivery outcome for the Events API `delivery_success` filter."""
        self.store.mark_delivered(event_id, ok)

    def _record_delivery(self, event_id: str, ok: bool) -> None:
        # A background delivery may finish after reset() forgot its event; that is not an error.
        with contextlib.suppress(KeyError):
            self.store.mark_delivered(event_id, ok)

    def drain_deliveries(self, timeout: float = 10.0) -> bool:
        """Wait for background webhook deliveries (auto_deliver) to finish."""
        return self.auto.drain(timeout) if self.auto else True

    # -- faults ----------------------------------------------------------------------------
    def inject(
        self,
        method: str,
        path_prefix: str,
        kind: str,
        times: int = 1,
        status: int = 500,
        should_retry: bool | None = None,
        delay: float = 0.0,
        execute: bool = False,
    ) -> Fault:
        """Queue a fault (see faults.py for the kinds) for the next `times` matching requests;
        faults are consumed oldest first. `execute`: a "saved" failure did the work first."""
        return self.faults.add(method, path_prefix, kind, times, status, should_retry, delay, execute)

    def clear_faults(self) -> None:
        """Drop every fault not yet consumed."""
        self.faults.clear()
