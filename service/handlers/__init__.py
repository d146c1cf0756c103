"""Use cases as functions that take their dependencies (``Services``) explicitly.

HTTP (``api``) and the CLI (``cli``) call these; they call ``orders`` to decide,
``store`` to persist and ``stripe_gateway`` to talk to Stripe.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Services:
    """Everything a handler may touch, wired once by ``create_app``."""

    settings: object
    store: object
    gateway: object
    signature_alarm: object = None  # alerts.SlidingWindowAlarm for this process, or None


from .catalog import import_products  # noqa: E402
from .checkout import get_order, start_checkout  # noqa: E402
from .webhook import apply_fact, ingest_event, process_event, receive_webhook  # noqa: E402
from .inbox import list_events, replay_event  # noqa: E402
from .reconcile import reconcile  # noqa: E402
from .report import consolidation_report  # noqa: E402
from .refund import refund_order  # noqa: E402
from .operations import stuck_orders  # noqa: E402

__all__ = ["Services", "import_products", "start_checkout", "get_order",
           "receive_webhook", "ingest_event", "process_event", "apply_fact",
           "list_events", "replay_event", "reconcile", "consolidation_report",
           "refund_order", "stuck_orders"]
