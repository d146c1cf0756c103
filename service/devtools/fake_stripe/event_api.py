"""Events endpoints: list with Stripe's filters and cursors, retrieve by id."""

from __future__ import annotations

from . import listing
from .forms import check_known, to_bool
from .state import EVENT_RETENTION, Call


def list_events(call: Call) -> dict:
    """GET /v1/events: newest first within 30 days; `type`, `types`, `created`,
    `delivery_success` filters; cursor pages."""
    p = call.params
    check_known(
        p, {"type", "types", "created", "delivery_success", "limit", "starting_after", "ending_before", "expand"}
    )
    by_created = listing.created_filter(p.get("created"))
    by_type = listing.type_filter(p.get("type"), p.get("types"))
    delivered = to_bool(p["delivery_success"], "delivery_success") if "delivery_success" in p else None
    oldest = call.store.now() - EVENT_RETENTION
    return listing.page(
        list(reversed(call.store.events)),
        lambda evt: (
            evt["created"] >= oldest
            and by_created(evt)
            and by_type(evt)
            and delivered in (None, evt["pending_webhooks"] == 0)
        ),
        p,
        "/v1/events",
        "event",
    )


def retrieve_event(call: Call) -> dict:
    """GET /v1/events/:id: the event, or 404 resource_missing."""
    check_known(call.params, {"expand"})
    return call.store.find_event(call.args["id"])
