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
)

__all__ = [
    "DOCUMENTS",
    "Checkpoint",
    "Consolidation",
    "Lease",
    "LedgerEntry",
    "MirroredBalanceTransaction",
    "Order",
    "OrderItem",
    "Product",
    "RateLimitCounter",
    "ReconcileStats",
    "StripeCall",
    "StripeEvent",
    "Transition",
]
