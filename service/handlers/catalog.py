"""Catalog import: the only way prices enter the system."""
from ..errors import ValidationFailed
from ..models import Product

_FIELDS = {"sku", "name", "unit_amount", "currency"}


def import_products(services, entries):
    """Validate every entry, then upsert all by sku. Idempotent; all-or-nothing validation.

    Raises ValidationFailed naming the first bad entry; nothing is written then.
    """
    if not isinstance(entries, list) or not entries:
        raise ValidationFailed("the catalog must be a non-empty JSON list")
    products = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or set(entry) != _FIELDS:
            raise ValidationFailed(f"entry {index} must have exactly the fields {sorted(_FIELDS)}")
        if isinstance(entry["unit_amount"], bool) or not isinstance(entry["unit_amount"], int):
            raise ValidationFailed(f"entry {index}: unit_amount must be an integer (minor units)")
        product = Product(sku=entry["sku"], name=entry["name"], unit_amount=entry["unit_amount"],
                          currency=str(entry["currency"]).lower())
        try:
            product.validate()
        except Exception as exc:  # mongoengine.ValidationError lists the bad fields
            raise ValidationFailed(f"entry {index}: {exc}") from None
        products.append(product)
    return services.store.upsert_products(products)
