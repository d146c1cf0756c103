"""List and search semantics: filters, newest-first ordering and cursor pagination."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable

from .errors import invalid
from .forms import to_int, to_list

_CREATED_OPS = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}
_CLAUSE = re.compile(
    r"""^\s*(?:metadata\[(?P<q1>['"])(?P<key>[^'"]+)(?P=q1)\]|(?P<field>status|currency|amount))"""
    r"""\s*:\s*(?:(?P<q2>['"])(?P<text>[^'"]*)(?P=q2)|(?P<num>\d+))\s*$"""
)


def created_filter(value, param: str = "created") -> Callable[[dict], bool]:
    """Return a predicate for Stripe's `created` filter (or another timestamp field named
    by `param`, e.g. `arrival_date`): an exact int or any of gt/gte/lt/lte (combined with
    AND). Raises 400 on anything else."""
    if value is None:
        return lambda obj: True
    if not isinstance(value, dict):
        exact = to_int(value, param)
        return lambda obj: obj[param] == exact
    bounds = []
    for op, bound in value.items():
        if op not in _CREATED_OPS:
            raise invalid(
                f"Received unknown parameter: {param}[{op}]", param=f"{param}[{op}]", code="parameter_unknown"
            )
        bounds.append((_CREATED_OPS[op], to_int(bound, f"{param}[{op}]")))
    return lambda obj: all(compare(obj[param], bound) for compare, bound in bounds)


def type_filter(type_, types) -> Callable[[dict], bool]:
    """Return a predicate for events' `type` (with `*` wildcards) and `types` (any of)."""
    patterns = [type_] if type_ else []
    names = to_list(types, "types") if types is not None else None
    if names is not None and len(names) > 20:
        raise invalid("You may pass at most 20 types.", param="types")
    return lambda evt: (
        all(fnmatch.fnmatchcase(evt["type"], p) for p in patterns) and (names is None or evt["type"] in names)
    )


def page(items: list[dict], keep: Callable[[dict], bool], params: dict, url: str, kind: str) -> dict:
    """Return one Stripe list page of the kept `items` (already newest first).

    Guarantees: `limit` 1..100 (default 10); `starting_after` gives the next older items,
    `ending_before` the newer ones closest to the cursor; cursors are located among all
    items (a cursor object need not pass the filters); unknown cursor -> 400;
    `has_more` says whether more exist in the paging direction.
    """
    limit = to_int(params.get("limit", 10), "limit")
    if not 1 <= limit <= 100:
        raise invalid("This value must be between 1 and 100.", param="limit")
    ids = [item["id"] for item in items]
    after, before = params.get("starting_after"), params.get("ending_before")
    for cursor, name in ((after, "starting_after"), (before, "ending_before")):
        if cursor is not None and cursor not in ids:
            raise invalid(f"No such {kind}: '{cursor}'", param=name, code="resource_missing")
    # Lazily: a page costs its items (plus what the filter skips), not the whole list.
    if after is not None:
        data, more = _take(items[ids.index(after) + 1 :], keep, limit)
    elif before is not None:
        data, more = _take(reversed(items[: ids.index(before)]), keep, limit)
        data.reverse()
    else:
        data, more = _take(items, keep, limit)
    return {"object": "list", "data": data, "has_more": more, "url": url}


def _take(items: Iterable[dict], keep: Callable[[dict], bool], limit: int) -> tuple[list[dict], bool]:
    """The first ``limit`` kept items, and whether a further one exists."""
    data: list[dict] = []
    for item in items:
        if keep(item):
            if len(data) == limit:
                return data, True
            data.append(item)
    return data, False


def search_filter(query: str) -> Callable[[dict], bool]:
    """Return a predicate for the subset of Stripe's search language the fake supports:
    clauses `metadata['k']:'v'`, `status:'x'`, `currency:'x'`, `amount:N` joined by AND.
    Anything else raises 400 rather than silently matching nothing."""
    if not query or not query.strip():
        raise invalid("Missing required param: query.", param="query", code="parameter_missing")
    checks = []
    for clause in re.split(r"\s+AND\s+", query.strip(), flags=re.IGNORECASE):
        match = _CLAUSE.match(clause)
        if not match or (match["field"] == "amount") != (match["num"] is not None):
            raise invalid(f"The fake Stripe cannot parse this search query clause: {clause}", param="query")
        if match["key"]:
            key, wanted = match["key"], match["text"]
            checks.append(lambda pi, k=key, w=wanted: pi["metadata"].get(k) == w)
        else:
            field = match["field"]
            wanted = int(match["num"]) if field == "amount" else match["text"]
            checks.append(lambda pi, f=field, w=wanted: pi[f] == w)
    return lambda pi: all(check(pi) for check in checks)


def search_page(items: list[dict], keep: Callable[[dict], bool], params: dict, url: str) -> dict:
    """Return one `search_result` page (newest first); `next_page` is an opaque token that
    stripe-python passes back as `page`."""
    limit = to_int(params.get("limit", 10), "limit")
    if not 1 <= limit <= 100:
        raise invalid("This value must be between 1 and 100.", param="limit")
    token = params.get("page")
    offset = 0
    if token is not None:
        if not re.fullmatch(r"page_\d+", str(token)):
            raise invalid("Invalid page token.", param="page")
        offset = int(token[5:])
    matched = [item for item in items if keep(item)]
    data = matched[offset : offset + limit]
    more = len(matched) > offset + limit
    return {
        "object": "search_result",
        "data": data,
        "has_more": more,
        "next_page": f"page_{offset + limit}" if more else None,
        "url": url,
    }
