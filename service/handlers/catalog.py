"""The catalog: import (the only way prices enter the system), the listing the page shows,
and archiving (a product no longer sold; past orders keep their own copy of it)."""

from typing import Any

from ..domain.catalog import validate_catalog
from ..errors import NotFound
from .services import Services


def import_products(services: Services, entries: object) -> dict[str, list[str]]:
    """Validate every entry, then upsert all by sku; returns the skus ``created``, ``updated``
    and ``unchanged``. Idempotent and all-or-nothing: raises ValidationFailed naming the first
    bad entry, and nothing is written then; DatabaseUnavailable when the database is gone. An
    archived product stays archived."""
    return services.store.catalog.upsert(validate_catalog(entries))


def list_products(services: Services, *, include_archived: bool = False) -> list[dict[str, Any]]:
    """The products on sale (``{sku, name, unit_amount, currency}``, by name, bounded), or
    with ``include_archived`` every product with its ``archived`` flag. Raises DatabaseUnavailable."""
    return services.store.catalog.list_products(include_archived=include_archived)


def archive_product(services: Services, sku: str, archived: bool = True) -> dict[str, Any]:
    """Stop selling ``sku`` (or, with ``archived`` False, sell it again); returns the product.
    Checkout then refuses it; orders that bought it are untouched. Idempotent. Raises NotFound."""
    product = services.store.catalog.set_archived(sku, archived)
    if product is None:
        raise NotFound(f"no product {sku}", code="product_not_found")
    return product
