"""Alerts: JSON log lines with a stable ``alert`` field, for log-based alerting to match.

- ``paid_at_stripe_not_here`` (each reconcile pass): an open order past its deadline whose
  PaymentIntent succeeded at Stripe.
- ``failed_inbox_events`` (the webhook path when it parks an event; each reconcile pass
  while any row is parked, with the count).
- ``signature_failure_spike`` (the webhook path): ``SIGNATURE_ALERT_THRESHOLD`` signature
  failures within ``SIGNATURE_ALERT_WINDOW_SECONDS``, counted per process.
- ``reconciler_stale`` (each /metrics scrape; each reconcile pass): no pass completed
  within 2 of the reconciler's intervals, or none ever.
- ``ledger_unpostable`` (the ledger worker): an event's money cannot be posted (a field
  missing or inconsistent); the inbox row keeps the error (``ledger_error``).
- ``consolidation_mismatch`` (each consolidation run): items of a period did not match
  (Stripe's books vs ours); the run lists each.
- ``api_version_mismatch`` (the webhook path, once per version per process): events arrive in
  another Stripe API version than the pinned one (``observability/api_versions.py``).
- ``radar_review_opened``, ``radar_review_closed``, ``early_fraud_warning`` (the apply path):
  Radar flagged or cleared a payment of an order; its status is unchanged.
- ``payment_needs_review``, ``duplicate_payment_intents``, ``second_dispute``,
  ``money_movement_on_other_payment_intent`` (the apply path, the reconciler): money that
  needs a human; raised where it is found, with the ids.

The values are a contract with whoever alerts on them: add new ones, never rename.
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from .logs import log

PAID_AT_STRIPE_NOT_HERE = "paid_at_stripe_not_here"
FAILED_INBOX_EVENTS = "failed_inbox_events"
SIGNATURE_FAILURE_SPIKE = "signature_failure_spike"
RECONCILER_STALE = "reconciler_stale"
LEDGER_UNPOSTABLE = "ledger_unpostable"
CONSOLIDATION_MISMATCH = "consolidation_mismatch"
API_VERSION_MISMATCH = "api_version_mismatch"
RADAR_REVIEW_OPENED = "radar_review_opened"
RADAR_REVIEW_CLOSED = "radar_review_closed"
EARLY_FRAUD_WARNING = "early_fraud_warning"
STALE_AFTER_INTERVALS = 2

logger = logging.getLogger("service.alerts")


def emit(alert: str, msg: str, **fields: Any) -> None:
    """Write one ERROR log line carrying ``alert``; never raises."""
    log(logger, logging.ERROR, msg, alert=alert, **fields)


class SlidingWindowAlarm:
    """Counts occurrences in the last ``window`` seconds of *this process* and emits
    ``alert`` when they reach ``threshold``; then stays quiet for one window so a spike
    makes one line per window, not one per failure. Thread-safe."""

    def __init__(self, alert: str, threshold: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.alert, self.threshold, self.window, self.clock = alert, threshold, window, clock
        self._seen: deque[float] = deque()
        self._quiet_until = float("-inf")
        self._lock = threading.Lock()

    def record(self, **fields: Any) -> bool:
        """Count one occurrence; returns True when this call emitted the alert."""
        with self._lock:
            now = self.clock()
            self._seen.append(now)
            while self._seen and self._seen[0] <= now - self.window:
                self._seen.popleft()
            count = len(self._seen)
            if count < self.threshold or now < self._quiet_until:
                return False
            self._quiet_until = now + self.window
        emit(
            self.alert, "signature failures spiking", count=count, window_s=self.window, scope="this process", **fields
        )
        return True


def reconciler_health(stats: Mapping[str, Any] | None, default_interval: float, now: datetime) -> dict[str, Any]:
    """{last_completed_at, interval_seconds, age_seconds, stale} from the reconciler's run
    record (None: never completed, which counts as stale). Emits ``reconciler_stale`` when stale."""
    interval = float((stats or {}).get("interval_seconds") or default_interval)
    last = (stats or {}).get("last_completed_at")
    age = None if last is None else max(0.0, (now - last).total_seconds())
    stale = age is None or age > STALE_AFTER_INTERVALS * interval
    if stale:
        emit(
            RECONCILER_STALE,
            "the reconciler has not completed a pass within 2 intervals",
            last_completed_at=last.isoformat() if last else "never",
            age_s=age and round(age, 1),
            interval_s=interval,
        )
    return {"last_completed_at": last, "interval_seconds": interval, "age_seconds": age, "stale": stale}
