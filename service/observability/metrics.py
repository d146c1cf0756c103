"""Prometheus metrics this process records: webhook deliveries and Stripe API calls.

Under gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` (exported by gunicorn_config before any worker
imports the app) makes prometheus_client keep each worker's values in files there, which
/metrics merges, so whichever worker answers a scrape reports all of them. Unset (flask
CLI, tests, one process) the values live in this process's default registry. The variable
is read from the process environment at import, not from Settings, because that is when and
where prometheus_client itself reads it. Gauges about the database are not recorded here:
http/metrics.py computes them at scrape time.
"""

import contextlib
import os
import time
from collections.abc import Iterator

from prometheus_client import Counter, Histogram

from ..domain.event_types import HANDLED_TYPES
from ..errors import DatabaseUnavailable, WebhookRejected
from .alerts import SlidingWindowAlarm

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
if MULTIPROC_DIR:  # e.g. a worker dyno that shares the web dyno's config vars
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

SIGNATURE_CODES = ("missing_signature", "invalid_signature", "stale_signature")
__all__ = ["HANDLED_TYPES", "observe_delivery", "record_stripe_call", "stripe_operation"]
_KNOWN_SEGMENTS = {
    "v1",
    "payment_intents",
    "refunds",
    "events",
    "search",
    "cancel",
    "confirm",
    "balance_transactions",
    "payouts",
    "balance",
}
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

WEBHOOK_DELIVERIES = Counter(
    "payments_webhook_deliveries",
    "Webhook deliveries by event type (handled types, else other/unknown) "
    "and outcome (applied, ignored, duplicate, failed = parked, rejected, unavailable, error).",
    ["type", "outcome"],
)
SIGNATURE_FAILURES = Counter(
    "payments_webhook_signature_failures", "Webhook deliveries refused for their signature, by reason.", ["reason"]
)
WEBHOOK_SECONDS = Histogram(
    "payments_webhook_duration_seconds",
    "Time to verify, store and apply one webhook delivery.",
    buckets=_LATENCY_BUCKETS,
)
STRIPE_CALLS = Counter(
    "payments_stripe_api_calls",
    "Stripe API HTTP attempts by operation and outcome (ok, rate_limited, "
    "server_error, connection_error, client_error).",
    ["operation", "outcome"],
)
STRIPE_SECONDS = Histogram(
    "payments_stripe_api_duration_seconds",
    "Duration of one Stripe API HTTP attempt.",
    ["operation"],
    buckets=_LATENCY_BUCKETS,
)


class _Delivery:
    """Filled in by the webhook path while it runs: what to label the delivery with."""

    event_type: str | None = None
    outcome: str | None = None


@contextlib.contextmanager
def observe_delivery(signature_alarm: SlidingWindowAlarm | None = None) -> Iterator[_Delivery]:
    """Time one webhook delivery and count it by type and outcome when the block ends; a
    signature failure also counts and feeds ``signature_alarm`` ."""
    delivery, started = _Delivery(), time.monotonic()
    try:
        yield delivery
    except WebhookRejected as exc:
        delivery.outcome = "rejected"
        if exc.code in SIGNATURE_CODES:
            SIGNATURE_FAILURES.labels(exc.code).inc()
            if signature_alarm is not None:
                signature_alarm.record(reason=exc.code)
        raise
    except DatabaseUnavailable:
        delivery.outcome = "unavailable"
        raise
    except Exception:
        delivery.outcome = "error"
        raise
    finally:
        WEBHOOK_SECONDS.observe(time.monotonic() - started)
        kind = delivery.event_type
        label = "unknown" if kind is None else kind if kind in HANDLED_TYPES else "other"
        WEBHOOK_DELIVERIES.labels(label, delivery.outcome or "error").inc()


def stripe_operation(method: str, path: str) -> str:
    """A bounded label for a Stripe API path: object ids become ``{id}``."""
    segments = [s if s in _KNOWN_SEGMENTS else "{id}" for s in path.strip("/").split("/")]
    return f"{method} /{'/'.join(segments)}"


def record_stripe_call(method: str, path: str, outcome: str, seconds: float) -> None:
    """Count one Stripe HTTP attempt and its duration."""
    operation = stripe_operation(method, path)
    STRIPE_CALLS.labels(operation, outcome).inc()
    STRIPE_SECONDS.labels(operation).observe(seconds)
