"""The money side's documents: the journal of Stripe calls, the ledger, our mirror of
Stripe's balance transactions, and consolidation runs."""

import mongoengine as me

from .meta import META


class StripeCall(me.Document):
    """One outbound Stripe call: written ``sent`` before it, completed after it."""

    call_id = me.StringField(primary_key=True)
    method = me.StringField(required=True)
    path = me.StringField(required=True)
    params = me.DictField()
    idempotency_key = me.StringField()
    order_id = me.StringField()
    money = me.BooleanField(required=True)  # a POST: kept as long as the ledger
    state = me.StringField(required=True)  # sent | ok | failed | resolved
    started_at = me.DateTimeField(required=True)
    expected_end = me.DateTimeField(required=True)
    completed_at = me.DateTimeField()
    http_status = me.IntField()
    request_id = me.StringField()
    attempts = me.IntField()
    duration_ms = me.FloatField()
    replayed = me.BooleanField()
    response = me.DictField()
    error = me.DictField()
    resolution = me.DictField()
    meta = {
        **META,
        "collection": "stripe_calls",
        # (state, expected_end): the reconciler's "sent and overdue" range; (order_id, started_at):
        # an order's timeline. The retention TTL index is managed by retention.py.
        "indexes": [{"fields": ["state", "expected_end"]}, {"fields": ["order_id", "started_at"]}],
    }


class LedgerEntry(me.Document):
    """One balanced entry (see domain/ledger.py); inserted once, never updated."""

    entry_id = me.StringField(primary_key=True)
    kind = me.StringField(required=True)
    currency = me.StringField(required=True)
    lines = me.ListField(me.DictField(), required=True)  # [{account, amount}]
    created = me.IntField(required=True)
    amount = me.IntField(required=True)
    fee = me.IntField(default=0)
    net = me.IntField(default=0)
    balance_transaction_id = me.StringField()
    source_id = me.StringField()
    order_id = me.StringField()
    reporting_category = me.StringField()
    exchange_rate = me.FloatField()
    source_amount = me.IntField()
    source_currency = me.StringField()
    posted_at = me.DateTimeField(required=True)
    posted_by = me.StringField()  # the event or consolidation run that posted it
    meta = {
        **META,
        "collection": "ledger",
        "indexes": [
            {"fields": ["order_id", "created"], "partialFilterExpression": {"order_id": {"$type": "string"}}},
            {"fields": ["created", "entry_id"]},
        ],
    }


class MirroredBalanceTransaction(me.Document):
    """Stripe's side of the books: a balance transaction as Stripe listed it, with what its
    expanded source says about our order."""

    txn_id = me.StringField(primary_key=True)
    type = me.StringField(required=True)
    reporting_category = me.StringField()
    amount = me.IntField(required=True)
    fee = me.IntField(required=True)
    net = me.IntField(required=True)
    currency = me.StringField(required=True)
    created = me.IntField(required=True)
    status = me.StringField()
    exchange_rate = me.FloatField()
    source_id = me.StringField()
    source_object = me.StringField()
    order_id = me.StringField()
    payment_intent_id = me.StringField()
    source_amount = me.IntField()
    source_currency = me.StringField()
    source_status = me.StringField()
    fetched_at = me.DateTimeField(required=True)
    meta = {
        **META,
        "collection": "stripe_balance_transactions",
        "indexes": [
            {"fields": ["created", "txn_id"]},
            {"fields": ["payment_intent_id"], "partialFilterExpression": {"payment_intent_id": {"$type": "string"}}},
        ],
    }


class Consolidation(me.Document):
    """One consolidation run of one period; every run is kept beside the earlier ones."""

    run_id = me.StringField(primary_key=True)
    period = me.StringField(required=True)  # hour:2026-12-02T14, day:2026-12-02, month:2026-12
    period_type = me.StringField(required=True)
    start = me.DateTimeField(required=True)
    end = me.DateTimeField(required=True)
    state = me.StringField(required=True)  # running | done | failed
    cursor = me.StringField()  # the last balance transaction mirrored (resume point)
    listed = me.IntField(default=0)
    started_at = me.DateTimeField(required=True)
    finished_at = me.DateTimeField()
    ok = me.BooleanField()
    provisional = me.BooleanField()  # run before the period ended: what it lists may still grow
    unmatched = me.IntField()
    counts = me.DictField()
    totals = me.DictField()
    items = me.ListField(me.DictField())
    balance = me.DictField()
    error = me.StringField()
    # A consolidation.mismatch event for the shop, pushed by the update that finishes the run.
    events = me.ListField(me.DictField())
    event_seq = me.IntField(default=0)
    events_pending = me.BooleanField()
    events_relayed = me.IntField()  # the highest seq the relay has copied out
    meta = {
        **META,
        "collection": "consolidations",
        "indexes": [
            {"fields": ["period", "started_at"]},
            {"fields": ["period_type", "started_at"]},
            {"fields": ["events_pending"], "partialFilterExpression": {"events_pending": True}},
        ],
    }
