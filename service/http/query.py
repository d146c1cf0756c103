"""Query parameters, typed and bounded: the one way the HTTP layer reads ``request.args``.

A parameter that is repeated, not of its type, not finite, or out of its bounds is a 422
``invalid_query`` naming the field (``{"error": {"code", "message", "field"}}``), never a
500; an endpoint may also refuse parameters it does not know. Bounds are chosen so that
every value that passes can be turned into a date or a duration without overflowing.
"""

import math
import re
from collections.abc import Collection
from datetime import UTC, datetime

from flask import request

from ..errors import ValidationFailed

MAX_TEXT = 64  # longer values are refused before they are parsed
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field} {message}", code="invalid_query", details={"field": field})


def only(allowed: Collection[str]) -> None:
    """Refuse any parameter not in ``allowed`` (a typo must not silently change a query)."""
    for name in request.args:
        if name not in allowed:
            raise _invalid(name[:MAX_TEXT], f"is not a parameter of this endpoint (allowed: {', '.join(allowed)})")


def text(field: str) -> str | None:
    """The one value of ``field``, or None; refuses a repeated or oversized value."""
    values = request.args.getlist(field)
    if not values:
        return None
    if len(values) > 1:
        raise _invalid(field, "is given more than once")
    if len(values[0]) > MAX_TEXT:
        raise _invalid(field, f"is longer than {MAX_TEXT} characters")
    return values[0]


def integer(field: str, default: int, low: int, high: int) -> int:
    """``field`` as an integer in [low, high] (``default`` when absent)."""
    value = text(field)
    if value is None:
        return default
    if not _INTEGER.fullmatch(value) or not low <= int(value) <= high:
        raise _invalid(field, f"must be an integer from {low} to {high}")
    return int(value)


def number(field: str, default: float | None, low: float, high: float) -> float | None:
    """``field`` as a finite number in [low, high] (``default`` when absent)."""
    value = text(field)
    if value is None:
        return default
    try:
        parsed = float(value)
    except ValueError:
        parsed = math.nan
    if not (math.isfinite(parsed) and low <= parsed <= high):
        raise _invalid(field, f"must be a number from {low:g} to {high:g}")
    return parsed


def choice(field: str, choices: Collection[str]) -> str | None:
    """``field`` if it is one of ``choices``, else None when absent."""
    value = text(field)
    if value is not None and value not in choices:
        raise _invalid(field, f"must be one of {', '.join(choices)}")
    return value


def instant(field: str, earliest: datetime, latest: datetime) -> datetime | None:
    """``field`` as an ISO 8601 date-time in [earliest, latest], in UTC: an offset is
    converted (``+02:00`` means two hours earlier in UTC), no offset means UTC."""
    value = text(field)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset that moves year 1 or 9999 out of range
        raise _invalid(field, "must be an ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z") from None
    if not earliest <= parsed <= latest:
        raise _invalid(field, f"must be from {earliest.isoformat()} to {latest.isoformat()}")
    return parsed
