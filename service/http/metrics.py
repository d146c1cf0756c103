"""GET /metrics: Prometheus text format for every worker of this host and the database.

Per-process counters (observability/metrics.py) come from prometheus_client's multiprocess files when
``PROMETHEUS_MULTIPROC_DIR`` is set (gunicorn), else from this process's registry. Gauges
about money at risk are not per-process: a collector reads them from the database at
scrape time (index-backed, capped counts, see handlers/operations.py), so every worker
reports the same numbers, and the reconciler's totals come from its record in the
database because the reconciler runs in another process (or dyno). With METRICS_TOKEN set,
a scrape must present it as a bearer token.
"""

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from .. import handlers
from ..errors import ServiceError
from ..observability import metrics
from .auth import require_bearer
from .outbox_metrics import OutboxCollector

bp = Blueprint("metrics", __name__)


class _ThisProcess(Collector):
    """The default registry (this process's values) as one collector of a scrape's registry."""

    def collect(self) -> Any:
        return REGISTRY.collect()


class DatabaseCollector(Collector):
    """Money-at-risk gauges and the reconciler's totals, read from the database per scrape."""

    def __init__(self, services: handlers.Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Any]:
        try:
            snapshot = handlers.money_at_risk(self.services)
        except ServiceError:  # the process metrics are still worth serving
            yield GaugeMetricFamily("payments_metrics_database_up", "1 if the database answered this scrape", 0)
            return
        yield GaugeMetricFamily("payments_metrics_database_up", "1 if the database answered this scrape", 1)
        inbox = GaugeMetricFamily("payments_inbox_events", "Inbox rows by state (capped at 100000)", labels=["state"])
        for state, count in snapshot["inbox"].items():
            inbox.add_metric([state], count)
        yield inbox
        yield GaugeMetricFamily(
            "payments_overdue_orders", "Open orders past their payment deadline", snapshot["overdue_orders"]
        )
        yield GaugeMetricFamily(
            "payments_oldest_overdue_order_age_seconds",
            "How long the most overdue open order is past its deadline (0: none)",
            snapshot["oldest_overdue_age_seconds"],
        )
        yield GaugeMetricFamily(
            "payments_orders_needing_review",
            "Orders in needs_review: money taken that does not match the order (capped at 100000)",
            snapshot["needs_review"],
        )
        yield GaugeMetricFamily(
            "payments_ledger_unpostable_events",
            "Inbox events whose money the ledger could not post (capped at 100000)",
            snapshot["ledger_unpostable"],
        )
        totals, health = snapshot["reconciler"], snapshot["reconciler_health"]
        runs = CounterMetricFamily(
            "payments_reconcile_runs", "Completed reconcile passes by outcome", labels=["outcome"]
        )
        runs.add_metric(["ok"], totals["runs_ok"])
        runs.add_metric(["failed"], totals["runs_failed"])
        yield runs
        yield CounterMetricFamily("payments_reconcile_healed", "Orders the reconciler healed", totals["healed"])
        yield CounterMetricFamily("payments_reconcile_failed", "Items a reconcile pass failed on", totals["failed"])
        last = health["last_completed_at"]
        yield GaugeMetricFamily(
            "payments_reconcile_last_completed_timestamp_seconds",
            "Unix time of the last completed reconcile pass (0: never)",
            last.timestamp() if last else 0,
        )
        yield GaugeMetricFamily(
            "payments_reconciler_stale", "1 if no pass completed within 2 intervals", int(health["stale"])
        )
        unmatched = GaugeMetricFamily(
            "payments_consolidation_unmatched",
            "Unmatched items in the latest finished consolidation run of each period type (absent: none yet)",
            labels=["period_type"],
        )
        for period_type, latest in snapshot["consolidation"].items():
            if latest is not None:
                unmatched.add_metric([period_type], latest["unmatched"])
        yield unmatched


def scrape(services: handlers.Services) -> bytes:
    """The exposition body for one scrape: every worker's counters plus the database gauges."""
    registry = CollectorRegistry()
    if metrics.MULTIPROC_DIR:
        MultiProcessCollector(registry, path=metrics.MULTIPROC_DIR)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseCollector(services))
    registry.register(OutboxCollector(services))
    return generate_latest(registry)


@bp.get("/metrics")
def metrics_endpoint() -> Response:
    services = handlers.services_of(current_app)
    if services.settings.metrics_token:
        require_bearer(request.headers.get("Authorization"), services.settings.metrics_token, "metrics")
    return Response(scrape(services), content_type=CONTENT_TYPE_PLAIN_0_0_4)


def register(app: Flask) -> None:
    """Attach GET /metrics to ``app``."""
    app.register_blueprint(bp)
