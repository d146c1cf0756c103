"""Consolidation report: succeeded PaymentIntents matched to paid orders, mismatches named."""

import json
from datetime import timedelta

from service import handlers
from service.clock import utcnow
from service.devtools.fake_stripe import FakeStripe
from tests.support.helpers import API_KEY, deliver, new_order


def report(services):
    now = utcnow()
    return handlers.consolidation_report(services, now - timedelta(hours=1), now + timedelta(seconds=5))


def test_clean_books_report_every_payment_matched(services, client, fake_stripe, app):
    """Paid orders whose PIs succeeded for the same amount are all matched; exit status 0."""
    for _ in range(3):
        _, pi_id = new_order(client)
        deliver(client, fake_stripe.succeed(pi_id))
    result = report(services)
    assert result["ok"] and result["matched"] == 3 and result["succeeded_payment_intents"] == 3
    cli = app.test_cli_runner().invoke(args=["reconcile", "--report"])
    assert cli.exit_code == 0, cli.output
    assert "3 succeeded PaymentIntents, 3 paid orders, 3 matched, 0 mismatches" in cli.output


def test_report_names_each_kind_of_mismatch(services, client, fake_stripe, raw_db, app):
    """A paid order with no PI, a succeeded PI with no paid order, an amount mismatch and a
    payment for no order at all are each reported; the command exits 1."""
    _, matched_pi = new_order(client)
    deliver(client, fake_stripe.succeed(matched_pi))
    no_pi_id, _ = new_order(client)
    raw_db.orders.update_one({"_id": no_pi_id}, {"$set": {"status": "paid"}, "$unset": {"payment_intent_id": ""}})
    unpaid_id, unpaid_pi = new_order(client)
    fake_stripe.succeed(unpaid_pi)
    short_id, short_pi = new_order(client)
    deliver(client, fake_stripe.succeed(short_pi))
    raw_db.orders.update_one({"_id": short_id}, {"$set": {"amount": 2500}})
    stranger = services.gateway.create_payment_intent(
        order_id="ord_" + "0" * 32, amount=700, currency="usd", idempotency_key="stranger"
    )
    fake_stripe.succeed(stranger["id"])
    # Another integration's payment (a Payment Link: no order id of ours) is counted, not a mismatch.
    other = services.gateway.create_payment_intent(
        order_id="plink_42", amount=900, currency="usd", idempotency_key="payment-link"
    )
    fake_stripe.succeed(other["id"])

    result = report(services)
    kinds = {(row["kind"], row["order_id"]) for row in result["mismatches"]}
    assert kinds == {
        ("paid_without_payment_intent", no_pi_id),
        ("payment_not_marked_paid", unpaid_id),
        ("amount_mismatch", short_id),
        ("payment_without_order", None),
    }
    assert result["matched"] == 1 and not result["ok"]
    assert result["not_ours"] == {"usd": {"count": 1, "amount": 900}}
    cli = app.test_cli_runner().invoke(args=["reconcile", "--report", "--json"])
    assert cli.exit_code == 1
    assert len(json.loads(cli.stdout)["mismatches"]) == 4  # stdout is only JSON (logs go to stderr)


def test_report_fails_loudly_when_stripe_is_unreadable(app, fake_stripe):
    """A report that cannot read Stripe exits 1 rather than printing a partial match."""
    fake_stripe.inject("GET", "/v1/payment_intents", "error", times=3, status=500)
    cli = app.test_cli_runner().invoke(args=["reconcile", "--report"])
    assert cli.exit_code == 1 and "report failed" in cli.output


def test_a_payment_intent_stripe_no_longer_knows_is_listed_not_an_error(client, fake_stripe, services, service_stack):
    """After the simulator restarts (it forgets its PaymentIntents) the report lists the paid
    order it cannot match; the CLI exits 1 with that row and /admin/report answers 200."""
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.succeed(pi_id))
    with FakeStripe(api_key=API_KEY) as restarted:
        token = "admin-token-" + "0123456789" * 3
        env = service_stack.environment(services.settings.db_name, fake=restarted, ADMIN_TOKEN=token)
        app = service_stack.make_app(env)
        cli = app.test_cli_runner().invoke(args=["reconcile", "--report", "--json"])
        assert cli.exit_code == 1
        rows = json.loads(cli.stdout)["mismatches"]
        assert [(row["kind"], row["order_id"]) for row in rows] == [("payment_intent_not_found", order_id)]
        answer = app.test_client().get("/admin/report", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and answer.get_json()["mismatches"] == rows
