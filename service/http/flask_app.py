"""The service's Flask class: Flask, with ``ensure_sync``'s answer remembered per function.

Flask asks ``ensure_sync`` for every hook and view of every request (six times for an
API request), and each answer is an ``inspect.iscoroutinefunction`` check: about 1.5 %
of a worker's CPU on the webhook route in a worker profile, when Flask still served it. A plain function's answer
never changes, so it is computed once; anything else (a bound method, a partial) is asked
afresh, so nothing per request is kept. Flask documents ``ensure_sync`` as the method to
override for this.
"""

import types
from collections.abc import Callable
from typing import Any

from flask import Flask


class ServiceFlask(Flask):
    """Flask whose ``ensure_sync`` caches its answer for plain functions."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's answer for ``func`` (itself, or a wrapper running an ``async def``)."""
        if type(func) is not types.FunctionType:
            return super().ensure_sync(func)
        found = self._sync.get(func)
        if found is None:
            found = self._sync[func] = super().ensure_sync(func)
        return found
