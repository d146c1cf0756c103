"""A presumed transition's conditions (domain/presumption.py) as the filter terms that
``OrderStore.apply_transition`` adds to its own (``_id``, status, fact not in history).

Every term is an equality or a range on one field of the document found by ``_id``: the
update is served by the ``_id`` index on MongoDB and SecantusDB alike (no top-level ``$or``
or ``$and``, which SecantusDB's write planner would serve with a collection scan)."""

from typing import Any

from ..domain.presumption import Presumption


def presumed_filter(presumption: Presumption) -> dict[str, Any]:
    """The extra filter terms of ``presumption`` (its PI, and the amount, currency and
    clock conditions it carries). Pure."""
    terms: dict[str, Any] = {"payment_intent_id": presumption.payment_intent_id}
    if presumption.amount is not None:
        terms["amount"] = presumption.amount
    if presumption.currency is not None:
        terms["currency"] = presumption.currency
    if presumption.not_before is not None:
        terms["last_event_at"] = {"$lte": presumption.not_before}
    return terms
