"""FakeStripe's test helpers for the money side: what Stripe, the banks and the cardholder
do to the balance without any API call of ours. Mixed into FakeStripe.

Helpers that create an object return it; helpers that change one return the event that
says so. Every one raises FakeStripeError where Stripe would not allow the change.
"""

from __future__ import annotations

import copy
import threading

from . import async_methods, disputes, ledger, payouts, refunds
from .errors import FakeStripeError
from .state import Store


class MoneyDriver:
    """Balance transactions, disputes and payouts, driven from a test."""

    store: Store
    _timers: list[threading.Timer]

    # -- reading ---------------------------------------------------------------------------
    def _read(self, name: str) -> dict[str, dict]:
        with self.store.lock:
            ledger.run_due(self.store)
            return self.store.snapshot(name)

    @property
    def balance_transactions(self) -> dict[str, dict]:
        """Snapshot of every balance transaction by id, oldest first (statuses current)."""
        return self._read("balance_transactions")

    @property
    def payouts(self) -> dict[str, dict]:
        """Snapshot of every payout by id, oldest first."""
        return self._read("payouts")

    @property
    def disputes(self) -> dict[str, dict]:
        """Snapshot of every dispute by id, oldest first, balance transactions embedded."""
        return self._read("disputes")

    def balance(self) -> dict:
        """The Balance object GET /v1/balance would answer now."""
        with self.store.lock:
            return copy.deepcopy(ledger.balance(self.store))

    # -- time ------------------------------------------------------------------------------
    def tick(self) -> list[dict]:
        """Do what fell due by the fake's clock (deferred charge balance transactions, funds
        becoming available, vouchers paid or expired and debits finished) and return the
        events emitted. Requests to the fake do this too, and so does a timer started for
        each deferred charge and each payment that takes days."""
        with self.store.lock:
            return ledger.run_due(self.store) + async_methods.run_due(self.store)

    def _wake_later(self, delay: float) -> None:
        timer = threading.Timer(max(0.0, delay), self.tick)
        timer.daemon = True
        self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()

    def _cancel_timers(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers = []

    # -- movements -------------------------------------------------------------------------
    def attach_balance_transaction(self, charge_id: str) -> dict:
        """Book a deferred charge's balance transaction now (see `charge_balance_delay`);
        returns the charge.updated event, `previous_attributes` {"balance_transaction": null}."""
        with self.store.lock:
            return ledger.attach(self.store, charge_id)

    def fail_refund(self, refund_id: str, reason: str = "expired_or_canceled_card") -> dict:
        """The refund fails after it succeeded: the money comes back (refund_failure
        transaction); returns the charge.refund.updated event."""
        return refunds.fail_refund(self.store, refund_id, reason)

    def open_dispute(self, pi_id: str, reason: str = "fraudulent") -> dict:
        """The cardholder disputes a succeeded PaymentIntent's charge (what confirming with
        pm_card_createDispute does); returns the Dispute."""
        with self.store.lock:
            pi = self.store.payment_intent(pi_id)
            if pi["status"] != "succeeded":
                raise FakeStripeError(400, "invalid_request_error", f"PaymentIntent {pi_id} has no charge to dispute.")
            return disputes.open_dispute(self.store, pi["latest_charge"], reason)

    def win_dispute(self, dispute_id: str) -> dict:
        """The dispute is won: funds reinstated; returns the charge.dispute.closed event."""
        return disputes.win(self.store, dispute_id)

    def lose_dispute(self, dispute_id: str) -> dict:
        """The dispute is lost: the withdrawal stands; returns the charge.dispute.closed event."""
        return disputes.lose(self.store, dispute_id)

    def run_automatic_payout(self, currency: str = "usd", short_by: int = 0) -> dict:
        """Stripe's scheduled payout of every available transaction in `currency` not yet
        paid out, `short_by` minor units short; returns the Payout (in_transit)."""
        return payouts.run_automatic(self.store, currency, short_by)

    def pay_payout(self, payout_id: str) -> dict:
        """The payout reached the bank; returns the payout.paid event."""
        return payouts.pay(self.store, payout_id)

    def fail_payout(
        self, payout_id: str, code: str = "account_closed", message: str = "The bank account has been closed."
    ) -> dict:
        """The bank returned the payout; returns the payout.failed event."""
        return payouts.fail(self.store, payout_id, code, message)

    def add_balance_transaction(
        self,
        type: str = "adjustment",
        amount: int = 0,
        currency: str = "usd",
        reporting_category: str | None = None,
        description: str | None = None,
        fee: int = 0,
    ) -> dict:
        """A movement Stripe makes without any event (an adjustment, a Stripe fee): booked in
        `currency` as given, no source; `reporting_category` defaults to Stripe's for the type
        (adjustment: other_adjustment, stripe_fee: fee). Returns the balance transaction."""
        with self.store.lock:
            txn = ledger.record(
                self.store,
                type_=type,
                amount=amount,
                currency=currency,
                source=None,
                reporting_category=reporting_category,
                fees=((fee, description or "Stripe fee"),),
                description=description,
                convert=False,
            )
            return copy.deepcopy(txn)
