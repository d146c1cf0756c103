"""/metrics: Prometheus text with webhook, Stripe, inbox, overdue-order and reconciler metrics,
correct in one process and summed over gunicorn workers."""

import glob
import os
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from service import handlers
from service.clock import utcnow
from tests.support.helpers import CATALOG, checkout, deliver, new_order, signed
from tests.support.processes import flask_cli
from tests.support.stack import ServiceStack


def samples(text):
    """{(sample name, frozenset(labels)): value} of one exposition."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(parsed, name, **labels):
    return parsed.get((name, frozenset(labels.items())), 0.0)


def scrape(client):
    response = client.get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    return samples(response.get_data(as_text=True))


def test_webhook_deliveries_are_counted_by_type_and_outcome(client, fake_stripe):
    """Applied, duplicate, ignored and bad-signature deliveries each move their own counter."""
    before = scrape(client)
    _, pi_id = new_order(client)
    paid = fake_stripe.succeed(pi_id)
    deliver(client, paid)
    deliver(client, paid)
    deliver(client, fake_stripe.make_event("customer.created", {"id": "cus_1", "object": "customer"}))
    deliver(client, paid, secret="whsec_wrong")
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("payments_webhook_deliveries_total", type="payment_intent.succeeded", outcome="applied") == 1
    assert delta("payments_webhook_deliveries_total", type="payment_intent.succeeded", outcome="duplicate") == 1
    assert delta("payments_webhook_deliveries_total", type="other", outcome="ignored") == 1
    assert delta("payments_webhook_deliveries_total", type="unknown", outcome="rejected") == 1
    assert delta("payments_webhook_signature_failures_total", reason="invalid_signature") == 1
    assert delta("payments_webhook_duration_seconds_count") == 4
    assert delta("payments_stripe_api_calls_total", operation="POST /v1/payment_intents", outcome="ok") == 1


@pytest.mark.parametrize(
    "header",
    ["t=1,v1=\u00e9", "t=1,v1=\u00ff" + "0" * 63, "t=\u0661,v1=00", "t=1 ,v1=00", "t=1,v1=" + "a" * 3000, "v1"],
)
def test_a_malformed_signature_header_is_a_counted_signature_failure_not_a_500(client, fake_stripe, header):
    """A Stripe-Signature header Stripe could never send (non-ASCII, spaces, oversized) is a
    400 invalid_signature that moves the signature-failure counter, like a wrong signature."""
    _, pi_id = new_order(client)
    body, _ = signed(fake_stripe.succeed(pi_id))
    before = scrape(client)
    response = client.post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": header, "Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_signature"
    after = scrape(client)
    assert (
        value(after, "payments_webhook_signature_failures_total", reason="invalid_signature")
        == value(before, "payments_webhook_signature_failures_total", reason="invalid_signature") + 1
    )
    assert value(after, "payments_webhook_deliveries_total", type="unknown", outcome="error") == value(
        before, "payments_webhook_deliveries_total", type="unknown", outcome="error"
    )


def test_stripe_failures_are_counted_by_outcome(client, fake_stripe):
    """A 503 then a success at checkout count one server_error and one ok attempt."""
    before = scrape(client)
    fake_stripe.inject("POST", "/v1/payment_intents", "error", times=1, status=503)
    assert checkout(client).status_code == 201
    after = scrape(client)
    operation = "POST /v1/payment_intents"
    for outcome in ("server_error", "ok"):
        assert (
            value(after, "payments_stripe_api_calls_total", operation=operation, outcome=outcome)
            - value(before, "payments_stripe_api_calls_total", operation=operation, outcome=outcome)
        ) == 1
    assert value(after, "payments_stripe_api_duration_seconds_count", operation=operation) >= 2


def test_database_gauges_and_reconciler_totals(services, client, fake_stripe, raw_db):
    """Inbox rows by state, the oldest overdue order's age and reconcile totals come from the database."""
    _, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    parsed = scrape(client)
    assert value(parsed, "payments_inbox_events", state="applied") == 1
    assert value(parsed, "payments_oldest_overdue_order_age_seconds") == 0
    assert value(parsed, "payments_reconcile_runs_total", outcome="ok") == 0
    assert value(parsed, "payments_reconciler_stale") == 1 and value(parsed, "payments_metrics_database_up") == 1
    handlers.reconcile(services)
    overdue_id, _ = new_order(client)
    raw_db.orders.update_one({"_id": overdue_id}, {"$set": {"expected_by": utcnow() - timedelta(seconds=600)}})
    parsed = scrape(client)
    assert 600 <= value(parsed, "payments_oldest_overdue_order_age_seconds") < 660
    assert value(parsed, "payments_overdue_orders") == 1
    assert value(parsed, "payments_reconcile_runs_total", outcome="ok") == 1
    assert value(parsed, "payments_reconciler_stale") == 0
    assert value(parsed, "payments_reconcile_last_completed_timestamp_seconds") > 0


