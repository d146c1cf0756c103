"""Customer payments of one period against our orders, both ways.

Stripe to us: every charge balance transaction of the period whose charge names an order of
ours (``metadata.order_id``, or a PaymentIntent an order holds) must be a ``paid`` order
with the same amount and currency. A charge with no order of ours (Invoices, Payment
Links, Dashboard charges) is counted and totalled as "not ours", never a mismatch.

Us to Stripe: every paid (or needs-review) order created in the period must have a charge:
in the mirror, or, when its charge falls in a period not yet mirrored, a succeeded
PaymentIntent at Stripe. Checked a page at a time, in bounded memory.
"""

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ...domain import consolidation as rules
from ...domain.identifiers import ORDER_ID, valid
from ...domain.orders import PAID, PI_SUCCEEDED
from ...domain.periods import Period
from ..services import Services

Report = Callable[[dict[str, Any]], None]
_BATCH = 100


class PaymentCheck:
    """Collects the period's charge transactions and checks them against orders in batches."""

    def __init__(self, services: Services, report: Report) -> None:
        self.services, self.report = services, report
        self.pending: list[Mapping[str, Any]] = []
        self.counts = {"payments": 0, "payments_matched": 0, "orders_checked": 0}
        self.not_ours: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "amount": 0})

    def add(self, txn: Mapping[str, Any]) -> None:
        """Take one mirrored transaction (only charges are checked)."""
        if rules.is_charge(txn):
            self.pending.append(txn)
            if len(self.pending) >= _BATCH:
                self.flush()

    def flush(self) -> None:
        """Check the collected charges against their orders (two queries per batch)."""
        batch, self.pending = self.pending, []
        if not batch:
            return
        orders = self.services.store.orders.for_payments(
            {txn["order_id"] for txn in batch if txn.get("order_id")},
            {txn["payment_intent_id"] for txn in batch if txn.get("payment_intent_id")},
        )
        by_id = {order["_id"]: order for order in orders}
        by_pi = {order["payment_intent_id"]: order for order in orders if order.get("payment_intent_id")}
        for txn in batch:
            self.counts["payments"] += 1
            order = by_id.get(txn.get("order_id")) or by_pi.get(txn.get("payment_intent_id"))
            if order is None and not valid(ORDER_ID, txn.get("order_id")):
                row = self.not_ours[txn.get("source_currency") or txn["currency"]]
                row["count"] += 1
                row["amount"] += txn.get("source_amount") or txn["amount"]
                continue
            problem = _compare(order, txn)
            if problem:
                self.report(problem)
            else:
                self.counts["payments_matched"] += 1

    def check_orders(self, period: Period, pace: Callable[[], None]) -> None:
        """Every settled order created in the period has its payment (see the module doc)."""
        for page in _batches(self.services.store.orders.settled_created_in(period.start, period.end)):
            mirrored = self.services.store.consolidation.mirrored_charges_for(
                order["payment_intent_id"] for order in page if order.get("payment_intent_id")
            )
            charged = {txn["payment_intent_id"] for txn in mirrored if rules.is_charge(txn)}
            for order in page:
                self.counts["orders_checked"] += 1
                if order.get("payment_intent_id") in charged:
                    continue
                self._check_at_stripe(order, pace)

    def _check_at_stripe(self, order: Mapping[str, Any], pace: Callable[[], None]) -> None:
        if not order.get("payment_intent_id"):
            self.report(
                _row(rules.PAID_WITHOUT_PAYMENT, order, None, f"order is {order['status']} without a PaymentIntent")
            )
            return
        pace()
        pi = self.services.gateway.retrieve_payment_intent(order["payment_intent_id"], order_id=order["_id"])
        if pi.get("status") != PI_SUCCEEDED:
            self.report(_row(rules.PAID_WITHOUT_PAYMENT, order, None, f"PaymentIntent is {pi.get('status')}"))
        elif pi.get("amount_received") != order["amount"] or pi.get("currency") != order["currency"]:
            detail = (
                f"Stripe {pi.get('amount_received')} {pi.get('currency')}, order {order['amount']} {order['currency']}"
            )
            self.report(_row(rules.AMOUNT_MISMATCH, order, None, detail))

    def summary(self) -> dict[str, Any]:
        """Counts and the not-ours totals per currency."""
        return {**self.counts, "not_ours": {currency: dict(row) for currency, row in sorted(self.not_ours.items())}}


def _compare(order: Mapping[str, Any] | None, txn: Mapping[str, Any]) -> dict[str, Any] | None:
    if order is None:
        return _row(rules.PAYMENT_WITHOUT_ORDER, None, txn, "a payment names an order we do not have")
    if order["status"] != PAID:
        return _row(rules.PAYMENT_NOT_MARKED_PAID, order, txn, f"order is {order['status']}")
    amount, currency = txn.get("source_amount") or txn["amount"], txn.get("source_currency") or txn["currency"]
    if amount != order["amount"] or currency != order["currency"]:
        return _row(
            rules.AMOUNT_MISMATCH,
            order,
            txn,
            f"Stripe {amount} {currency}, order {order['amount']} {order['currency']}",
        )
    return None


def _row(kind: str, order: Mapping[str, Any] | None, txn: Mapping[str, Any] | None, detail: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "order_id": (order or {}).get("_id") or (txn or {}).get("order_id"),
        "payment_intent_id": (order or {}).get("payment_intent_id") or (txn or {}).get("payment_intent_id"),
        "balance_transaction_id": (txn or {}).get("_id"),
        "detail": detail,
    }


def _batches(orders: Iterator[Mapping[str, Any]]) -> Iterator[list[Mapping[str, Any]]]:
    batch: list[Mapping[str, Any]] = []
    for order in orders:
        batch.append(order)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
