"""The shape a verified Stripe event must have before the inbox stores it.

Pure. A signed body can still be malformed (a Stripe bug, a test tool, a replay of a
hand-edited payload): it is refused with a 400 rather than stored or crashing the apply.
"""

from typing import Any, Final

from ..errors import WebhookRejected
from .annotations import event_refs
from .identifiers import EVENT_ID, valid


def check_event_shape(event: Any) -> None:
    """Raise WebhookRejected (400) unless ``event`` looks like a Stripe event whose
    identifiers the inbox can store: an ``evt_`` id (base62 and underscores), a type, an int64 ``created`` and a
    ``data.object``. Runs after the signature holds, before anything is stored. A "thin" v2
    event (no snapshot of the object) is refused with code ``thin_event``."""
    data = event.get("data") if isinstance(event, dict) else None
    if is_thin_event(event):
        raise WebhookRejected(
            "this is a thin (v2) event without the object's snapshot; configure the event destination "
            "with the snapshot payload style (a v1 webhook endpoint) for this service",
            code="thin_event",
        )
    if not (
        isinstance(event, dict)
        and valid(EVENT_ID, event.get("id"))
        and isinstance(event.get("type"), str)
        and event["type"]
        and isinstance(event.get("created"), int)
        and 0 <= event["created"] < 2**63  # BSON int64
        and isinstance(data, dict)
        and isinstance(data.get("object"), dict)
    ):
        raise WebhookRejected("the body is not a Stripe event", code="malformed_event")
    try:
        refs: tuple[Any, ...] = event_refs(event)
    except AttributeError:  # e.g. metadata that is not an object
        refs = (0,)
    if not all(_storable(value) for value in (event["id"], event["type"], *refs)):
        raise WebhookRejected("the event's identifiers are malformed", code="malformed_event")


def is_thin_event(event: Any) -> bool:
    """True for Stripe's thin v2 events: ``object: "v2.core.event"``, or a body that names a
    ``related_object`` instead of carrying ``data.object``."""
    if not isinstance(event, dict):
        return False
    data = event.get("data")
    has_snapshot = isinstance(data, dict) and "object" in data
    return event.get("object") == "v2.core.event" or ("related_object" in event and not has_snapshot)


def _storable(value: object) -> bool:
    """None, or a string the inbox can hold (JSON's "\\ud800" decodes to a lone surrogate,
    which has no UTF-8 form)."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# Keys whose values authorise something (a PaymentIntent's or SetupIntent's ``client_secret``
# confirms a payment from a browser; an endpoint's ``secret`` signs webhooks): never stored.
SECRET_KEYS: Final = frozenset({"client_secret", "secret"})


def without_secrets(event: Any) -> Any:
    """A copy of ``event`` with every ``SECRET_KEYS`` key removed at any depth. Iterative, so a
    deeply nested (but parseable) event cannot exhaust the stack."""
    root: list[Any] = [None]
    pending: list[tuple[Any, list[Any] | dict[str, Any], Any]] = [(event, root, 0)]
    while pending:
        value, parent, slot = pending.pop()
        if isinstance(value, dict):
            copy: dict[str, Any] = {}
            parent[slot] = copy
            for key, item in value.items():
                if key not in SECRET_KEYS:
                    copy[key] = None
                    pending.append((item, copy, key))
        elif isinstance(value, list):
            items: list[Any] = [None] * len(value)
            parent[slot] = items
            pending.extend((item, items, index) for index, item in enumerate(value))
        else:
            parent[slot] = value
    return root[0]
