"""Every status Stripe's pinned API version gives the objects the service reads, and what the
service does with each.

Pure. One table per object (PaymentIntent, Refund, Dispute, Payout, Charge), keyed by Stripe's
spelling. ``tests/test_stripe_statuses.py`` reads the values stripe-python declares for the
pinned version and fails when it knows one these tables do not, so a stripe upgrade cannot add
a status the service silently mishandles. A status that is not in its table is unknown to
this service: readers (``domain/reading.py``) refuse it instead of guessing.
"""

from typing import Final

# -- what a status means to the service (the tables' values) --------------------------------
WAITING: Final = "waiting"  # waits on the customer or on Stripe: nothing to apply yet
FACT: Final = "fact"  # carries a payment fact the state machine applies (domain/orders.py)
NOT_USED: Final = "not_used"  # a flow this service never starts (manual capture); left alone
OPEN: Final = "open"  # a dispute (or inquiry) the shop can still answer
CLOSED: Final = "closed"  # a dispute that ended: its outcome is final unless appealed
APPEAL: Final = "appeal"  # a closed dispute reopened by an appeal: open again, after the close
MONEY_MOVED: Final = "money_moved"  # the ledger posts its balance transaction
NO_MONEY: Final = "no_money"  # nothing was (or will be) moved: nothing to post
MONEY_LATER: Final = "money_later"  # money will move; its balance transaction arrives later
RETURNED: Final = "returned"  # money went out and came back (failed refund or payout)

# PaymentIntent.status -> what the reconciler does when it retrieves a PI in that status.
# ``requires_payment_method`` with a ``last_payment_error`` is a declined attempt
# (payment_facts.fact_from_payment_intent turns it into payment_failed); without one it waits.
PAYMENT_INTENT: Final[dict[str, str]] = {
    "requires_payment_method": WAITING,
    "requires_confirmation": WAITING,
    # The order waits on the customer (awaiting_customer): a voucher, transfer instructions or
    # 3D Secure, with the wait's own end (domain/waits.py, domain/deadlines.py).
    "requires_action": FACT,
    "processing": FACT,
    "requires_capture": NOT_USED,  # checkout creates automatic-capture PaymentIntents only
    "succeeded": FACT,
    "canceled": FACT,
}

# Dispute.status -> its phase. Open statuses rank below closed ones; an appeal comes after
# the close it reopens (see annotations.decide_dispute: (rank, event time) only moves forward).
# ``warning_*`` are inquiries (no funds move); ``prevented`` ended before it became a chargeback.
DISPUTE: Final[dict[str, str]] = {
    "warning_needs_response": OPEN,
    "warning_under_review": OPEN,
    "warning_closed": CLOSED,
    "needs_response": OPEN,
    "under_review": OPEN,
    "won": CLOSED,
    "lost": CLOSED,
    "prevented": CLOSED,
    "appeal_needs_response": APPEAL,
    "appeal_under_review": APPEAL,
}
DISPUTE_RANK: Final[dict[str, int]] = {OPEN: 1, CLOSED: 2, APPEAL: 2}

# Refund.status -> what it means for the money (the ledger posts what its balance
# transactions say; a failed refund's ``failure_balance_transaction`` returns the funds).
REFUND: Final[dict[str, str]] = {
    "pending": MONEY_LATER,
    "requires_action": WAITING,  # the customer must give bank details before it can be paid
    "succeeded": MONEY_MOVED,
    "failed": RETURNED,
    "canceled": NO_MONEY,
}

# Payout.status -> what the ledger does (domain/ledger_events.ledger_refs).
PAYOUT: Final[dict[str, str]] = {
    "pending": MONEY_LATER,
    "in_transit": MONEY_LATER,
    "paid": MONEY_MOVED,  # posted as arrived at the bank
    "failed": RETURNED,  # its failure_balance_transaction returns the funds
    "canceled": RETURNED,
}

# Charge.status -> what the ledger does with its balance transaction.
CHARGE: Final[dict[str, str]] = {
    "pending": MONEY_LATER,  # e.g. a bank debit; charge.updated brings the transaction
    "succeeded": MONEY_MOVED,
    "failed": NO_MONEY,
}

TABLES: Final[dict[str, dict[str, str]]] = {
    "payment_intent": PAYMENT_INTENT,
    "dispute": DISPUTE,
    "refund": REFUND,
    "payout": PAYOUT,
    "charge": CHARGE,
}


def dispute_rank(status: str) -> int:
    """The rank of a dispute status (open 1; closed or appealed 2). Raises KeyError for a status
    the table does not know: callers read it through ``reading.read_status`` first."""
    return DISPUTE_RANK[DISPUTE[status]]


def dispute_closed(status: str) -> bool:
    """True when ``status`` ends the dispute (won, lost, prevented, warning_closed)."""
    return DISPUTE.get(status) == CLOSED
