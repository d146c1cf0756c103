"""The decline message an order shows: the latest attempt's while it is `payment_failed`, and
none once it is paid (the page must never show an old decline next to a new one)."""

from tests.support.helpers import deliver, new_order

INSUFFICIENT = "Your card has insufficient funds."


def test_a_second_decline_replaces_the_first_message_and_payment_clears_it(client, fake_stripe):
    """decline -> "declined"; another card declined -> "insufficient funds"; then paid -> null."""
    order_id, pi_id = new_order(client)
    deliver(client, fake_stripe.fail(pi_id))
    assert client.get(f"/orders/{order_id}").get_json()["last_payment_error"] == "Your card was declined."
    second = fake_stripe.fail(pi_id, decline_code="insufficient_funds", message=INSUFFICIENT)
    deliver(client, second)
    order = client.get(f"/orders/{order_id}").get_json()
    assert (order["status"], order["last_payment_error"]) == ("payment_failed", INSUFFICIENT)
    deliver(client, fake_stripe.succeed(pi_id))
    order = client.get(f"/orders/{order_id}").get_json()
    assert (order["status"], order["last_payment_error"]) == ("paid", None)


def test_an_older_decline_delivered_late_does_not_replace_a_newer_message(client, fake_stripe):
    """Delivery order does not matter: the first decline, redelivered after the second, changes nothing."""
    order_id, pi_id = new_order(client)
    first = fake_stripe.fail(pi_id)
    second = fake_stripe.fail(pi_id, decline_code="insufficient_funds", message=INSUFFICIENT)
    second["created"] = first["created"] + 1
    deliver(client, second)
    deliver(client, first)
    assert client.get(f"/orders/{order_id}").get_json()["last_payment_error"] == INSUFFICIENT
