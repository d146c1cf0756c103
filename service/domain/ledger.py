"""Double-entry posting rules: what each money movement at Stripe does to our books.

Pure. Every movement becomes one ``Entry`` of signed lines (debit positive, credit
negative) whose amounts sum to zero; an entry has one currency (Stripe's settlement
currency) and an id derived from the Stripe object it records, so posting it twice is a
no-op. Entries are never changed: a correction is a new entry.

Accounts (what a positive balance means):

    stripe_balance       asset: our money held at Stripe (available + pending)
    payouts_in_transit   asset: paid out by Stripe, not yet in the bank
    bank                 asset: arrived in our bank account
    sales                income (a credit, so negative): gross customer payments
    refunds              contra-income: money given back
    disputes             contra-income: money withdrawn by disputes, net of reinstatements
    dispute_fees         expense: Stripe's dispute fees
    stripe_fees          expense: processing and other Stripe fees
    suspense             anything Stripe moved that no rule names: never silently dropped

A balance transaction (``txn_…``) with ``amount`` A, ``fee`` F and ``net`` N (N = A − F)
posts ``stripe_balance +N``, ``<fee account> +F`` and ``<counter account> −A``: a charge
credits sales, a refund (A < 0) debits refunds, a payout (A < 0) moves the money into
``payouts_in_transit``; a payout that arrives moves it from there to ``bank``.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

STRIPE_BALANCE: Final = "stripe_balance"
PAYOUTS_IN_TRANSIT: Final = "payouts_in_transit"
BANK: Final = "bank"
SALES: Final = "sales"
REFUNDS: Final = "refunds"
DISPUTES: Final = "disputes"
DISPUTE_FEES: Final = "dispute_fees"
STRIPE_FEES: Final = "stripe_fees"
SUSPENSE: Final = "suspense"
ACCOUNTS: Final = (
    STRIPE_BALANCE,
    PAYOUTS_IN_TRANSIT,
    BANK,
    SALES,
    REFUNDS,
    DISPUTES,
    DISPUTE_FEES,
    STRIPE_FEES,
    SUSPENSE,
)

# Entry kinds (what moved), also the consolidation's totals "by type".
PAYMENT: Final = "payment"
REFUND: Final = "refund"
REFUND_FAILURE: Final = "refund_failure"
DISPUTE: Final = "dispute"
DISPUTE_REVERSAL: Final = "dispute_reversal"
PAYOUT: Final = "payout"
PAYOUT_REVERSAL: Final = "payout_reversal"
PAYOUT_PAID: Final = "payout_paid"
PAYOUT_PAID_REVERSAL: Final = "payout_paid_reversal"
FEE: Final = "fee"
OTHER: Final = "other"

# Balance transaction type -> (entry kind, counter account). Adjustments are told apart by
# their reporting_category (Stripe's documented accounting classification).
_BY_TYPE: Final[dict[str, tuple[str, str]]] = {
    "charge": (PAYMENT, SALES),
    "payment": (PAYMENT, SALES),
    "refund": (REFUND, REFUNDS),
    "payment_refund": (REFUND, REFUNDS),
    "refund_failure": (REFUND_FAILURE, REFUNDS),
    "payment_failure_refund": (REFUND_FAILURE, REFUNDS),
    "payout": (PAYOUT, PAYOUTS_IN_TRANSIT),
    "payout_cancel": (PAYOUT_REVERSAL, PAYOUTS_IN_TRANSIT),
    "payout_failure": (PAYOUT_REVERSAL, PAYOUTS_IN_TRANSIT),
    "stripe_fee": (FEE, STRIPE_FEES),
    "stripe_fx_fee": (FEE, STRIPE_FEES),
    "tax_fee": (FEE, STRIPE_FEES),
}
_ADJUSTMENTS: Final[dict[str, tuple[str, str]]] = {
    "dispute": (DISPUTE, DISPUTES),
    "dispute_reversal": (DISPUTE_REVERSAL, DISPUTES),
    "refund_failure": (REFUND_FAILURE, REFUNDS),
    "fee": (FEE, STRIPE_FEES),
}
_DISPUTE_KINDS: Final = (DISPUTE, DISPUTE_REVERSAL)


class LedgerError(ValueError):
    """A Stripe object the rules cannot post: a required field is missing or inconsistent.
    The message names the field; nothing is posted (never a default that looks like money)."""


@dataclass(frozen=True)
class Line:
    """One side of an entry: ``amount`` > 0 debits ``account``, < 0 credits it."""

    account: str
    amount: int


@dataclass(frozen=True)
class Entry:
    """One balanced movement in one currency, keyed by the Stripe object it records."""

    entry_id: str
    kind: str
    currency: str
    lines: tuple[Line, ...]
    created: int  # Stripe's time of the movement (unix seconds): the period it belongs to
    amount: int  # the movement's gross amount (signed, as Stripe reports it)
    fee: int = 0
    net: int = 0
    balance_transaction_id: str | None = None
    source_id: str | None = None  # ch_…, re_…, dp_…, po_…: what Stripe says caused it
    order_id: str | None = None
    reporting_category: str | None = None
    exchange_rate: float | None = None  # set when the charge currency differs from ``currency``
    source_amount: int | None = None  # the amount in the charge's own currency, when known
    source_currency: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        """True when debits equal credits."""
        return sum(line.amount for line in self.lines) == 0


def entry_id_for_balance_transaction(balance_transaction_id: str) -> str:
    """The ledger id of the entry that records a balance transaction."""
    return "bt:" + balance_transaction_id


def entry_for_balance_transaction(
    txn: Mapping[str, Any], *, order_id: str | None = None, source: Mapping[str, Any] | None = None
) -> Entry:
    """The entry recording one Stripe balance transaction. ``source`` is the charge (or other
    object) it records, when known, for the charge's own currency and amount. Raises
    LedgerError naming a missing or inconsistent field."""
    txn_id = _text(txn, "id")
    amount, fee, net = _int(txn, "amount"), _int(txn, "fee"), _int(txn, "net")
    if net != amount - fee:
        raise LedgerError(f"balance transaction {txn_id}: net {net} is not amount {amount} - fee {fee}")
    kind, counter = classify(_text(txn, "type"), txn.get("reporting_category"))
    fee_account = DISPUTE_FEES if kind in _DISPUTE_KINDS else STRIPE_FEES
    lines = _lines([(STRIPE_BALANCE, net), (fee_account, fee), (counter, -amount)])
    source = source or {}
    rate = txn.get("exchange_rate")
    return Entry(
        entry_id=entry_id_for_balance_transaction(txn_id),
        kind=kind,
        currency=_text(txn, "currency").lower(),
        lines=lines,
        created=_int(txn, "created"),
        amount=amount,
        fee=fee,
        net=net,
        balance_transaction_id=txn_id,
        source_id=_object_id(txn.get("source")),
        order_id=order_id,
        reporting_category=txn.get("reporting_category"),
        exchange_rate=float(rate) if isinstance(rate, (int, float)) else None,
        source_amount=source.get("amount") if isinstance(source.get("amount"), int) else None,
        source_currency=str(source["currency"]).lower() if isinstance(source.get("currency"), str) else None,
    )


def classify(txn_type: str, reporting_category: object = None) -> tuple[str, str]:
    """(entry kind, counter account) for a balance transaction type; unknown types and
    unknown adjustments go to ``suspense`` as kind ``other``."""
    if txn_type == "adjustment":
        return _ADJUSTMENTS.get(str(reporting_category), (OTHER, SUSPENSE))
    return _BY_TYPE.get(txn_type, (OTHER, SUSPENSE))


def entry_for_payout_arrival(payout: Mapping[str, Any], *, reversal: bool = False) -> Entry:
    """The entry moving a paid payout from ``payouts_in_transit`` to ``bank`` (or, with
    ``reversal``, back: a payout that failed after it was reported paid). Raises LedgerError."""
    payout_id, amount = _text(payout, "id"), _int(payout, "amount")
    sign = -1 if reversal else 1
    when = "arrival_date" if isinstance(payout.get("arrival_date"), int) else "created"
    return Entry(
        entry_id=("payout_paid_reversal:" if reversal else "payout_paid:") + payout_id,
        kind=PAYOUT_PAID_REVERSAL if reversal else PAYOUT_PAID,
        currency=_text(payout, "currency").lower(),
        lines=_lines([(BANK, sign * amount), (PAYOUTS_IN_TRANSIT, -sign * amount)]),
        created=_int(payout, when),
        amount=sign * amount,
        source_id=payout_id,
    )


def balances(entries: Iterable[Entry]) -> dict[tuple[str, str], int]:
    """{(account, currency): balance} over ``entries`` (debit positive)."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for entry in entries:
        for line in entry.lines:
            totals[(line.account, entry.currency)] += line.amount
    return dict(totals)


