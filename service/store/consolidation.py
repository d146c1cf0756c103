"""Consolidation's storage: our mirror of Stripe's balance transactions (Stripe's side of
the books, written as it is listed) and the runs, each kept beside the earlier ones.

Mirroring is an upsert per transaction (a re-listing after a crash rewrites the same
documents); a run's checkpoint (``cursor``) advances only after its page is mirrored.
Raises DatabaseUnavailable when the retry budget is spent.
"""

import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from pymongo import DESCENDING, ReplaceOne
from pymongo.collection import Collection

from ..clock import utcnow
from ..domain.order_events import CONSOLIDATION_MISMATCH, mismatch_data, run_event_id
from .documents import Consolidation, MirroredBalanceTransaction
from .event_recording import record_event
from .paging import paged_by_created
from .retry import RetryPolicy

Doc = dict[str, Any]
RUNNING, DONE, FAILED = "running", "done", "failed"


def _mirror() -> "Collection[Doc]":
    return MirroredBalanceTransaction._get_collection()


def _runs() -> "Collection[Doc]":
    return Consolidation._get_collection()


class ConsolidationStore:
    """The ``stripe_balance_transactions`` mirror and the ``consolidations`` runs."""

    def __init__(self, retry: RetryPolicy) -> None:
        self.retry = retry

    # -- the mirror ---------------------------------------------------------------------------
    def mirror(self, transactions: Iterable[Mapping[str, Any]]) -> int:
        """Upsert mirrored balance transactions (``_id`` = Stripe's id) in one command;
        returns how many were written. Idempotent."""
        now = utcnow()
        ops = [ReplaceOne({"_id": txn["_id"]}, dict(txn, fetched_at=now), upsert=True) for txn in transactions]
        if not ops:
            return 0
        self.retry.run(lambda: _mirror().bulk_write(ops, ordered=False), "mirror_balance_transactions")
        return len(ops)

    def mirrored_in_period(self, start: int, end: int) -> Iterator[Doc]:
        """Mirrored transactions created in [start, end), in (created, id) order, a page at a time."""
        return paged_by_created(_mirror, self.retry, start, end, "mirrored_in_period")

    def mirrored_charges_for(self, payment_intent_ids: Iterable[str]) -> list[Doc]:
        """Mirrored charge transactions of these PaymentIntents (one index-served query)."""
        ids = list(payment_intent_ids)
        return self.retry.run(lambda: list(_mirror().find({"payment_intent_id": {"$in": ids}})), "mirrored_charges_for")

    # -- runs ---------------------------------------------------------------------------------
    def start_run(self, period: str, period_type: str, start: datetime, end: datetime) -> Doc:
        """A new ``running`` run of ``period``; returns it."""
        now = utcnow()
        doc = {
            "_id": f"{period}@{now.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}",
            "period": period,
            "period_type": period_type,
            "start": start,
            "end": end,
            "state": RUNNING,
            "listed": 0,
            "started_at": now,
        }
        self.retry.run(lambda: _runs().insert_one(dict(doc)), "consolidation_start")
        return doc

    def unfinished_run(self, period: str) -> Doc | None:
        """The latest run of ``period`` still ``running`` (a crashed one to resume), or None."""
        return self.retry.run(
            lambda: _runs().find_one({"period": period, "state": RUNNING}, sort=[("started_at", DESCENDING)]),
            "consolidation_unfinished",
        )

    def checkpoint(self, run_id: str, cursor: str, listed: int) -> None:
        """Record that the listing reached ``cursor`` (``listed`` transactions so far)."""
        self.retry.run(
            lambda: _runs().update_one({"_id": run_id}, {"$set": {"cursor": cursor, "listed": listed}}),
            "consolidation_checkpoint",
        )

    def finish_run(self, run_id: str, result: Mapping[str, Any]) -> None:
        """Store the run's result (``ok``, ``items``, ``counts``, ``totals``, ...) and close it.
        A run that found unmatched items records its consolidation.mismatch event for the
        shop in this same update, once: that update is conditional on the run being unfinished."""
        changes = dict(result, finished_at=utcnow())
        query: Doc = {"_id": run_id}
        update: Doc = {"$set": changes}
        if result.get("unmatched"):
            run = self.get_run(run_id) or {"_id": run_id}
            query["finished_at"] = None
            record_event(
                query,
                update,
                run,
                lambda seq: run_event_id(run_id, seq),
                CONSOLIDATION_MISMATCH,
                changes["finished_at"],
                mismatch_data(run_id, {**run, **changes}),
            )
        self.retry.run(lambda: _runs().update_one(query, update), "consolidation_finish")

    def get_run(self, run_id: str) -> Doc | None:
        """One run, or None."""
        return self.retry.run(lambda: _runs().find_one({"_id": run_id}), "consolidation_get")

    def list_runs(self, period_type: str | None, limit: int) -> list[Doc]:
        """Runs, newest first (items omitted), optionally of one period type."""
        query = {"period_type": period_type} if period_type else {}
        return self.retry.run(
            lambda: list(_runs().find(query, {"items": 0}).sort("started_at", DESCENDING).limit(limit)),
            "consolidation_list",
        )

    def latest_finished(self, period_type: str) -> Doc | None:
        """The most recent finished run of a period type (for the unmatched-items gauge)."""
        return self.retry.run(
            lambda: _runs().find_one(
                {"period_type": period_type, "state": DONE}, {"items": 0}, sort=[("started_at", DESCENDING)]
            ),
            "consolidation_latest",
        )

    def done_periods(self, periods: Iterable[str]) -> set[str]:
        """Which of ``periods`` have a finished run."""
        wanted = list(periods)
        return self.retry.run(
            lambda: {doc["period"] for doc in _runs().find({"period": {"$in": wanted}, "state": DONE}, {"period": 1})},
            "consolidation_done_periods",
        )
