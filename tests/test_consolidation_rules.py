"""The pure side of consolidation: periods, the ordered pairing of Stripe's balance
transactions with ledger entries, and what counts as a difference."""

from datetime import UTC, datetime, timedelta

import pytest

from service.domain import consolidation as rules
from service.domain import ledger
from service.domain.periods import last_closed, parse_types, period_containing, previous


def test_periods_are_utc_hours_days_and_months_named_for_their_start():
    """[start, end) bounds and stable names, months of any length included."""
    at = datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC)
    hour, day, month = (period_containing(kind, at) for kind in ("hour", "day", "month"))
    assert (hour.key, hour.start, hour.end) == (
        "hour:2026-02-28T23",
        at.replace(minute=0, second=0),
        datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert (day.key, day.end) == ("day:2026-02-28", datetime(2026, 3, 1, tzinfo=UTC))
    assert (month.key, month.start, month.end) == (
        "month:2026-02",
        datetime(2026, 2, 1, tzinfo=UTC),
        datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert previous(period_containing("month", datetime(2026, 1, 15))).key == "month:2025-12"


def test_the_last_closed_period_waits_for_the_delay_after_its_end():
    """At 10:30 with a one-hour delay the last closed hour is 08:00-09:00, at 11:00 it is 09:00-10:00."""
    delay = timedelta(hours=1)
    assert last_closed("hour", datetime(2026, 12, 2, 10, 30, tzinfo=UTC), delay).key == "hour:2026-12-02T08"
    assert last_closed("hour", datetime(2026, 12, 2, 11, 0, tzinfo=UTC), delay).key == "hour:2026-12-02T09"
    assert last_closed("day", datetime(2026, 12, 2, 0, 30, tzinfo=UTC), delay).key == "day:2026-11-30"


def test_an_unknown_period_type_is_refused_by_name():
    """Configuration and the CLI name the bad type."""
    with pytest.raises(ValueError, match="week"):
        parse_types("hour,week")
    assert parse_types(" hour, month ") == ("hour", "month")


def mirrored(txn_id, created, amount=2000, fee=88, kind="charge", **extra):
    return {
        "_id": txn_id,
        "type": kind,
        "reporting_category": kind,
        "amount": amount,
        "fee": fee,
        "net": amount - fee,
        "currency": "usd",
        "created": created,
        **extra,
    }


def entry_for(doc):
    return ledger.entry_for_balance_transaction({**doc, "id": doc["_id"], "object": "balance_transaction"})


def test_merge_pairs_by_created_and_id_and_names_each_side_that_is_alone():
    """Both sides in (created, id) order: matched pairs, a transaction without entry, an entry
    without transaction; a payout's arrival entry (no balance transaction) is skipped."""
    a, b, c = mirrored("txn_a", 100), mirrored("txn_b", 100), mirrored("txn_c", 200)
    stray = entry_for(mirrored("txn_z", 150))
    arrival = ledger.entry_for_payout_arrival({"id": "po_1", "amount": 1, "currency": "usd", "created": 120})
    pairs = list(rules.merge([a, b, c], [entry_for(a), arrival, stray, entry_for(c)]))
    assert [(t and t["_id"], e and e.balance_transaction_id) for t, e in pairs] == [
        ("txn_a", "txn_a"),
        ("txn_b", None),
        (None, "txn_z"),
        ("txn_c", "txn_c"),
    ]


def test_compare_names_every_field_that_differs_and_nothing_when_equal():
    """Amount, fee, net, currency and kind are compared; equal entries give no item."""
    doc = mirrored("txn_a", 100)
    assert rules.compare(doc, entry_for(doc)) is None
    item = rules.compare({**doc, "fee": 90, "net": 1910}, entry_for(doc))
    assert item["kind"] == rules.ENTRY_DIFFERS and set(item["differences"]) == {"fee", "net"}
    assert item["balance_transaction_id"] == "txn_a" and item["entry_id"] == "bt:txn_a"


def test_totals_per_currency_and_kind_add_up_to_the_net():
    """The operator's at-a-glance totals: count, amount, fee and net per kind, net per currency."""
    totals = rules.Totals()
    for doc in (mirrored("t1", 1), mirrored("t2", 2), mirrored("t3", 3, amount=-500, fee=0, kind="refund")):
        totals.add(doc)
    usd = totals.as_dict()["usd"]
    assert usd["payment"] == {"count": 2, "amount": 4000, "fee": 176, "net": 3824}
    assert usd["refund"]["amount"] == -500 and usd["net"] == 3824 - 500


def test_a_mirrored_transaction_keeps_what_its_expanded_source_says_about_the_order():
    """The charge's metadata order id, PaymentIntent, own amount and currency are kept."""
    charge = {
        "id": "ch_1",
        "object": "charge",
        "amount": 1800,
        "currency": "eur",
        "status": "succeeded",
        "payment_intent": "pi_1",
        "metadata": {"order_id": "ord_1"},
    }
    doc = rules.mirror_doc(
        {
            "id": "txn_1",
            "type": "charge",
            "amount": 1950,
            "fee": 87,
            "net": 1863,
            "currency": "usd",
            "created": 5,
            "source": charge,
            "exchange_rate": 1.083,
        }
    )
    assert (doc["order_id"], doc["payment_intent_id"], doc["source_amount"], doc["source_currency"]) == (
        "ord_1",
        "pi_1",
        1800,
        "eur",
    )
    assert rules.mirror_doc({"id": "txn_2", "type": "adjustment", "source": "dp_1"})["source_id"] == "dp_1"


def test_the_event_sweep_asks_for_every_type_the_service_acts_on_within_stripes_limit():
    """Orders, annotations, Radar and the ledger: all swept, in groups of at most the 20 types
    Stripe's filter allows."""
    from service.domain.annotations import NOTE_EVENTS
    from service.domain.ledger_events import LEDGER_EVENTS
    from service.domain.orders import EVENT_TRIGGERS
    from service.domain.radar import RADAR_EVENTS
    from service.handlers.sweep import SWEPT_GROUPS, SWEPT_TYPES

    assert set(SWEPT_TYPES) == set(EVENT_TRIGGERS) | set(NOTE_EVENTS) | LEDGER_EVENTS | set(RADAR_EVENTS)
    assert all(len(group) <= 20 for group in SWEPT_GROUPS)
    assert sorted(type_ for group in SWEPT_GROUPS for type_ in group) == sorted(SWEPT_TYPES)
