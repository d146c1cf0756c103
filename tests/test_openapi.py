"""The OpenAPI 3.1 description (service/openapi.json, served at /openapi.json) is true: real
responses of every operation validate against it, every route is described, and a bounded
schemathesis run against gunicorn (as the Procfile runs it) finds no 5xx and no response
that breaks the description."""

import json
import os
import subprocess
import sys

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.routing import Map, Rule
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from service import handlers
from service.clock import utcnow
from service.handlers import outbox
from service.http.openapi import SPEC_PATH
from service.http.webhook_lane import PATH as LANE_PATH
from service.http.webhook_lane import WebhookLane
from tests.support.helpers import WEBHOOK_SECRET, deliver, new_order, signed
from tests.support.processes import BIN
from tests.support.stack import ServiceStack

TOKEN = "openapi-admin-token-" + "0123456789" * 2


def load_spec():
    with open(SPEC_PATH, encoding="utf-8") as handle:
        return json.load(handle)


def operations(spec):
    return {(method.upper(), path) for path, item in spec["paths"].items() for method in item}


def spec_path(path, spec):
    """The description's path template that matches a concrete path."""
    rules = Map([Rule(template.replace("{", "<").replace("}", ">"), endpoint=template) for template in spec["paths"]])
    return rules.bind("localhost").match(path)[0]


@pytest.fixture
def app(make_app):
    return make_app(ADMIN_TOKEN=TOKEN, STRIPE_READ_RATE=1000)


def test_every_route_is_described_and_the_served_description_is_the_file(app, client):
    """Each Flask route (but static files) and the webhook lane's route has an operation, and
    /openapi.json is the file."""
    spec = load_spec()
    routes = {
        (method, str(rule).replace("<", "{").replace(">", "}"))
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    layer = app.wsgi_app  # ProxyFix wraps the lane
    while not isinstance(layer, WebhookLane):
        layer = layer.app
    assert ("POST", LANE_PATH) not in routes
    assert routes | {("POST", LANE_PATH)} == operations(spec)
    assert client.get("/openapi.json").get_json() == spec


def test_real_responses_of_every_operation_match_the_description(app, client, fake_stripe, services, raw_db):
    """A shop's day through the API: checkout, webhook, order, catalog, health, metrics and every
    admin endpoint, with errors; each response validates, and every operation is exercised."""
    spec = load_spec()
    openapi = OpenAPI.from_dict(spec)
    admin = {"Authorization": f"Bearer {TOKEN}"}
    order_id, pi_id = new_order(client)
    failed_id, failed_pi = new_order(client)
    deliver(client, fake_stripe.fail(failed_pi))
    assert outbox.relay(services) == 1  # order.payment_failed, for the feed to serve
    event = fake_stripe.succeed(pi_id)
    handlers.consolidate_period(services, "hour", None, utcnow(), lambda: None)
    run_id = raw_db.consolidations.find_one({})["_id"]
    body, header = signed(event, WEBHOOK_SECRET)
    calls = [
        (
            "POST",
            "/checkout",
            {"json": {"items": [{"sku": "mug", "quantity": 2}]}, "headers": {"Idempotency-Key": "k1"}},
        ),
        (
            "POST",
            "/checkout",
            {"json": {"items": [{"sku": "mug", "quantity": 2}]}, "headers": {"Idempotency-Key": "k1"}},
        ),
        ("POST", "/checkout", {"json": {"items": [{"sku": "nope", "quantity": 1}]}}),
        ("POST", "/checkout", {"data": "{", "content_type": "application/json"}),
        (
            "POST",
            "/webhooks/stripe",
            {"data": body, "headers": {"Stripe-Signature": header}, "content_type": "application/json"},
        ),
        ("POST", "/webhooks/stripe", {"data": body, "content_type": "application/json"}),
        ("GET", f"/orders/{order_id}", {}),
        ("GET", f"/orders/{failed_id}", {}),
        ("GET", "/orders/ord_" + "0" * 32, {}),
        ("GET", "/products", {}),
        ("GET", "/healthz", {}),
        ("GET", "/readyz", {}),
        ("GET", "/", {}),
        ("GET", "/openapi.json", {}),
        ("GET", "/metrics", {}),
        ("GET", "/admin/orders/stuck?older_than=0", {"headers": admin}),
        ("GET", "/admin/orders/stuck?older_than=x", {"headers": admin}),
        ("GET", "/admin/events", {"headers": admin}),
        ("POST", f"/admin/events/{event['id']}/replay", {"headers": admin}),
        ("POST", "/admin/events/evt_unknown/replay", {"headers": admin}),
        ("GET", "/admin/report?hours=2", {"headers": admin}),
        ("GET", "/admin/report?hours=inf", {"headers": admin}),
        ("GET", "/admin/summary", {"headers": admin}),
        ("GET", "/admin/order-events?limit=5", {"headers": admin}),
        ("GET", "/admin/order-events?after=x", {"headers": admin}),
        ("GET", "/admin/summary", {}),
        ("GET", f"/admin/orders/{order_id}", {"headers": admin}),
        ("GET", "/admin/consolidations?period=hour", {"headers": admin}),
        ("GET", f"/admin/consolidations/{run_id}", {"headers": admin}),
    ]
    exercised = set()
    for method, path, options in calls:
        response = client.open(path, method=method, **options)
        assert response.status_code < 500, (method, path, response.get_data(as_text=True))
        path_only, _, query = path.partition("?")
        request = Request(EnvironBuilder(path=path_only, method=method, query_string=query).get_environ())
        openapi.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
        exercised.add((method, spec_path(path.split("?")[0], spec)))
    assert exercised == operations(spec)


@pytest.fixture(scope="module")
def web(tmp_path_factory, mongo):
    """gunicorn as the Procfile runs it, with an admin token and a little history (a paid order,
    a failed payment, a consolidation run) for the fuzzer to find."""
    directory = str(tmp_path_factory.mktemp("openapi"))
    with ServiceStack(directory, mongo=mongo, env={"ADMIN_TOKEN": TOKEN}, workers=1) as stack:
        stack.start()
        order = requests.post(stack.url + "/checkout", json={"items": [{"sku": "tee", "quantity": 1}]}, timeout=10)
        body, header = signed(stack.fake.succeed(order.json()["payment_intent_id"]))
        requests.post(
            stack.url + "/webhooks/stripe",
            data=body,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
            timeout=10,
        )
        assert stack.cli("consolidate", "--period", "hour").returncode in (0, 1)
        yield stack


def test_schemathesis_finds_no_server_error_and_no_response_breaking_the_description(web, tmp_path):
    """`schemathesis run` (coverage, fuzzing and stateful phases, 12 examples per operation,
    fixed seed) against /openapi.json: every check passes."""
    checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
    result = subprocess.run(
        [
            os.path.join(BIN, "schemathesis"),
            "run",
            web.url + "/openapi.json",
            "--checks",
            checks + ",response_headers_conformance",
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--max-examples",
            "12",
            "--seed",
            "1",
            "--no-color",
            "--generation-database",
            "none",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=tmp_path,  # schemathesis keeps a cache where it runs: not in the repository
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", ""), "PYTHONPATH": sys.path[0]},
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "passed" in result.stdout and "failed" not in result.stdout.split("SUMMARY")[-1], result.stdout[-3000:]
