"""Read-only catalog listing for the checkout page (``GET /products``).

It lives outside ``handlers``/``store`` because it is a pure read model for a browser:
no use case, no decision, no write. It still goes through the store's retry policy so a
database outage answers 503 like every other endpoint.
"""
from .models import Product

MAX_PRODUCTS = 200  # a demo shop's page, not a search API: bound the reply and the query


def list_products(services, limit=MAX_PRODUCTS):
    """Return at most ``limit`` products as ``{sku, name, unit_amount, currency}`` dicts,
    sorted by name. Raises DatabaseUnavailable when the retry budget is spent."""
    def op():
        cursor = Product._get_collection().find({}).sort([("name", 1), ("_id", 1)]).limit(limit)
        return [{"sku": doc["_id"], "name": doc["name"], "unit_amount": doc["unit_amount"],
                 "currency": doc["currency"]} for doc in cursor]
    return services.store.retry.run(op, "list_products")
