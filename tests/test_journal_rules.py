"""What a journal record of a Stripe call may hold: parameters less secrets, the money fields of
a response, never a body or a client_secret."""

from service.domain import journal


def test_secret_named_parameters_are_dropped_and_the_rest_kept_as_sent():
    """client_secret, api keys and tokens never reach the record; metadata and amounts do."""
    cleaned = journal.clean_params(
        {
            "amount": 2000,
            "client_secret": "pi_1_secret_x",
            "metadata": {"order_id": "ord_1", "refund_key": "k"},
            "payment_method_data": {"api_key": "sk_test_x", "billing_details": {"email": "a@b.co"}},
        }
    )
    assert cleaned == {
        "amount": 2000,
        "metadata": {"order_id": "ord_1", "refund_key": "k"},
        "payment_method_data": {"billing_details": {"email": "a@b.co"}},
    }


def test_a_response_keeps_only_its_money_fields():
    """A PaymentIntent's summary has id, status, amounts and currency, not its client_secret."""
    pi = {
        "id": "pi_1",
        "object": "payment_intent",
        "status": "succeeded",
        "amount": 2000,
        "amount_received": 2000,
        "currency": "usd",
        "client_secret": "pi_1_secret_abc",
        "metadata": {"order_id": "ord_1"},
    }
    summary = journal.response_summary(pi)
    assert summary == {
        "id": "pi_1",
        "object": "payment_intent",
        "status": "succeeded",
        "amount": 2000,
        "amount_received": 2000,
        "currency": "usd",
    }
    assert journal.response_summary({"object": "list", "data": [pi, pi]}) == {"object": "list", "count": 2}


def test_only_posts_count_as_calls_that_can_move_money():
    """GETs may be sampled or expire; POSTs are kept as long as the ledger."""
    assert journal.moves_money("POST") and not journal.moves_money("get")
