"""The admin JSON API: never reachable without ADMIN_TOKEN, same handlers as the CLI."""

import ast
import inspect
import json
from datetime import timedelta

import pymongo
import pytest

from service.clock import utcnow
from service.config import ConfigError, Settings
from service.http import admin, auth
from service.http import metrics as metrics_export
from tests.support.helpers import deliver, new_order

TOKEN = "admin-token-0123456789abcdef-0123456789"
ADMIN_PATHS = [
    ("GET", "/admin/orders/stuck"),
    ("GET", "/admin/events"),
    ("POST", "/admin/events/evt_x/replay"),
    ("GET", "/admin/report"),
    ("GET", "/admin/summary"),
    ("GET", "/admin/nope"),
    ("GET", "/admin"),
]


@pytest.fixture
def admin_app(make_app):
    """The app with ADMIN_TOKEN set."""
    return make_app(STRIPE_READ_RATE=1000, ADMIN_TOKEN=TOKEN)


def bearer(token=TOKEN):
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("method,path", ADMIN_PATHS)
def test_admin_is_not_found_when_no_token_is_configured(client, method, path):
    """Without ADMIN_TOKEN every /admin path is 404, whatever Authorization is sent."""
    for headers in ({}, bearer(), {"Authorization": "Bearer "}):
        response = client.open(path, method=method, headers=headers)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("method,path", ADMIN_PATHS)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Bearer {TOKEN[:-1]}"},
        {"Authorization": "Bearer ñ-token"},
    ],
    ids=["missing", "wrong", "basic", "longer", "prefix", "non_ascii"],
)
def test_admin_refuses_missing_or_wrong_token(admin_app, method, path, headers):
    """A missing, wrong, truncated or extended token is 401 JSON with a Bearer challenge on every path."""
    response = admin_app.test_client().open(path, method=method, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def names_in(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }


def test_token_is_compared_in_constant_time():
    """token_matches uses hmac.compare_digest, and no operator-auth module compares a token with == or !=."""
    assert "compare_digest" in auth.token_matches.__code__.co_names
    for module in (auth, admin, metrics_export):
        tree = ast.parse(inspect.getsource(module))
        compared = [
            ast.unparse(node)
            for node in ast.walk(tree)
            if isinstance(node, ast.Compare)
            and any(isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)) for op in node.ops)
            and any(word in name.lower() for name in names_in(node) for word in ("token", "given", "expected"))
        ]
        assert compared == [], module.__name__
    assert auth.token_matches(TOKEN, TOKEN) and not auth.token_matches(TOKEN[:-1], TOKEN)
    assert not auth.token_matches("ñ", TOKEN) and not auth.token_matches("", "")
    assert not auth.token_matches(None, TOKEN)


def test_short_admin_token_is_refused_at_start():
    """An ADMIN_TOKEN shorter than 32 characters is a configuration error, not a weak lock."""
    env = {"MONGODB_URI": "mongodb://127.0.0.1/x", "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}
    with pytest.raises(ConfigError, match="ADMIN_TOKEN"):
        Settings.from_env({**env, "ADMIN_TOKEN": "short"})


def test_admin_token_never_reaches_the_log(admin_app, log_lines):
    """The request log line of an admin call carries no Authorization header or token."""
    admin_app.test_client().get("/admin/summary", headers=bearer())
    admin_app.test_client().get("/admin/summary", headers=bearer("wrong-token-0123456789"))
    text = json.dumps(log_lines())
    assert TOKEN not in text and "wrong-token-0123456789" not in text


def test_stuck_orders_lists_overdue_open_orders(admin_app, fake_stripe):
    """GET /admin/orders/stuck lists open orders past their deadline, like `orders stuck`."""
    client = admin_app.test_client()
    overdue_id, _ = new_order(client)
    new_order(client)
    services = admin_app.extensions["payments"]
    raw = pymongo.MongoClient(services.settings.mongodb_uri)[services.settings.db_name]
    raw.orders.update_one({"_id": overdue_id}, {"$set": {"expected_by": utcnow() - timedelta(minutes=5)}})
    body = client.get("/admin/orders/stuck", headers=bearer()).get_json()
    assert [order["order_id"] for order in body["orders"]] == [overdue_id]
    assert "client_secret" not in json.dumps(body)
    cli = admin_app.test_cli_runner().invoke(args=["orders", "stuck", "--json"])
    assert [order["order_id"] for order in json.loads(cli.output)] == [overdue_id]
    assert len(client.get("/admin/orders/stuck?older_than=0", headers=bearer()).get_json()["orders"]) == 2
    assert client.get("/admin/orders/stuck?limit=abc", headers=bearer()).status_code == 422


def test_failed_events_are_listed_and_replayed(admin_app, fake_stripe):
    """A parked event shows in /admin/events?state=failed and POST .../replay applies it."""
    client = admin_app.test_client()
    order_id, pi_id = new_order(client)
    event = fake_stripe.succeed(pi_id)
    services = admin_app.extensions["payments"]
    raw = pymongo.MongoClient(services.settings.mongodb_uri)[services.settings.db_name]
    raw.stripe_events.insert_one(
        {
            "_id": event["id"],
            "type": event["type"],
            "payload": json.dumps(event),
            "state": "failed",
            "attempts": 5,
            "last_error": "boom",
            "received_at": utcnow(),
        }
    )
    listed = client.get("/admin/events?state=failed", headers=bearer()).get_json()["events"]
    assert [(row["event_id"], row["last_error"]) for row in listed] == [(event["id"], "boom")]
    assert "payload" not in listed[0]
    replayed = client.post(f"/admin/events/{event['id']}/replay", headers=bearer())
    assert replayed.status_code == 200 and replayed.get_json()["state"] == "applied"
    assert client.get(f"/orders/{order_id}").get_json()["status"] == "paid"
    assert client.post("/admin/events/evt_missing/replay", headers=bearer()).status_code == 404
    assert client.get("/admin/events?state=bogus", headers=bearer()).status_code == 422


def test_report_and_summary(admin_app, fake_stripe):
    """GET /admin/report runs the consolidation report; /admin/summary shows money at risk."""
    client = admin_app.test_client()
    _, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    report = client.get("/admin/report?hours=1", headers=bearer()).get_json()
    assert report["ok"] is True and report["matched"] == 1
    summary = client.get("/admin/summary", headers=bearer()).get_json()
    assert summary["inbox"]["applied"] == 1 and summary["overdue_orders"] == 0
    assert summary["reconciler_health"]["stale"] is True  # no reconcile pass has ever completed here
    assert client.get("/admin/report?since=yesterday", headers=bearer()).status_code == 422
