"""The product catalog: the only source of prices. Raises DatabaseUnavailable when the
retry budget is spent."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pymongo import ReturnDocument
from pymongo.collection import Collection

from ..clock import utcnow
from .documents import Product
from .retry import RetryPolicy

Doc = dict[str, Any]
MAX_PRODUCTS = 200  # a demo shop's page, not a search API: bound the reply and the query
_PRICED = ("name", "unit_amount", "currency")


def _products() -> "Collection[Doc]":
    return Product._get_collection()


def _view(doc: Mapping[str, Any], with_archived: bool) -> Doc:
    view = {"sku": doc["_id"], **{field: doc[field] for field in _PRICED}}
    if with_archived:
        view["archived"] = bool(doc.get("archived"))
    return view


class CatalogStore:
    """The ``products`` collection; ``retry`` bounds every call."""

    def __init__(self, retry: RetryPolicy) -> None:
        self.retry = retry

    def upsert(self, products: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
        """Insert or update each product (validated by domain.catalog) by sku, leaving its
        archived flag alone. Idempotent; returns the skus ``created``, ``updated`` and
        ``unchanged`` (a retried call whose first attempt landed reports them unchanged)."""
        docs = [Product(**product).to_mongo().to_dict() for product in products]

        def op() -> dict[str, list[str]]:
            result: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
            for doc in docs:
                fields = {field: doc[field] for field in _PRICED}
                written = _products().update_one({"_id": doc["_id"]}, {"$set": fields}, upsert=True)
                kind = (
                    "created"
                    if written.upserted_id is not None
                    else "updated"
                    if written.modified_count
                    else "unchanged"
                )
                result[kind].append(doc["_id"])
            return result

        return self.retry.run(op, "upsert_products")

    def get_many(self, skus: Iterable[str]) -> dict[str, Doc]:
        """Map sku -> product (archived ones included, with their flag) for the skus that exist."""
        return self.retry.run(
            lambda: {doc["_id"]: doc for doc in _products().find({"_id": {"$in": list(skus)}})}, "get_products"
        )

    def list_products(self, limit: int = MAX_PRODUCTS, *, include_archived: bool = False) -> list[Doc]:
        """At most ``limit`` products as ``{sku, name, unit_amount, currency}`` sorted by name:
        the ones on sale, or with ``include_archived`` every one with its ``archived`` flag."""
        query: Doc = {} if include_archived else {"archived": {"$ne": True}}

        def op() -> list[Doc]:
            cursor = _products().find(query).sort([("name", 1), ("_id", 1)]).limit(limit)
            return [_view(doc, include_archived) for doc in cursor]

        return self.retry.run(op, "list_products")

    def set_archived(self, sku: str, archived: bool) -> Doc | None:
        """Archive (or put back on sale) one product; returns its view, or None when unknown.
        Idempotent."""
        change: Doc = (
            {"$set": {"archived": True, "archived_at": utcnow()}}
            if archived
            else {
                "$set": {"archived": False},
                "$unset": {"archived_at": ""},
            }
        )

        def op() -> Doc | None:
            doc = _products().find_one_and_update({"_id": sku}, change, return_document=ReturnDocument.AFTER)
            return None if doc is None else _view(doc, True)

        return self.retry.run(op, "archive_product")
