"""Strict readers of the Stripe objects the service acts on: a field that is missing or of the
wrong type raises EventUnreadable naming the field and the event's ``api_version``, never a
default that looks like money (``amount_received or 0`` once read a missing amount as zero).

Pure. ``source`` is the event the object came from (its ``id``, ``type`` and ``api_version``
name the problem) or, for an object read from the API, any mapping with an ``id``.
"""

from collections.abc import Mapping
from typing import Any

from ..errors import EventUnreadable

Source = Mapping[str, Any]


def read_int(obj: Mapping[str, Any], field: str, source: Source) -> int:
    """``obj[field]`` as an int (a JSON integer, not a bool). Raises EventUnreadable."""
    value = obj.get(field) if isinstance(obj, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, int):
        raise unreadable(field, "an integer", value, source)
    return value


def read_str(obj: Mapping[str, Any], field: str, source: Source) -> str:
    """``obj[field]`` as a non-empty string. Raises EventUnreadable."""
    value = obj.get(field) if isinstance(obj, Mapping) else None
    if not isinstance(value, str) or not value:
        raise unreadable(field, "a non-empty string", value, source)
    return value


def read_currency(obj: Mapping[str, Any], field: str, source: Source) -> str:
    """``obj[field]`` as a lower-case three-letter currency code. Raises EventUnreadable."""
    value = read_str(obj, field, source).lower()
    if len(value) != 3 or not value.isascii() or not value.isalpha():
        raise unreadable(field, "a three-letter currency code", value, source)
    return value


def read_status(obj: Mapping[str, Any], field: str, table: Mapping[str, str], source: Source) -> str:
    """``obj[field]`` as one of ``table``'s statuses (``domain/stripe_statuses.py``): a status the
    service has no row for is not guessed at. Raises EventUnreadable."""
    value = read_str(obj, field, source)
    if value not in table:
        raise unreadable(field, f"one of {', '.join(table)}", value, source)
    return value


def read_optional_str(obj: Mapping[str, Any], field: str, source: Source) -> str | None:
    """``obj[field]`` as a string, or None when absent or null. Raises EventUnreadable for any
    other type."""
    value = obj.get(field) if isinstance(obj, Mapping) else None
    if value is not None and not isinstance(value, str):
        raise unreadable(field, "a string or null", value, source)
    return value or None


def read_ref(obj: Mapping[str, Any], field: str, source: Source) -> str | None:
    """The id in ``obj[field]``: an id string, an expanded object's ``id``, or None when null.
    Raises EventUnreadable for anything else."""
    value = obj.get(field) if isinstance(obj, Mapping) else None
    if isinstance(value, Mapping):
        value = value.get("id")
    if value is not None and (not isinstance(value, str) or not value):
        raise unreadable(field, "an id, an expanded object or null", value, source)
    return value


def read_metadata_order_id(obj: Mapping[str, Any], source: Source) -> str | None:
    """``obj.metadata.order_id`` or None (no metadata: not an object of ours); ``metadata``, when
    present, must be an object. Raises EventUnreadable."""
    metadata = obj.get("metadata") if isinstance(obj, Mapping) else None
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        raise unreadable("metadata", "an object", metadata, source)
    return read_optional_str(metadata, "order_id", source)


def unreadable(field: str, expected: str, value: Any, source: Source) -> EventUnreadable:
    """The EventUnreadable for ``field`` of the object in ``source``."""
    api_version = source.get("api_version")
    kind = source.get("type") or "object"
    got = "missing" if value is None else f"{type(value).__name__} {str(value)[:40]!r}"
    message = (
        f"{kind} {source.get('id')}: field {field!r} must be {expected}, got {got} "
        f"(event api_version {api_version or 'unknown'})"
    )
    return EventUnreadable(message, field=field, api_version=api_version if isinstance(api_version, str) else None)
