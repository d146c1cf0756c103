"""The payment side's documents: the catalog, orders, the webhook inbox, and the
reconciler's checkpoints, leases and run record."""

import mongoengine as me

from .meta import META as _META


class Product(me.Document):
    """A catalog entry; the only source of prices."""

    sku = me.StringField(primary_key=True, max_length=64)
    name = me.StringField(required=True, max_length=200)
    unit_amount = me.IntField(required=True, min_value=1, max_value=99_999_999)
    currency = me.StringField(required=True, regex=r"[a-z]{3}\Z")
    # An archived product is no longer sold (checkout refuses it, the page does not list it);
    # orders that bought it keep their own copy of its name and price.
    archived = me.BooleanField(default=False)
    archived_at = me.DateTimeField()
    meta = {**_META, "collection": "products"}


class OrderItem(me.EmbeddedDocument):
    sku = me.StringField(required=True)
    name = me.StringField(required=True)
    quantity = me.IntField(required=True, min_value=1)
    unit_amount = me.IntField(required=True, min_value=1)


class Transition(me.EmbeddedDocument):
    """One status change, with the fact (event id or reconcile id) that caused it."""

    source = me.StringField(required=True)
    from_status = me.StringField(required=True, db_field="from")
    to_status = me.StringField(required=True, db_field="to")
    reason = me.StringField()
    at = me.DateTimeField(required=True)


class Order(me.Document):
    """An order; ``status`` changes only through ``OrderStore.apply_transition``."""

    order_id = me.StringField(primary_key=True)
    status = me.StringField(required=True)
    amount = me.IntField(required=True, min_value=1)
    currency = me.StringField(required=True)
    items = me.EmbeddedDocumentListField(OrderItem)
    email = me.StringField()
    idempotency_key = me.StringField()
    request_fingerprint = me.StringField()
    payment_intent_id = me.StringField()
    last_event_at = me.IntField(default=0)
    last_payment_error = me.StringField()
    review_reason = me.StringField()
    # While awaiting_customer: {kind, method, url, expires_at, amount_remaining} (domain/waits.py).
    customer_action = me.DictField(default=None)
    # Digest of a fixed idempotency key -> {key, generation, failed_at}: a key spent by a 5xx
    # that Stripe saved and replays moves to its next generation (store/keys.py).
    key_generations = me.DictField(default=None)
    history = me.EmbeddedDocumentListField(Transition)
    # Money after the payment (see domain/annotations.py); never part of ``status``.
    refund = me.DictField(default=None)  # {status, amount_refunded, currency, charge_id, source, at}
    dispute = me.DictField(default=None)  # {id, status, stripe_status, rank, outcome, amount, reason, ...}
    radar_review = me.DictField(
        default=None
    )  # Radar review: {id, open, reason, charge_id, rank, occurred_at, source, at}
    fraud_warning = me.DictField(default=None)  # early fraud warning: {id, open (actionable), reason (fraud_type), ...}
    refunds = me.ListField(me.DictField())  # refunds we initiated: {id, amount, key, status, at}
    # Events for the shop, pushed by the very update that made the change they tell
    # (domain/order_events.py); ``events_pending`` until the relay has copied them out.
    events = me.ListField(me.DictField())  # {id, seq, type, at, data}
    event_seq = me.IntField(default=0)
    events_pending = me.BooleanField()
    events_relayed = me.IntField()  # the highest seq the relay has copied out
    created_at = me.DateTimeField(required=True)
    updated_at = me.DateTimeField(required=True)
    expected_by = me.DateTimeField(required=True)
    meta = {
        **_META,
        "collection": "orders",
        "indexes": [
            {
                "fields": ["idempotency_key"],
                "unique": True,
                "partialFilterExpression": {"idempotency_key": {"$type": "string"}},
            },
            {"fields": ["payment_intent_id"], "partialFilterExpression": {"payment_intent_id": {"$type": "string"}}},
            {"fields": ["status", "expected_by"]},
            {"fields": ["status", "created_at"]},
            {"fields": ["events_pending"], "partialFilterExpression": {"events_pending": True}},
        ],
    }


class StripeEvent(me.Document):
    """The webhook inbox: one row per Stripe event id, its payload kept less its secrets."""

    event_id = me.StringField(primary_key=True)
    type = me.StringField(required=True)
    payload = me.StringField(required=True)
    state = me.StringField(required=True)  # received | applied | ignored | failed
    outcome = me.StringField()
    attempts = me.IntField(default=0)
    last_error = me.StringField()
    order_id = me.StringField()
    payment_intent_id = me.StringField()
    created = me.IntField()  # Stripe's event.created (unix seconds)
    api_version = me.StringField()  # the Stripe API version the endpoint rendered the event in
    received_at = me.DateTimeField(required=True)
    applied_at = me.DateTimeField()
    # "pending" while the money this event reports waits for the ledger worker; removed once posted.
    ledger = me.StringField()
    ledger_error = me.StringField()
    meta = {
        **_META,
        "collection": "stripe_events",
        # (state, attempts) serves the replay of parked rows without walking the ones that
        # are past the replay limit and stay forever; (ledger, received_at) holds only the
        # rows waiting for the ledger, so the worker's query costs what waits, not the history.
        "indexes": [
            {"fields": ["state", "received_at"]},
            {"fields": ["state", "attempts"]},
            {"fields": ["ledger", "received_at"], "partialFilterExpression": {"ledger": {"$type": "string"}}},
            # An order's timeline: its events by order id, or by its PaymentIntent.
            {"fields": ["order_id"], "partialFilterExpression": {"order_id": {"$type": "string"}}},
            {"fields": ["payment_intent_id"], "partialFilterExpression": {"payment_intent_id": {"$type": "string"}}},
        ],
    }


class Checkpoint(me.Document):
    """A named high-water mark, e.g. the ``created`` of the last swept Stripe event."""

    name = me.StringField(primary_key=True)
    value = me.IntField(required=True)
    updated_at = me.DateTimeField(required=True)
    meta = {**_META, "collection": "checkpoints"}


class ReconcileStats(me.Document):
    """Totals over every reconcile pass and when the last one completed, so any process
    (a web worker answering /metrics) can report the reconciler's health."""

    name = me.StringField(primary_key=True)
    runs_ok = me.IntField(default=0)
    runs_failed = me.IntField(default=0)
    healed = me.IntField(default=0)
    failed = me.IntField(default=0)
    interval_seconds = me.FloatField()
    last_completed_at = me.DateTimeField()
    meta = {**_META, "collection": "reconcile_stats"}


class Lease(me.Document):
    """A lock with an expiry, so one reconciler at a time sweeps Stripe's event list."""

    name = me.StringField(primary_key=True)
    owner = me.StringField(required=True)
    expires_at = me.DateTimeField(required=True)
    meta = {**_META, "collection": "leases"}


class RateLimitCounter(me.Document):
    """Requests of one client (or all clients) in one rate-limit window; deleted after it."""

    counter_id = me.StringField(primary_key=True)
    count = me.IntField(required=True)
    expires_at = me.DateTimeField(required=True)
    meta = {**_META, "collection": "rate_limits", "indexes": [{"fields": ["expires_at"], "expireAfterSeconds": 0}]}
