"""Reads of the money side of the Stripe account: balance transactions, payouts and the
balance. Every one is a GET (safe to retry), journaled like every other call.

Balance transactions are listed and retrieved with their ``source`` expanded (the charge,
refund, dispute or payout they record), so one request says which order a movement
belongs to.
"""

from typing import TYPE_CHECKING, Any

import stripe

from .transport import Request

if TYPE_CHECKING:  # Stripe's parameter TypedDicts check these calls in mypy
    from collections.abc import Callable, Mapping

    from stripe.params import (
        BalanceTransactionListParams,
        BalanceTransactionRetrieveParams,
        PayoutListParams,
        PayoutRetrieveParams,
    )

    Call = Callable[[str, str, str | None, str | None, Request, Mapping[str, Any] | None], dict[str, Any]]

Doc = dict[str, Any]
PAGE = 100


class BalanceCalls:
    """``gateway.balance``: the account's books at Stripe. Raises PaymentProvider{Unavailable,Error}."""

    def __init__(self, client: stripe.StripeClient, call: "Call") -> None:
        self._client, self._call = client, call

    def list_transactions_page(
        self,
        *,
        created_gte: int | None = None,
        created_lt: int | None = None,
        payout: str | None = None,
        starting_after: str | None = None,
    ) -> Doc:
        """One page (up to 100, newest first) of balance transactions created in
        [created_gte, created_lt), or settled by ``payout``; sources expanded."""
        params: BalanceTransactionListParams = {"limit": PAGE, "expand": ["data.source"]}
        if created_gte is not None and created_lt is not None:
            params["created"] = {"gte": created_gte, "lt": created_lt}
        if payout:
            params["payout"] = payout
        if starting_after:
            params["starting_after"] = starting_after
        return self._call(
            "GET",
            "/v1/balance_transactions",
            None,
            None,
            lambda opts: self._client.v1.balance_transactions.list(params=params, options=opts),
            params,
        )

    def retrieve_transaction(self, txn_id: str, *, order_id: str | None = None) -> Doc:
        """One balance transaction with its source expanded."""
        params: BalanceTransactionRetrieveParams = {"expand": ["source"]}
        return self._call(
            "GET",
            f"/v1/balance_transactions/{txn_id}",
            order_id,
            None,
            lambda opts: self._client.v1.balance_transactions.retrieve(txn_id, params=params, options=opts),
            params,
        )

    def list_payouts_page(self, *, created_gte: int, created_lt: int, starting_after: str | None = None) -> Doc:
        """One page (up to 100, newest first) of payouts created in [created_gte, created_lt)."""
        params: PayoutListParams = {"limit": PAGE, "created": {"gte": created_gte, "lt": created_lt}}
        if starting_after:
            params["starting_after"] = starting_after
        return self._call(
            "GET",
            "/v1/payouts",
            None,
            None,
            lambda opts: self._client.v1.payouts.list(params=params, options=opts),
            params,
        )

    def retrieve_payout(self, payout_id: str) -> Doc:
        """One payout."""
        params: PayoutRetrieveParams = {}
        return self._call(
            "GET",
            f"/v1/payouts/{payout_id}",
            None,
            None,
            lambda opts: self._client.v1.payouts.retrieve(payout_id, params=params, options=opts),
            params,
        )

    def retrieve_balance(self) -> Doc:
        """The account's balance: ``available`` and ``pending`` amounts per currency."""
        return self._call(
            "GET", "/v1/balance", None, None, lambda opts: self._client.v1.balance.retrieve(options=opts), None
        )
