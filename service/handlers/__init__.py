"""Use cases as functions that take their dependencies (``Services``) explicitly.

HTTP (``service.http``) and the CLI (``service.cli``) call these; they call the domain to
decide, the store to persist and the gateway to talk to Stripe. One module per use case;
``views`` holds the JSON shapes the HTTP and CLI layers share.
"""

from .catalog import archive_product, import_products, list_products
from .checkout import get_order, start_checkout
from .consolidation import consolidate_period, get_consolidation, list_consolidations
from .database import is_ready, prepare_database
from .inbox import list_events, preview_replay, replay_event
from .operations import money_at_risk, stuck_orders
from .plan import plan_reconcile
from .ratelimits import check_checkout_rate
from .reconcile import reconcile
from .refund import refund_order
from .report import consolidation_report
from .services import Services, services_of
from .timeline import order_timeline
from .webhook import apply_fact, ingest_event, process_event, receive_webhook

__all__ = [
    "Services",
    "apply_fact",
    "archive_product",
    "check_checkout_rate",
    "consolidate_period",
    "consolidation_report",
    "get_consolidation",
    "get_order",
    "import_products",
    "ingest_event",
    "is_ready",
    "list_consolidations",
    "list_events",
    "list_products",
    "money_at_risk",
    "order_timeline",
    "plan_reconcile",
    "prepare_database",
    "preview_replay",
    "process_event",
    "receive_webhook",
    "reconcile",
    "refund_order",
    "replay_event",
    "services_of",
    "start_checkout",
    "stuck_orders",
]
