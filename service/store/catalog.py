"""The product catalog: the only source of prices. Raises DatabaseUnavailable when the
retry budget is spent."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pymongo.collection import Collection

from .documents import Product
from .retry import RetryPolicy

Doc = dict[str, Any]
MAX_PRODUCTS = 200  # a demo shop's page, not a search API: bound the reply and the query


def _products() -> "Collection[Doc]":
    return Product._get_collection()


class CatalogStore:
    """The ``products`` collection; ``retry`` bounds every call."""

    def __init__(self, retry: RetryPolicy) -> None:
        self.retry = retry

    def upsert(self, products: Sequence[Mapping[str, Any]]) -> int:
        """Insert or replace each product (validated by domain.catalog) by sku. Idempotent;
        returns the count."""
        docs = [Product(**product).to_mongo().to_dict() for product in products]

        def op() -> int:
            for doc in docs:
                _products().replace_one({"_id": doc["_id"]}, doc, upsert=True)
            return len(docs)

        return self.retry.run(op, "upsert_products")

    def get_many(self, skus: Iterable[str]) -> dict[str, Doc]:
        """Map sku -> product for the skus that exist."""
        return self.retry.run(
            lambda: {doc["_id"]: doc for doc in _products().find({"_id": {"$in": list(skus)}})}, "get_products"
        )

    def list_products(self, limit: int = MAX_PRODUCTS) -> list[Doc]:
        """At most ``limit`` products as ``{sku, name, unit_amount, currency}``, sorted by name."""

        def op() -> list[Doc]:
            cursor = _products().find({}).sort([("name", 1), ("_id", 1)]).limit(limit)
            return [
                {"sku": doc["_id"], "name": doc["name"], "unit_amount": doc["unit_amount"], "currency": doc["currency"]}
                for doc in cursor
            ]

        return self.retry.run(op, "list_products")
