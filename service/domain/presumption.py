"""The common case of a payment fact, decided before the order is read.

Pure. Almost every fact reaches an order that is still ``pending``, holds the fact's
PaymentIntent and (for a success) has the amount and currency paid: the decision is then
known from the fact alone. ``presume`` returns that decision with the conditions under
which ``decide`` would make exactly it; the store applies it with one conditional update
that carries those conditions in its filter. Only when the update matches no order is the
order read and ``decide`` asked, so the state machine stays the one judge: a presumption
never moves an order that ``decide`` would not move the same way (``holds_for`` states the
conditions, a property test checks the claim).
"""

from dataclasses import dataclass

from .orders import NEEDS_REVIEW, PAID, PAYMENT_FAILED, PENDING, PROCESSING, Decision, OrderView, PaymentFact, decide

# The status a fact is presumed to find. Card payments go pending -> paid; other
# from-statuses are rarer and are read and decided (one more read, same result).
PRESUMED_FROM = PENDING
_STALE_CHECKED = (PROCESSING, PAYMENT_FAILED)  # as in decide(): older facts of these kinds are stale


@dataclass(frozen=True)
class Presumption:
    """The transition ``fact`` makes on an order that satisfies ``holds_for``.

    ``amount``/``currency`` are required of the order when not None; ``not_before`` requires
    the order's ``last_event_at`` to be at most that value when not None."""

    order_id: str
    from_status: str
    decision: Decision
    payment_intent_id: str
    amount: int | None
    currency: str | None
    not_before: int | None
    source_id: str

    def holds_for(self, order: OrderView) -> bool:
        """True when ``order`` satisfies every condition the store's filter carries."""
        return (
            order.order_id == self.order_id
            and order.status == self.from_status
            and order.payment_intent_id == self.payment_intent_id
            and self.source_id not in order.applied_sources
            and (self.amount is None or order.amount == self.amount)
            and (self.currency is None or order.currency == self.currency)
            and (self.not_before is None or order.last_event_at <= self.not_before)
        )


def presume(fact: PaymentFact) -> Presumption | None:
    """The Presumption for ``fact``, or None when it names no order and PaymentIntent or its
    common case is not a plain status change (e.g. a mismatch that needs review). Never raises."""
    if not fact.metadata_order_id or not fact.payment_intent_id:
        return None
    # The order decide() would see in the common case: pending, this PI, and a payment that matches.
    typical = OrderView(
        order_id=fact.metadata_order_id,
        status=PRESUMED_FROM,
        amount=fact.amount_received,
        currency=fact.currency,
        payment_intent_id=fact.payment_intent_id,
        last_event_at=fact.occurred_at,
    )
    decision = decide(typical, fact)
    if decision.to_status is None or decision.to_status == NEEDS_REVIEW:
        return None
    pays = decision.to_status == PAID
    return Presumption(
        order_id=fact.metadata_order_id,
        from_status=PRESUMED_FROM,
        decision=decision,
        payment_intent_id=fact.payment_intent_id,
        amount=fact.amount_received if pays else None,
        currency=fact.currency if pays else None,
        not_before=fact.occurred_at if fact.trigger in _STALE_CHECKED else None,
        source_id=fact.source_id,
    )
