"""Two reconcile workers on one database: the event sweep runs once per window and every
consolidation period once, whichever worker gets there first (the worker loop's schedule);
one-off passes still sweep every time."""

import threading
from collections import Counter
from datetime import timedelta

import pytest

from service import handlers
from service.clock import utcnow
from service.domain.periods import last_closed
from service.handlers.consolidation.run import consolidate

FAST = {"STRIPE_READ_RATE": 1000, "RECONCILE_GRACE_SECONDS": 0, "CONSOLIDATION_PERIODS": "hour,day"}


@pytest.fixture
def app(make_app):
    return make_app(**FAST)


def test_scheduled_passes_sweep_once_per_window_and_one_off_passes_always(services):
    """Two scheduled passes in one window: one sweeps, the other skips; a one-off pass sweeps."""
    first = handlers.reconcile(services, interval=3600, consolidate=True)
    second = handlers.reconcile(services, interval=3600, consolidate=True)
    assert first.sweep == "done" and first.sweep_window is not None
    assert second.sweep.startswith("skipped") and second.sweep_window is None
    assert handlers.reconcile(services).sweep == "done"


def test_two_workers_at_once_sweep_once_and_consolidate_each_period_once(services, raw_db, fake_stripe):
    """Two workers' passes started together, four times over: one sweep per window, and each
    due period (3 hours, 3 days) has exactly one finished run."""
    summaries = []

    def worker():
        for _ in range(4):
            summaries.append(handlers.reconcile(services, interval=3600, consolidate=True))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    sweeps = Counter(summary.sweep_window for summary in summaries if summary.sweep == "done")
    assert len(summaries) == 8 and list(sweeps.values()) == [1], [s.sweep for s in summaries]
    runs = Counter(run["period"] for run in raw_db.consolidations.find({}, {"period": 1}))
    assert len(runs) == 6 and set(runs.values()) == {1}, runs
    assert all(summary.failed == 0 for summary in summaries), [s.line() for s in summaries]


def test_a_period_finished_by_another_worker_is_not_run_again_on_schedule(services, raw_db):
    """The race the lease alone left open: worker B saw the period due, worker A finished it
    and released the lease, then B took the lease. Under the lease B now sees it done."""
    period = last_closed("hour", utcnow(), timedelta(0))
    assert consolidate(services, period, lambda: None) is not None  # worker A
    assert consolidate(services, period, lambda: None, once=True) is None  # worker B, on schedule
    assert raw_db.consolidations.count_documents({"period": period.key}) == 1
    assert consolidate(services, period, lambda: None) is not None  # on demand: a new run, kept beside
    assert raw_db.consolidations.count_documents({"period": period.key}) == 2
