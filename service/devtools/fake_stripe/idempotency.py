"""Idempotency keys as Stripe implements them: saved results, replay, in-flight conflicts."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable

KEY_TTL = 24 * 3600  # Stripe prunes keys after at least 24 hours.
MAX_KEY_LENGTH = 255


@dataclasses.dataclass(frozen=True)
class Saved:
    """A response saved under a key; replays send these exact bytes."""

    status: int
    body: bytes
    request_id: str
    saved_at: float


@dataclasses.dataclass(frozen=True)
class Claim:
    """The outcome of presenting a key: `proceed` (caller must call `finish`),
    `replay` (with `saved`), `in_use` (another request holds it) or `mismatch`."""

    outcome: str
    saved: Saved | None = None


def fingerprint(method: str, path: str, params: dict) -> str:
    """Return a canonical form of a request; Stripe refuses a key reused with another one."""
    return json.dumps([method, path, params], sort_keys=True)


class IdempotencyStore:
    """Thread-safe map from key to saved response. A key is held while its first request
    runs, so two concurrent requests with one key can never both execute."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._saved: dict[str, tuple[str, Saved]] = {}
        self._in_flight: dict[str, str] = {}

    def claim(self, key: str, request_fingerprint: str) -> Claim:
        """Decide what a request carrying `key` may do; on `proceed` the key is held until
        `finish` is called."""
        with self._lock:
            if key in self._in_flight:
                return Claim("in_use")
            entry = self._saved.get(key)
            if entry and self._clock() - entry[1].saved_at > KEY_TTL:
                del self._saved[key]
                entry = None
            if entry is None:
                self._in_flight[key] = request_fingerprint
                return Claim("proceed")
            if entry[0] != request_fingerprint:
                return Claim("mismatch")
            return Claim("replay", entry[1])

    def finish(self, key: str, status: int | None = None, body: bytes = b"", request_id: str = "") -> None:
        """Release a held key, saving the response when `status` is given (otherwise a
        later request with the key executes afresh)."""
        with self._lock:
            request_fingerprint = self._in_flight.pop(key)
            if status is not None:
                self._saved[key] = (request_fingerprint, Saved(status, body, request_id, self._clock()))

    def clear(self) -> None:
        """Forget every saved key (held keys stay held until their requests finish)."""
        with self._lock:
            self._saved.clear()
