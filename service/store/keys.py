"""Generations of an order's fixed idempotency keys, kept on the order.

Stripe saves a request's 5xx under its idempotency key once the request began executing and
replays it for 24 hours; the key is then spent. Each fixed key (the PaymentIntent's, each
refund's) therefore has a generation: ``key_generations.<digest of the key>`` holds ``key``,
``generation`` (1 until a saved failure is healed) and ``failed_at`` (when that generation's
saved failure was first seen). The field is a digest because a key (an operator's
``--key``) may hold characters a field name must not (``.``, a leading ``$``). Every write
is conditional on the generation it was decided from, so two processes healing at once
move to the same next generation, never two. Raises DatabaseUnavailable when the retry
budget is spent.
"""

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.collection import Collection

from .documents import Order
from .retry import RetryPolicy

Doc = dict[str, Any]


def _orders() -> "Collection[Doc]":
    return Order._get_collection()


def _slot(base: str) -> str:
    return hashlib.sha256(base.encode("utf-8")).hexdigest()[:32]


def key_entry(order: Mapping[str, Any], base: str) -> Doc:
    """The stored {generation, failed_at} of ``base`` on ``order`` (generation 1, never failed,
    when nothing is stored)."""
    entry = (order.get("key_generations") or {}).get(_slot(base)) or {}
    return {"generation": entry.get("generation", 1), "failed_at": entry.get("failed_at")}


class KeyStore:
    """Key generations on the ``orders`` collection; ``retry`` bounds every call."""

    def __init__(self, retry: RetryPolicy) -> None:
        self.retry = retry

    def note_saved_failure(self, order_id: str, base: str, generation: int, at: datetime, retry_by: datetime) -> Doc:
        """Record that ``generation`` of key ``base`` got a saved failure at ``at`` (the first
        sighting is kept), and bring the order's ``expected_by`` forward to ``retry_by`` so the
        reconciler heals it soon. Returns the entry as stored after the call (a later
        generation if another process already moved on). Idempotent."""
        field = f"key_generations.{_slot(base)}"
        query = {
            "_id": order_id,
            "$or": [{field: {"$exists": False}}, {f"{field}.generation": generation, f"{field}.failed_at": None}],
        }
        entry = {"key": base, "generation": generation, "failed_at": at}
        update = {"$set": {field: entry}, "$min": {"expected_by": retry_by}}

        def op() -> Doc | None:
            return _orders().find_one_and_update(
                query, update, return_document=ReturnDocument.AFTER
            ) or _orders().find_one({"_id": order_id})

        order = self.retry.run(op, "note_saved_failure")
        return key_entry(order or {}, base)

    def advance(self, order_id: str, base: str, generation: int) -> int:
        """Move key ``base`` from ``generation`` to the next one, unless another process already
        did; returns the generation stored after the call. Idempotent."""
        field = f"key_generations.{_slot(base)}"
        query = {"_id": order_id, f"{field}.generation": generation}
        update = {"$set": {field: {"key": base, "generation": generation + 1, "failed_at": None}}}

        def op() -> Doc | None:
            return _orders().find_one_and_update(
                query, update, return_document=ReturnDocument.AFTER
            ) or _orders().find_one({"_id": order_id})

        order = self.retry.run(op, "advance_key_generation")
        return int(key_entry(order or {}, base)["generation"])
