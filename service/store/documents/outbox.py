"""The outbox to the shop: order events copied out of their orders, their delivery to each
configured endpoint, and each endpoint's health."""

import mongoengine as me

from .meta import META as _META


class OrderEvent(me.Document):
    """An order event (or consolidation.mismatch) copied by the relay from the document that
    recorded it; ``_id`` is the event id, so a copy repeated after a crash adds nothing."""

    event_id = me.StringField(primary_key=True)
    subject = me.StringField(required=True)  # the order id, or "consolidation:<run id>"
    seq = me.IntField(required=True)
    type = me.StringField(required=True)
    at = me.DateTimeField(required=True)
    data = me.DictField()
    # The feed's cursor: assigned in relay order under the relay's lease, so it only grows.
    position = me.IntField(required=True)
    meta = {
        **_META,
        "collection": "order_events",
        "indexes": [{"fields": ["position"], "unique": True}, {"fields": ["subject", "seq"]}],
    }


class Delivery(me.Document):
    """One event's delivery to one endpoint: pending until a 2xx, dead after the retry budget."""

    delivery_id = me.StringField(primary_key=True)  # <event id>@<endpoint id>
    event_id = me.StringField(required=True)
    endpoint = me.StringField(required=True)
    subject = me.StringField(required=True)
    seq = me.IntField(required=True)
    position = me.IntField(required=True)
    state = me.StringField(required=True)  # pending | delivered | dead
    attempts = me.IntField(default=0)
    log = me.ListField(me.DictField())  # the last attempts: {at, status, error, ms}; never a body
    first_attempt_at = me.DateTimeField()
    next_attempt_at = me.DateTimeField(required=True)
    delivered_at = me.DateTimeField()
    created_at = me.DateTimeField(required=True)
    meta = {
        **_META,
        "collection": "order_event_deliveries",
        "indexes": [
            {"fields": ["endpoint", "state", "next_attempt_at"]},
            {"fields": ["endpoint", "subject", "seq"]},
            {"fields": ["event_id"]},
        ],
    }


class OutboxEndpoint(me.Document):
    """An endpoint's health: since when it has been failing (None while it answers 2xx)."""

    endpoint = me.StringField(primary_key=True)
    failures = me.IntField(default=0)
    failing_since = me.DateTimeField()
    last_success_at = me.DateTimeField()
    meta = {**_META, "collection": "outbox_endpoints"}
