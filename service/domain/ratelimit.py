"""Fixed-window rate limits: which counter a request increments, and what to answer.

Pure. A window of ``seconds`` starts at a multiple of ``seconds`` (unix time), so every
process and dyno computes the same window for the same instant and increments the same
counter (kept in the database). A client's key is a digest of its IP address: no address
is stored. Over the limit, ``retry_after`` is the whole seconds until the window ends.
"""

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from typing import Final

UNKNOWN_CLIENT: Final = "unknown"


@dataclass(frozen=True)
class Window:
    """One counter: its id (scope, client and window start) and when the window ends."""

    counter_id: str
    ends_at: float


def client_key(address: str | None) -> str:
    """A short digest of a valid IP address; ``unknown`` for anything else (one shared bucket)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return UNKNOWN_CLIENT
    return hashlib.sha256(ip.packed).hexdigest()[:24]


def window(scope: str, client: str, now: float, seconds: int) -> Window:
    """The window of ``scope`` (e.g. ``checkout:ip``) for ``client`` containing ``now``."""
    start = int(now // seconds) * seconds
    return Window(f"{scope}:{client}:{start}", start + seconds)


def retry_after(now: float, ends_at: float) -> int:
    """Whole seconds (at least 1) a refused client should wait: until its window ends."""
    return max(1, math.ceil(ends_at - now))
