"""The outbox's gauges on /metrics, read from the database at scrape time (the delivery worker
runs in another process): per shop endpoint, deliveries pending and dead, the oldest pending
one's age, failed attempts so far, and whether it has been failing for longer than
OUTBOX_ALERT_AFTER_SECONDS. The label is the endpoint's id (a hash), never its URL."""

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from .. import handlers
from ..clock import utcnow
from ..errors import ServiceError
from ..handlers.order_event_views import outbox_stats


class OutboxCollector(Collector):
    """Order-event delivery gauges per configured endpoint."""

    def __init__(self, services: handlers.Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Any]:
        if not self.services.settings.shop_endpoints:
            return
        try:
            stats = outbox_stats(self.services, utcnow())
        except ServiceError:  # payments_metrics_database_up already says so
            return
        families: dict[str, GaugeMetricFamily | CounterMetricFamily] = {
            "pending": GaugeMetricFamily(
                "payments_outbox_pending", "Order-event deliveries waiting to reach the endpoint", labels=["endpoint"]
            ),
            "dead": GaugeMetricFamily(
                "payments_outbox_dead", "Order-event deliveries dead-lettered (outbox replay)", labels=["endpoint"]
            ),
            "oldest_pending_age_seconds": GaugeMetricFamily(
                "payments_outbox_oldest_pending_age_seconds",
                "Age of the oldest pending order-event delivery (0: none)",
                labels=["endpoint"],
            ),
            "failures": CounterMetricFamily(
                "payments_outbox_delivery_failures", "Failed order-event delivery attempts", labels=["endpoint"]
            ),
            "alert": GaugeMetricFamily(
                "payments_outbox_endpoint_failing",
                "1 if the endpoint has been failing for longer than OUTBOX_ALERT_AFTER_SECONDS",
                labels=["endpoint"],
            ),
        }
        for endpoint, row in stats.items():
            for key, family in families.items():
                family.add_metric([endpoint], float(row[key]))
        yield from families.values()
