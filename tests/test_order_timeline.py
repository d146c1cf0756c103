"""An order's timeline for the operator: `orders show` and `GET /admin/orders/<id>` list its
status changes, Stripe events, Stripe calls and ledger entries, oldest first."""

import json

import pytest

from tests.support.helpers import deliver, new_order

TOKEN = "admin-token-0123456789abcdef-0123456789"


@pytest.fixture
def admin_app(make_app):
    return make_app(ADMIN_TOKEN=TOKEN)


def test_orders_show_lists_the_orders_history_oldest_first(admin_app, fake_stripe):
    """Created, the PaymentIntent call, the succeeded event and the status change, in order."""
    client = admin_app.test_client()
    order_id, pi_id = new_order(client)
    fake_stripe.succeed(pi_id)
    for event in fake_stripe.events:
        assert deliver(client, event).status_code == 200
    result = admin_app.test_cli_runner().invoke(args=["orders", "show", order_id, "--json"])
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    assert view["order"]["order_id"] == order_id and view["order"]["status"] == "paid"
    kinds = [item["what"] for item in view["timeline"]]
    assert kinds[0] == "order" and "stripe_call" in kinds and "stripe_event" in kinds and "status" in kinds
    seconds = [item["at"][:19] for item in view["timeline"]]
    assert seconds == sorted(seconds)
    status = next(item for item in view["timeline"] if item["what"] == "status")
    assert status["detail"] == "pending -> paid"
    assert "client_secret" not in result.stdout and "_secret_" not in result.stdout


def test_the_admin_api_serves_the_same_timeline(admin_app):
    """GET /admin/orders/<id> with the token; 404 for an unknown order."""
    client = admin_app.test_client()
    order_id, _ = new_order(client)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = client.get(f"/admin/orders/{order_id}", headers=auth).get_json()
    assert body["order"]["order_id"] == order_id and body["timeline"][0]["what"] == "order"
    assert client.get("/admin/orders/ord_unknown", headers=auth).status_code == 404
    assert client.get(f"/admin/orders/{order_id}").status_code == 401


def test_orders_show_for_an_unknown_order_fails_with_a_message(admin_app):
    """Exit 1 and the reason, not a traceback; an id that is not an order id is not echoed."""
    result = admin_app.test_cli_runner().invoke(args=["orders", "show", "ord_" + "0" * 32])
    assert result.exit_code == 1 and "no order ord_" + "0" * 32 in result.output
    result = admin_app.test_cli_runner().invoke(args=["orders", "show", "ord_nope"])
    assert result.exit_code == 1 and "no such order" in result.output
