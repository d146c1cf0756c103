"""Webhook delivery as Stripe does it: signed JSON POSTs, redelivered until a 2xx."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence

import requests
import stripe

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def sign_payload(payload: bytes | str, secret: str | Sequence[str], timestamp: int | None = None) -> str:
    """Return a `Stripe-Signature` header value for `payload`: `t=<ts>,v1=<hex>` with one
    `v1` per secret (as Stripe sends while an endpoint secret is being rolled).
    `timestamp` defaults to now. Verifies with `stripe.Webhook.construct_event`."""
    text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    secrets = [secret] if isinstance(secret, str) else list(secret)
    if not secrets:
        raise ValueError("at least one webhook secret is required")
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    headers = [stripe.WebhookSignature.generate_signature_header(text, s, timestamp=timestamp) for s in secrets]
    return ",".join([f"t={timestamp}", *(h.split(",", 1)[1] for h in headers)])


def encode_event(event: dict) -> bytes:
    """Return the exact body bytes Stripe would POST for `event` (pretty-printed JSON)."""
    return json.dumps(event, indent=2).encode("utf-8")


class Deliverer:
    """Posts events to one webhook endpoint.

    `backoff[i]` is the sleep before redelivery i+1 (the last value repeats);
    `on_result(event_id, ok)` is called after every attempt (pass
    `FakeStripe.mark_delivered` to drive the Events API's `delivery_success` filter).
    `attempts` lists (event_id, status) for every attempt, oldest first.
    """

    def __init__(
        self,
        url: str,
        secrets: str | Sequence[str],
        backoff: Sequence[float] = (0.0,),
        timeout: float = 5.0,
        on_result: Callable[[str, bool], None] | None = None,
    ) -> None:
        self.url = url
        self.secrets = [secrets] if isinstance(secrets, str) else list(secrets)
        self.backoff = tuple(backoff) or (0.0,)
        self.timeout = timeout
        self.on_result = on_result
        self.attempts: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def deliver_once(self, event: dict) -> int:
        """POST `event` once with a fresh signature and return the HTTP status; 0 means no
        answer (connection refused or reset, or no response within `timeout`). Redirects
        are not followed: Stripe counts a 3xx as a failure."""
        body = encode_event(event)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Accept": "*/*; q=0.5, application/xml",
            "Cache-Control": "no-cache",
            "Stripe-Signature": sign_payload(body, self.secrets),
        }
        try:
            status = requests.post(
                self.url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False
            ).status_code
        except requests.RequestException:
            status = 0
        with self._lock:
            self.attempts.append((event["id"], status))
        if self.on_result is not None:
            self.on_result(event["id"], 200 <= status < 300)
        return status

    def deliver(self, event: dict, max_attempts: int = 3) -> list[int]:
        """Deliver until a 2xx or `max_attempts` attempts; return every status in order.
        Sleeps `backoff[i]` between attempts, never after the last one."""
        statuses: list[int] = []
        for attempt in range(max_attempts):
            if attempt:
                time.sleep(self.backoff[min(attempt - 1, len(self.backoff) - 1)])
            statuses.append(self.deliver_once(event))
            if 200 <= statuses[-1] < 300:
                break
        return statuses


class AutoDeliverer:
    """Delivers each event in its own daemon thread, so (as with Stripe) events may arrive
    out of order and one failing event does not hold back the others."""

    def __init__(self, deliverer: Deliverer, max_attempts: int = 3) -> None:
        self.deliverer = deliverer
        self.max_attempts = max_attempts
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def __call__(self, event: dict) -> None:
        """Start delivering `event` in the background; returns immediately."""
        thread = threading.Thread(
            target=self.deliverer.deliver, args=(event, self.max_attempts), name=f"deliver-{event['id']}", daemon=True
        )
        with self._lock:
            thread.start()
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every started delivery finished; False if `timeout` ran out first."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in threads)
