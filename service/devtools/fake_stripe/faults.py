"""Scripted faults: what goes wrong, for which requests, how many times.

Kinds:
- "error": answer `status` with a Stripe error body; nothing executes, nothing is saved.
- "reset": close the connection without answering; nothing executes.
- "delay": sleep `delay` seconds holding the idempotency key, then answer normally
  (a client with a shorter timeout gives up while Stripe still does the work).
- "after": execute and save the idempotent result, then close without answering
  ("Stripe did it but we never heard back").
- "saved": answer `status` (a 5xx) and save that failure under the request's idempotency key,
  as Stripe does once a request began executing: every replay of the key returns the same
  failure, marked `Idempotent-Replayed: true`, with the same `Request-Id`. With `execute`
  the work was done before it failed (the object exists); without, nothing was. A request
  without a key gets the plain "error".
"""

from __future__ import annotations

import dataclasses
import threading

from .errors import FakeStripeError

KINDS = ("error", "reset", "delay", "after", "saved")


@dataclasses.dataclass
class Fault:
    """One scripted fault; `remaining` counts down as matching requests consume it."""

    method: str
    path_prefix: str
    kind: str
    remaining: int
    status: int = 500
    should_retry: bool | None = None
    delay: float = 0.0
    execute: bool = False

    def matches(self, method: str, path: str) -> bool:
        """True when this fault applies to the request (method "*" matches any)."""
        return self.method in ("*", method.upper()) and path.startswith(self.path_prefix)

    def error(self) -> FakeStripeError:
        """Return the Stripe error an "error" fault answers with."""
        headers = {}
        if self.should_retry is not None:
            headers["Stripe-Should-Retry"] = "true" if self.should_retry else "false"
        if self.status == 429:
            return FakeStripeError(
                429,
                "rate_limit_error",
                "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
                code="rate_limit",
                store=False,
                headers=headers,
            )
        if self.status >= 500:
            return FakeStripeError(self.status, "api_error", "An unknown error occurred", store=False, headers=headers)
        return FakeStripeError(self.status, "invalid_request_error", "Injected error", store=False, headers=headers)


class FaultPlan:
    """Thread-safe FIFO of faults: a request consumes one use of the oldest matching fault."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
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
        """Queue a fault for the next `times` requests matching method and path prefix."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {KINDS}")
        if times < 1:
            raise ValueError("times must be at least 1")
        fault = Fault(method.upper(), path_prefix, kind, times, status, should_retry, delay, execute)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """Consume and return one use of the oldest fault matching the request, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return dataclasses.replace(fault)
        return None

    def pending(self) -> list[Fault]:
        """Return copies of the faults not yet used up, oldest first."""
        with self._lock:
            return [dataclasses.replace(fault) for fault in self._faults]

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()
