"""JSON for the hot path: orjson, several times faster than the standard library at parsing
webhook bodies and writing their inbox payloads and replies.

Stricter than ``json`` where it matters nowhere for Stripe: NaN/Infinity, integers beyond
64 bits and lone surrogates are refused (a Stripe event has none of them; such a body is
answered 400 as malformed). No I/O; no service imports.
"""

from typing import Any

import orjson

JSONDecodeError = orjson.JSONDecodeError  # a ValueError


def loads(data: bytes | str) -> Any:
    """Parse JSON text or UTF-8 bytes. Raises JSONDecodeError (a ValueError) on bad input."""
    return orjson.loads(data)


def dumps(value: Any) -> bytes:
    """Compact JSON bytes (no spaces). Raises TypeError for a value JSON cannot hold."""
    return orjson.dumps(value)


def dumps_text(value: Any) -> str:
    """Compact JSON as a str, as ``json.dumps(value, separators=(",", ":"))`` writes it for
    JSON-born values. Raises TypeError for a value JSON cannot hold."""
    return orjson.dumps(value).decode("utf-8")
