"""mongoengine documents: the schema and the indexes, nothing else."""

from .core import (
    Checkpoint,
    Lease,
    Order,
    OrderItem,
    Product,
    RateLimitCounter,
    ReconcileStats,
    StripeEvent,
    Transition,
)
from .money import Consolidation, LedgerEntry, MirroredBalanceTransaction, StripeCall
from .outbox import Delivery, OrderEvent, OutboxEndpoint

DOCUMENTS = (
    Product,
    Order,
    StripeEvent,
    Checkpoint,
    Lease,
    ReconcileStats,
    StripeCall,
    LedgerEntry,
    MirroredBalanceTransaction,
    Consolidation,
    RateLimitCounter,
    OrderEvent,
    Delivery,
    OutboxEndpoint,
)

__all__ = [
    "DOCUMENTS",
    "Checkpoint",
    "Consolidation",
    "Delivery",
    "Lease",
    "LedgerEntry",
    "MirroredBalanceTransaction",
    "Order",
    "OrderEvent",
    "OrderItem",
    "OutboxEndpoint",
    "Product",
    "RateLimitCounter",
    "ReconcileStats",
    "StripeCall",
    "StripeEvent",
    "Transition",
]