def test_scrape_survives_a_database_outage(client, fail_point):
    """With the database refusing, /metrics still answers, with database_up 0."""
    fail_point({"times": 3}, {"failCommands": ["aggregate"], "closeConnection": True})
    parsed = scrape(client)
    assert value(parsed, "payments_metrics_database_up") == 0


def test_metrics_token_is_required_when_configured(make_app):
    """With METRICS_TOKEN set, a scrape without the bearer token is 401."""
    app = make_app(METRICS_TOKEN="metrics-token-0123456789-0123456789")
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope-nope-nope-nope"}).status_code == 401
    assert (
        client.get("/metrics", headers={"Authorization": "Bearer metrics-token-0123456789-0123456789"}).status_code
        == 200
    )


@pytest.fixture
def two_workers(own_mongo, fake_stripe, tmp_path):
    """gunicorn with 2 workers and a metrics directory holding a stale file from a 'previous run'."""
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"stale")
    settings = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    with ServiceStack(str(tmp_path), mongo=own_mongo, fake=fake_stripe, env=settings, catalog=CATALOG[:1]) as stack:
        stack.start()
        yield stack.web, stack.env, metrics_dir


def test_metrics_add_up_across_two_gunicorn_workers(two_workers, fake_stripe):
    """A scripted scenario over 2 workers: every scrape, whichever worker answers, shows the totals."""
    server, env, metrics_dir = two_workers
    assert not (metrics_dir / "counter_999999.db").exists()

    def post_webhook(body_and_header):
        body, header = body_and_header
        return requests.post(
            server.url + "/webhooks/stripe",
            data=body,
            timeout=10,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        ).status_code

    def buy(_):
        return requests.post(
            server.url + "/checkout", json={"items": [{"sku": "tee", "quantity": 1}]}, timeout=10
        ).json()

    with ThreadPoolExecutor(8) as pool:
        orders = list(pool.map(buy, range(12)))
        paid = [fake_stripe.succeed(order["payment_intent_id"]) for order in orders[:8]]
        refund = fake_stripe.refund(orders[0]["payment_intent_id"], 500)
        first = [signed(event) for event in [*paid, refund]] + [signed(paid[0], "whsec_attacker") for _ in range(5)]
        statuses = list(pool.map(post_webhook, first))
        statuses += list(pool.map(post_webhook, [signed(event) for event in paid[:3]]))  # redeliveries
    assert statuses == [200] * 9 + [400] * 5 + [200] * 3
    pids = {re.search(r"_(\d+)\.db$", path).group(1) for path in glob.glob(os.path.join(metrics_dir, "*.db"))}
    assert len(pids) >= 2, "both workers should have recorded metrics"
    reconciled = flask_cli({k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}, "reconcile")
    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    for _ in range(6):  # keep-alive off: each scrape may land on either worker
        text = requests.get(server.url + "/metrics", timeout=10).text
        parsed = samples(text)
        assert (
            value(parsed, "payments_webhook_deliveries_total", type="payment_intent.succeeded", outcome="applied") == 8
        )
        assert (
            value(parsed, "payments_webhook_deliveries_total", type="payment_intent.succeeded", outcome="duplicate")
            == 3
        )
        assert value(parsed, "payments_webhook_deliveries_total", type="charge.refunded", outcome="applied") == 1
        assert value(parsed, "payments_webhook_signature_failures_total", reason="invalid_signature") == 5
        assert value(parsed, "payments_webhook_duration_seconds_count") == 17
        assert (
            value(parsed, "payments_stripe_api_calls_total", operation="POST /v1/payment_intents", outcome="ok") == 12
        )
        assert value(parsed, "payments_inbox_events", state="applied") == 9
        assert value(parsed, "payments_reconcile_runs_total", outcome="ok") == 1
