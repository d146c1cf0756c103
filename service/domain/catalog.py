"""What a catalog entry must be: the only source of prices, so it is checked strictly.

Pure. ``validate_catalog`` is all-or-nothing: the first malformed entry raises
ValidationFailed naming it; then every price Stripe would refuse (``domain/currency.py``:
unknown currency, below the minimum charge, above the maximum, a three-decimal amount not a
multiple of 10) is named, one line per SKU and rule, in one ValidationFailed. Nothing is
returned to be written.
"""

from typing import Any, Final

from ..errors import ValidationFailed
from .currency import charge_problem
from .identifiers import CURRENCY, SKU, valid

FIELDS: Final = frozenset({"sku", "name", "unit_amount", "currency"})


def validate_catalog(entries: object) -> list[dict[str, Any]]:
    """The entries as catalog products ``{sku, name, unit_amount, currency}`` (currency
    lower-cased). Raises ValidationFailed naming the first bad entry."""
    if not isinstance(entries, list) or not entries:
        raise ValidationFailed("the catalog must be a non-empty JSON list")
    products = [_product(index, entry) for index, entry in enumerate(entries)]
    refused = [
        (product["sku"], problem)
        for product in products
        if (problem := charge_problem(product["unit_amount"], product["currency"])) is not None
    ]
    if refused:
        lines = [f"{sku}: {code}: {sentence}" for sku, (code, sentence) in refused]
        raise ValidationFailed(
            f"{len(refused)} price(s) Stripe would refuse: " + "; ".join(lines),
            code="price_refused",
            details={"refused": [{"sku": sku, "rule": code, "message": sentence} for sku, (code, sentence) in refused]},
        )
    return products


def _product(index: int, entry: object) -> dict[str, Any]:
    if not isinstance(entry, dict) or set(entry) != FIELDS:
        raise ValidationFailed(f"entry {index} must have exactly the fields {sorted(FIELDS)}")
    sku, name, amount, currency = entry["sku"], entry["name"], entry["unit_amount"], entry["currency"]
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationFailed(f"entry {index}: unit_amount must be an integer (minor units)")
    if amount < 1:
        raise ValidationFailed(f"entry {index}: unit_amount must be at least 1")
    if not valid(SKU, sku):
        raise ValidationFailed(f"entry {index}: sku must be 1-64 letters, digits, '_', '.' or '-'")
    if not isinstance(name, str) or not 1 <= len(name) <= 200:
        raise ValidationFailed(f"entry {index}: name must be a string of 1-200 characters")
    currency = str(currency).lower()
    if not valid(CURRENCY, currency):
        raise ValidationFailed(f"entry {index}: currency must be a three-letter ISO code")
    return {"sku": sku, "name": name, "unit_amount": amount, "currency": currency}
