"""Stripe's `expand[]`: replace an object id in a response by the object itself.

Paths are dotted (`latest_charge.balance_transaction`); on a list or search result they
start with `data.` and apply to every item. Only fields Stripe documents as expandable,
and only ids the fake stores, are expanded; a null field stays null.
"""

from __future__ import annotations

import copy

from .errors import invalid
from .forms import to_list
from .state import Store

MAX_DEPTH = 4
# Object type -> its fields that hold an expandable id.
EXPANDABLE: dict[str, frozenset[str]] = {
    "balance_transaction": frozenset({"source"}),
    "charge": frozenset({"balance_transaction", "failure_balance_transaction", "payment_intent"}),
    "dispute": frozenset({"charge", "payment_intent"}),
    "payment_intent": frozenset({"latest_charge"}),
    "payout": frozenset({"balance_transaction", "failure_balance_transaction"}),
    "refund": frozenset({"balance_transaction", "charge", "failure_balance_transaction", "payment_intent"}),
}
# Id prefix -> (store collection, object type).
_BY_PREFIX = {
    "ch": ("charges", "charge"),
    "dp": ("disputes", "dispute"),
    "pi": ("payment_intents", "payment_intent"),
    "po": ("payouts", "payout"),
    "re": ("refunds", "refund"),
    "txn": ("balance_transactions", "balance_transaction"),
}
# What a field may hold once expanded, for checking nested paths before anything runs.
_FIELD_TYPES = {
    "balance_transaction": ("balance_transaction",),
    "charge": ("charge",),
    "failure_balance_transaction": ("balance_transaction",),
    "latest_charge": ("charge",),
    "payment_intent": ("payment_intent",),
    "source": ("charge", "refund", "dispute", "payout"),
}


def paths(params: dict, kind: str) -> list[list[str]]:
    """Validate `expand` for an endpoint returning `kind` (`list:<type>` for lists) and
    return its paths split on dots, `data.` already removed for lists. 400 for a path
    Stripe would refuse: deeper than 4 levels, a field that cannot be expanded, or a list
    path without `data.`."""
    raw = params.get("expand")
    if raw is None:
        return []
    listed, _, item = kind.rpartition(":")
    result = []
    for path in to_list(raw, "expand"):
        parts = str(path).split(".")
        if listed:
            if parts[0] != "data" or len(parts) == 1:
                raise invalid(
                    f"This property cannot be expanded ({path}). You may want to try expanding 'data.{path}' instead.",
                    param="expand",
                )
            parts = parts[1:]
        if len(parts) > MAX_DEPTH:
            raise invalid(f"You cannot expand more than {MAX_DEPTH} levels of a property.", param="expand")
        _check(item, parts, str(path))
        result.append(parts)
    return result


def _check(kind: str, parts: list[str], path: str) -> None:
    kinds: tuple[str, ...] = (kind,)
    for part in parts:
        if not any(part in EXPANDABLE.get(k, ()) for k in kinds):
            raise invalid(f"This property cannot be expanded ({path}).", param="expand")
        kinds = _FIELD_TYPES[part]


def apply(store: Store, result: dict, expand_paths: list[list[str]]) -> dict:
    """Return a copy of `result` (an object, or a list/search page) with every path
    expanded; the store's own objects are never modified."""
    if not expand_paths:
        return result
    result = copy.deepcopy(result)
    items = result["data"] if result.get("object") in ("list", "search_result") else [result]
    for item in items:
        for parts in expand_paths:
            _expand(store, item, parts)
    return result


def _expand(store: Store, obj: dict, parts: list[str]) -> None:
    field, rest = parts[0], parts[1:]
    value = obj.get(field)
    if isinstance(value, str):
        collection, _ = _BY_PREFIX.get(value.split("_", 1)[0], (None, None))
        found = getattr(store, collection).get(value) if collection else None
        if found is not None:
            value = obj[field] = copy.deepcopy(found)
    if rest and isinstance(value, dict):
        _expand(store, value, rest)
