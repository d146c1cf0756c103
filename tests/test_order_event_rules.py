"""The pure rules of order events: which change is told as what, ids, payloads, Standard
Webhooks signatures (checked with the third-party ``standardwebhooks`` package) and the
retry schedule."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from service.domain import order_events as oe
from service.domain import standard_webhooks as sw
from service.domain.delivery_schedule import CAP_SECONDS, backoff_seconds, next_attempt
from service.domain.order_view import public_order
from service.domain.orders import STATUSES
from service.endpoints import parse_endpoints, url_problems

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
OTHER = "whsec_" + base64.b64encode(b"o" * 32).decode()
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_status_changes_map_to_event_types_only_for_known_statuses():
    """paid/payment_failed/canceled/needs_review are told; processing is not; awaiting_customer
    only once the state machine knows that status."""
    assert oe.status_event_type("paid", STATUSES) == "order.paid"
    assert oe.status_event_type("payment_failed", STATUSES) == "order.payment_failed"
    assert oe.status_event_type("canceled", STATUSES) == "order.canceled"
    assert oe.status_event_type("needs_review", STATUSES) == "order.needs_review"
    assert oe.status_event_type("processing", STATUSES) is None
    assert oe.status_event_type("awaiting_customer", STATUSES) == (
        "order.awaiting_customer" if "awaiting_customer" in STATUSES else None
    )
    assert oe.status_event_type("awaiting_customer", (*STATUSES, "awaiting_customer")) == "order.awaiting_customer"


def test_refund_and_dispute_annotations_map_to_event_types():
    """A full refund, a partial one, an open dispute and a closed one each have their type."""
    assert oe.refund_event_type({"status": "refunded"}) == "order.refunded"
    assert oe.refund_event_type({"status": "partially_refunded"}) == "order.partially_refunded"
    assert oe.dispute_event_type({"rank": 1, "outcome": None}) == "order.disputed"
    assert oe.dispute_event_type({"rank": 2, "outcome": "won"}) == "order.dispute_closed"
    assert oe.dispute_event_type({"rank": 2, "outcome": "prevented"}) == "order.dispute_closed"
    assert oe.dispute_event_type({"rank": 2, "outcome": None}) == "order.disputed"  # an appeal reopens it


def test_public_view_never_carries_secrets_or_history():
    """The event data is the public view: no client_secret, fingerprint or history."""
    order = {
        "_id": "ord_1",
        "status": "paid",
        "amount": 2000,
        "currency": "usd",
        "client_secret": "pi_1_secret_x",
        "request_fingerprint": "f",
        "history": [{"source": "evt"}],
        "created_at": T0,
        "updated_at": T0,
    }
    view = public_order(order)
    assert "client_secret" not in str(view) and "history" not in view and "request_fingerprint" not in view
    assert view["order_id"] == "ord_1" and view["created_at"] == T0.isoformat()


def test_payload_has_type_timestamp_and_data_with_event_id_and_seq():
    """The body is shaped as Standard Webhooks recommends."""
    event = oe.new_event(oe.order_event_id("ord_1", 3), 3, "order.paid", T0, {"order_id": "ord_1"})
    assert event["id"] == "oev_ord_1_3"
    assert oe.payload(event) == {
        "type": "order.paid",
        "timestamp": T0.isoformat(),
        "data": {"order_id": "ord_1", "event_id": "oev_ord_1_3", "seq": 3},
    }


def test_signature_verifies_with_the_standardwebhooks_package():
    """Our headers verify with the reference library; a changed body does not."""
    body = b'{"type":"order.paid"}'
    now = int(datetime.now(UTC).timestamp())
    headers = sw.headers("oev_ord_1_1", now, body, [SECRET])
    assert Webhook(SECRET).verify(body, headers) == {"type": "order.paid"}
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(b'{"type":"order.canceled"}', headers)


def test_rotation_signs_with_every_secret_so_either_verifies():
    """Two secrets while rotating: two v1 signatures, each verifying with its own secret."""
    body = b"{}"
    now = int(datetime.now(UTC).timestamp())
    headers = sw.headers("oev_x_1", now, body, [SECRET, OTHER])
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(SECRET).verify(body, headers)
    Webhook(OTHER).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"z" * 32).decode()).verify(body, headers)


@pytest.mark.parametrize("bad", ["nope", "whsec_!!!", "whsec_" + base64.b64encode(b"short").decode()])
def test_malformed_secrets_are_refused(bad):
    """A secret without the prefix, not base64, or too short is refused."""
    with pytest.raises(sw.InvalidSecret):
        sw.secret_key(bad)


def test_backoff_is_full_jitter_under_an_exponential_cap():
    """The wait is draw x min(cap, 5 s x 2^(n-1))."""
    assert backoff_seconds(1, 0.999) < 5 and backoff_seconds(4, 0.5) == 20
    assert backoff_seconds(100, 0.999) <= CAP_SECONDS and backoff_seconds(3, 0.0) == 0


def test_next_attempt_stops_at_the_budget():
    """Inside the budget a retry time (never past the budget's end); past it None (dead)."""
    budget = 3 * 86400
    assert next_attempt(T0, T0 + timedelta(seconds=10), 2, 0.5, budget) == T0 + timedelta(seconds=15)
    assert next_attempt(T0, T0 + timedelta(seconds=budget - 1), 30, 0.99, budget) == T0 + timedelta(seconds=budget)
    assert next_attempt(T0, T0 + timedelta(seconds=budget), 31, 0.5, budget) is None


def test_endpoint_urls_need_https_except_loopback_outside_live_mode():
    """https anywhere; http only to loopback and only in test mode; no credentials in URLs."""
    assert url_problems("https://shop.example/hooks", livemode=True) == []
    assert url_problems("http://127.0.0.1:8000/h", livemode=False) == []
    assert url_problems("http://localhost/h", livemode=False) == []
    assert url_problems("http://127.0.0.1:8000/h", livemode=True)
    assert url_problems("http://shop.example/h", livemode=False)
    assert url_problems("https://user:pw@shop.example/h", livemode=False)
    assert url_problems("ftp://shop.example/h", livemode=False)


def test_endpoint_secrets_are_one_entry_per_url_with_rotation_by_spaces():
    """Entry n signs URL n; several space-separated secrets rotate; a mismatch is reported."""
    env = {
        "SHOP_WEBHOOK_URLS": "https://a.example/h,https://b.example/h",
        "SHOP_WEBHOOK_SECRETS": f"{SECRET} {OTHER},{OTHER}",
    }
    endpoints, problems = parse_endpoints(env, livemode=True)
    assert problems == [] and [e.secrets for e in endpoints] == [(SECRET, OTHER), (OTHER,)]
    _, problems = parse_endpoints({**env, "SHOP_WEBHOOK_SECRETS": SECRET}, livemode=True)
    assert problems and SECRET not in " ".join(problems)
    _, problems = parse_endpoints({**env, "SHOP_WEBHOOK_SECRETS": "whsec_bad,whsec_bad"}, livemode=True)
    assert len(problems) == 2 and "whsec_bad" not in " ".join(problems)


def test_settings_refuse_an_unsafe_endpoint_and_keep_secrets_out_of_their_repr():
    """A plain-http shop URL is a configuration error; a valid one is parsed and its secret
    never appears in the settings' repr."""
    from service.config import ConfigError, Settings

    base = {"MONGODB_URI": "mongodb://h/db", "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({**base, "SHOP_WEBHOOK_URLS": "http://shop.example/h", "SHOP_WEBHOOK_SECRETS": SECRET})
    assert "SHOP_WEBHOOK_URLS entry 1" in str(refused.value) and SECRET not in str(refused.value)
    settings = Settings.from_env(
        {**base, "SHOP_WEBHOOK_URLS": "https://shop.example/h", "SHOP_WEBHOOK_SECRETS": SECRET}
    )
    assert [e.url for e in settings.shop_endpoints] == ["https://shop.example/h"] and SECRET not in repr(settings)
