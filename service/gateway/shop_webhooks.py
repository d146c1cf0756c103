"""POST one signed order event to one shop endpoint over plain HTTP(S).

``http.client`` follows no redirect: a 3xx is a failed attempt like any other non-2xx
(following one would hand a signed event to a host nobody configured). A short timeout
covers the connect and every read; at most a few bytes of the answer are read, and none
is kept. Never raises for what the endpoint does: the outcome says what happened.
"""

import http.client
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

_READ_AT_MOST = 1024  # drain a little of the answer so the connection closes cleanly; discard it


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: the HTTP status (None when none came) or the error's kind."""

    status: int | None
    error: str | None
    elapsed_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST ``body`` to ``url`` with ``headers``; an Outcome, never an exception from the peer."""
    parts = urlsplit(url)
    started = time.monotonic()
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname or "", parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={**headers, "Content-Type": "application/json", "User-Agent": "payments-order-events/1"},
        )
        response = connection.getresponse()
        response.read(_READ_AT_MOST)
        return Outcome(response.status, None, _ms(started))
    except TimeoutError:
        return Outcome(None, "timeout", _ms(started))
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, type(exc).__name__, _ms(started))
    finally:
        connection.close()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