def order_position(entries: Iterable[Entry]) -> dict[str, dict[str, int]]:
    """An order's money per currency: gross sales, refunds, dispute losses (amount and fee),
    fees, and net = what it left on our Stripe balance (gross − refunds − disputes − fees)."""
    position: dict[str, dict[str, int]] = {}
    for (account, currency), amount in balances(entries).items():
        row = position.setdefault(currency, {"gross": 0, "refunds": 0, "disputes": 0, "fees": 0, "net": 0})
        if account == SALES:
            row["gross"] -= amount
        elif account == REFUNDS:
            row["refunds"] += amount
        elif account in (DISPUTES, DISPUTE_FEES):
            row["disputes"] += amount
        elif account == STRIPE_FEES:
            row["fees"] += amount
        elif account == STRIPE_BALANCE:
            row["net"] += amount
    return position


def _lines(pairs: Iterable[tuple[str, int]]) -> tuple[Line, ...]:
    merged: dict[str, int] = defaultdict(int)
    for account, amount in pairs:
        merged[account] += amount
    kept = tuple(Line(account, amount) for account, amount in merged.items() if amount)
    return kept or (Line(STRIPE_BALANCE, 0),)


def _int(obj: Mapping[str, Any], name: str) -> int:
    value = obj.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise LedgerError(f"{obj.get('object') or 'object'} {obj.get('id')}: {name} is {value!r}, not an integer")
    return value


def _text(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value:
        raise LedgerError(f"{obj.get('object') or 'object'} {obj.get('id')}: {name} is {value!r}, not a string")
    return value


def _object_id(value: Any) -> str | None:
    # An expanded object in place of an id carries its id inside.
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) else None
