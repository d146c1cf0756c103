"""Matching Stripe's books with ours for one period: the rules, without the I/O.

Pure. Stripe's side is its balance transactions (as mirrored, one document each), ours the
ledger entries; both are read in (created, id) order, so ``merge`` pairs them in one pass
in bounded memory. Every difference becomes an ``item``: a dict with a ``kind`` and the ids
an operator needs, never a silent correction.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from .ledger import Entry, classify
from .ledger_events import object_id, source_refs

# Item kinds (a contract with whoever reads the report: add, never rename).
MISSING_ENTRY: Final = "balance_transaction_without_entry"  # healed by posting it, still reported
ENTRY_WITHOUT_TRANSACTION: Final = "entry_without_balance_transaction"
ENTRY_DIFFERS: Final = "entry_differs"
UNPOSTABLE: Final = "balance_transaction_unpostable"
PAYMENT_WITHOUT_ORDER: Final = "payment_without_order"
PAYMENT_NOT_MARKED_PAID: Final = "payment_not_marked_paid"
AMOUNT_MISMATCH: Final = "amount_mismatch"
PAID_WITHOUT_PAYMENT: Final = "paid_without_payment"
PAYOUT_MISMATCH: Final = "payout_mismatch"
_COMPARED: Final = ("amount", "fee", "net", "currency")
_CHARGE_TYPES: Final = ("charge", "payment")


def mirror_doc(txn: Mapping[str, Any]) -> dict[str, Any]:
    """Our stored copy of one listed balance transaction (its ``source`` expanded): the
    fields consolidation compares, and what the source says about our order."""
    source = txn.get("source")
    order_id, payment_intent_id = source_refs(source)
    src = source if isinstance(source, Mapping) else {}
    return {
        "_id": txn["id"],
        "type": txn.get("type"),
        "reporting_category": txn.get("reporting_category"),
        "amount": txn.get("amount"),
        "fee": txn.get("fee"),
        "net": txn.get("net"),
        "currency": str(txn.get("currency") or "").lower(),
        "created": txn.get("created"),
        "status": txn.get("status"),
        "exchange_rate": txn.get("exchange_rate"),
        "source_id": object_id(source),
        "source_object": src.get("object"),
        "order_id": order_id,
        "payment_intent_id": payment_intent_id,
        "source_amount": src.get("amount") if isinstance(src.get("amount"), int) else None,
        "source_currency": str(src["currency"]).lower() if isinstance(src.get("currency"), str) else None,
        "source_status": src.get("status") if isinstance(src.get("status"), str) else None,
    }


def merge(
    mirrored: Iterable[Mapping[str, Any]], entries: Iterable[Entry]
) -> Iterator[tuple[Mapping[str, Any] | None, Entry | None]]:
    """Pair mirrored transactions with the entries that record them, both in (created, id)
    order; yields (transaction, entry), (transaction, None) or (None, entry). Entries that
    record no balance transaction (a payout's arrival) are skipped."""
    txns = iter(mirrored)
    recorded = (entry for entry in entries if entry.balance_transaction_id)
    txn, entry = next(txns, None), next(recorded, None)
    while txn is not None or entry is not None:
        txn_key = None if txn is None else (txn["created"], txn["_id"])
        entry_key = None if entry is None else (entry.created, entry.balance_transaction_id or "")
        if entry_key is None or (txn_key is not None and txn_key < entry_key):
            yield txn, None
            txn = next(txns, None)
        elif txn_key is None or entry_key < txn_key:
            yield None, entry
            entry = next(recorded, None)
        else:
            yield txn, entry
            txn, entry = next(txns, None), next(recorded, None)


def compare(txn: Mapping[str, Any], entry: Entry) -> dict[str, Any] | None:
    """The item for an entry that does not say what its balance transaction says, or None."""
    ours = {"amount": entry.amount, "fee": entry.fee, "net": entry.net, "currency": entry.currency}
    differs = {
        name: {"stripe": txn.get(name), "ledger": ours[name]} for name in _COMPARED if txn.get(name) != ours[name]
    }
    kind, _ = classify(str(txn.get("type")), txn.get("reporting_category"))
    if kind != entry.kind:
        differs["kind"] = {"stripe": kind, "ledger": entry.kind}
    if not entry.balanced:
        differs["balanced"] = {"stripe": True, "ledger": False}
    if not differs:
        return None
    return item(ENTRY_DIFFERS, txn, entry, f"differs in {', '.join(sorted(differs))}", differences=differs)


def item(kind: str, txn: Mapping[str, Any] | None, entry: Entry | None, detail: str, **extra: Any) -> dict[str, Any]:
    """One reported difference, with every id that helps find it."""
    return {
        "kind": kind,
        "balance_transaction_id": (txn or {}).get("_id") or (entry.balance_transaction_id if entry else None),
        "entry_id": entry.entry_id if entry else None,
        "order_id": (entry.order_id if entry else None) or (txn or {}).get("order_id"),
        "detail": detail,
        **extra,
    }


def is_charge(txn: Mapping[str, Any]) -> bool:
    """True for a balance transaction that records a customer payment."""
    return txn.get("type") in _CHARGE_TYPES


class Totals:
    """Per currency and per kind: gross, fees and net of Stripe's transactions in a period,
    so an operator can compare with the Stripe Dashboard at a glance."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)

    def add(self, txn: Mapping[str, Any]) -> None:
        """Count one mirrored balance transaction."""
        kind, _ = classify(str(txn.get("type")), txn.get("reporting_category"))
        row = self._rows[str(txn.get("currency"))].setdefault(kind, {"count": 0, "amount": 0, "fee": 0, "net": 0})
        row["count"] += 1
        for name in ("amount", "fee", "net"):
            value = txn.get(name)
            row[name] += value if isinstance(value, int) else 0

    def as_dict(self) -> dict[str, Any]:
        """{currency: {kind: {count, amount, fee, net}, "net": total net}}."""
        result: dict[str, Any] = {}
        for currency, kinds in sorted(self._rows.items()):
            result[currency] = {kind: dict(row) for kind, row in sorted(kinds.items())}
            result[currency]["net"] = sum(row["net"] for row in kinds.values())
        return result
