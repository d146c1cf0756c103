"""Builders for the money side's Stripe-shaped objects. Pure: no locking, no storage.

Field names and enum values follow stripe-python's generated classes
(`stripe.BalanceTransaction`, `stripe.Payout`, `stripe.Dispute`, `stripe.Balance`);
tests/test_fake_stripe_money.py checks them against those classes.
"""

from __future__ import annotations

from .objects import new_id

EVIDENCE_FIELDS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)


def fee_detail(amount: int, currency: str, description: str) -> dict:
    """One `fee_details` entry: a Stripe fee of `amount` (negative for a fee given back)."""
    return {
        "amount": amount,
        "application": None,
        "currency": currency,
        "description": description,
        "type": "stripe_fee",
    }


def balance_transaction(
    *,
    type_: str,
    reporting_category: str,
    amount: int,
    currency: str,
    created: int,
    available_on: int,
    source: str | None,
    fee_details: list[dict],
    description: str | None,
    exchange_rate: float | None,
) -> dict:
    """Return a BalanceTransaction: `fee` is the sum of `fee_details`, `net` = amount − fee,
    `status` pending until `available_on`, then available."""
    fee = sum(detail["amount"] for detail in fee_details)
    return {
        "id": new_id("txn"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "balance_type": "payments",
        "created": created,
        "currency": currency,
        "description": description,
        "exchange_rate": exchange_rate,
        "fee": fee,
        "fee_details": fee_details,
        "net": amount - fee,
        "reporting_category": reporting_category,
        "source": source,
        "status": "available" if available_on <= created else "pending",
        "type": type_,
    }


def payout(
    *,
    amount: int,
    currency: str,
    created: int,
    arrival_date: int,
    automatic: bool,
    destination: str,
    fields: dict,
) -> dict:
    """Return a Payout to the account's bank account: a manual one `pending` with
    reconciliation not applicable, an automatic one `in_transit`, reconciliation in progress.
    `fields` overrides description, metadata, method, source_type, statement_descriptor."""
    po = {
        "id": new_id("po"),
        "object": "payout",
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": arrival_date,
        "automatic": automatic,
        "balance_transaction": None,
        "created": created,
        "currency": currency,
        "description": "STRIPE PAYOUT" if automatic else None,
        "destination": destination,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": {},
        "method": "standard",
        "original_payout": None,
        "payout_method": None,
        "reconciliation_status": "in_progress" if automatic else "not_applicable",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": "in_transit" if automatic else "pending",
        "trace_id": None,
        "type": "bank_account",
    }
    po.update(fields)
    return po


def dispute(ch: dict, *, created: int, reason: str, withdrawal: dict) -> dict:
    """Return a Dispute of the whole of charge `ch`, `needs_response`, whose
    `balance_transactions` holds the withdrawal (the very dict, so status updates show)."""
    return {
        "id": new_id("dp"),
        "object": "dispute",
        "amount": ch["amount_captured"],
        "balance_transactions": [withdrawal],
        "charge": ch["id"],
        "created": created,
        "currency": ch["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {**dict.fromkeys(EVIDENCE_FIELDS), "enhanced_evidence": {}},
        "evidence_details": {
            "due_by": created + 7 * 86400,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
            "submission_method": "not_submitted",
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "network_reason_code": "10.4" if reason == "fraudulent" else None,
        "payment_intent": ch["payment_intent"],
        "payment_method_details": None,
        "reason": reason,
        "status": "needs_response",
    }


def balance(available: dict[str, int], pending: dict[str, int]) -> dict:
    """Return the Balance: one `{amount, currency, source_types}` per currency, all funds
    being card funds."""

    def funds(totals: dict[str, int]) -> list[dict]:
        return [{"amount": amount, "currency": cur, "source_types": {"card": amount}} for cur, amount in totals.items()]

    return {"object": "balance", "available": funds(available), "livemode": False, "pending": funds(pending)}
