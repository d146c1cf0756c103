"""Decode Stripe's form encoding and coerce its string leaves.

stripe-python (16.x, `_encode._api_encode`) sends nested values as bracketed keys:
`metadata[order_id]=o1`, `created[gte]=1700000000`, arrays always indexed (`types[0]=a`),
booleans as `true`/`false`, and unescapes `[`/`]` after urlencoding. curl users write
`types[]=a`; both are accepted. Every leaf arrives as a string.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import parse_qsl

from .errors import invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


def parse_form(text: str) -> dict:
    """Return the params as nested dicts/lists of strings.

    Guarantees: `a[b]=1` -> {"a": {"b": "1"}}; `a[0]=x&a[1]=y` and `a[]=x&a[]=y` ->
    {"a": ["x", "y"]} in index order; blank values are kept (Stripe uses `metadata[k]=`
    to unset a key). Raises FakeStripeError (400) on a malformed key.
    """
    root: dict = {}
    for raw_key, value in parse_qsl(text, keep_blank_values=True):
        match = _KEY.match(raw_key)
        if not match:
            raise invalid(f"Invalid parameter name: {raw_key}")
        parts = [match.group(1), *_PART.findall(match.group(2))]
        node = root
        for depth, raw_part in enumerate(parts):
            part = raw_part if raw_part != "" else str(len(node))
            if depth == len(parts) - 1:
                node[part] = value
                continue
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise invalid(f"Invalid parameter name: {raw_key}", param=raw_key)
            node = child
    return _listify(root)


def _listify(node):
    # A dict keyed 0..n is how an array travels on the wire; restore it so handlers see lists.
    if not isinstance(node, dict):
        return node
    items = {key: _listify(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


def check_known(params: dict, allowed: Collection[str]) -> None:
    """Raise 400 parameter_unknown for the first param Stripe would not accept here.

    The fake refuses what it does not model instead of silently ignoring it, so a typo
    in the caller fails the same way it would against Stripe.
    """
    for name in params:
        if name not in allowed:
            raise invalid(f"Received unknown parameter: {name}", param=name, code="parameter_unknown")


def to_int(value, param: str) -> int:
    """Return `value` as an int, or raise 400 parameter_invalid_integer naming `param`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    raise invalid(f"Invalid integer: {value}", param=param, code="parameter_invalid_integer")


def to_bool(value, param: str) -> bool:
    """Return `value` as a bool (accepts True/False and "true"/"false"), else raise 400."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise invalid(f"Invalid boolean: {value}", param=param)


def to_list(value, param: str) -> list:
    """Return `value` as a list (a lone string counts as one element), else raise 400."""
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [value]
    raise invalid(f"Invalid array: {param}", param=param)


def to_metadata(value, param: str = "metadata") -> dict:
    """Return metadata as a str->str dict within Stripe's limits; blank values are dropped."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise invalid("Invalid object", param=param)
    if len(value) > 50:
        raise invalid("Metadata can have at most 50 keys.", param=param)
    for key, item in value.items():
        if not isinstance(item, str):
            raise invalid("Invalid metadata value.", param=f"{param}[{key}]")
        if len(key) > 40 or len(item) > 500:
            raise invalid("Metadata keys are limited to 40 and values to 500 characters.", param=f"{param}[{key}]")
    return {key: item for key, item in value.items() if item != ""}
