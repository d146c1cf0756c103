"""Reading request bodies: size limits that also hold for chunked bodies, and JSON that
fails as a 4xx, never a 500."""

from typing import Any

from flask import current_app, request

from ..errors import BadRequest, PayloadTooLarge, UnsupportedMediaType


def raw_body() -> bytes:
    """The raw body (cached for ``get_json``). Werkzeug enforces MAX_CONTENT_LENGTH on a body
    without Content-Length (chunked) by silently truncating it, so a streamed body that
    reaches the limit is refused here with the same 413 as an oversized Content-Length."""
    data = request.get_data()
    if request.content_length is None and len(data) >= current_app.config["MAX_CONTENT_LENGTH"]:
        raise PayloadTooLarge("the request body is too large")
    return data


def require_json() -> None:
    """Raise UnsupportedMediaType (415) unless the request says it is JSON."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("Content-Type must be application/json")


def json_body() -> Any:
    """The parsed JSON body. Raises UnsupportedMediaType, PayloadTooLarge, BadRequest."""
    require_json()
    raw_body()
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser can go: malformed, not a crash
        body = None
    if body is None:
        raise BadRequest("the body is not valid JSON", code="invalid_json")
    return body
