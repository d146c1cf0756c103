"""The catalog: import (the only way prices enter the system) and the listing the page shows."""

from typing import Any

from ..domain.catalog import validate_catalog
from .services import Services


def import_products(services: Services, entries: object) -> int:
    """Validate every entry, then upsert all by sku; returns the count. Idempotent and
    all-or-nothing: raises ValidationFailed naming the first bad entry, and nothing is
    written then; DatabaseUnavailable when the database is gone."""
    return services.store.catalog.upsert(validate_catalog(entries))


def list_products(services: Services) -> list[dict[str, Any]]:
    """The products the page lists (``{sku, name, unit_amount, currency}``, by name, bounded).
    Raises DatabaseUnavailable."""
    return services.store.catalog.list_products()
