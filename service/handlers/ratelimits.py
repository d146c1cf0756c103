"""Checkout rate limits: per client IP and for all clients together, per fixed window, with
the counters in the database so every dyno shares them. Webhooks are never limited (Stripe
must always get through; its deliveries are verified, not counted).

A client over its own limit is refused before it counts against the global one, so one
abusive client cannot spend everyone's budget.
"""

from datetime import UTC, datetime

from ..clock import utcnow
from ..domain.ratelimit import client_key, retry_after, window
from ..errors import RateLimited
from .services import Services


def check_checkout_rate(services: Services, client_address: str | None) -> None:
    """Count one checkout attempt of ``client_address``. Raises RateLimited (429, with the
    seconds until the window ends) when the client's or everyone's limit is exceeded;
    DatabaseUnavailable when the counters cannot be read."""
    settings, now = services.settings, utcnow().timestamp()
    limits = (
        ("checkout:ip", client_key(client_address), settings.checkout_limit_per_ip, "this client"),
        ("checkout:all", "all", settings.checkout_limit_global, "all clients"),
    )
    for scope, client, limit, who in limits:
        current = window(scope, client, now, settings.checkout_limit_window_seconds)
        expires_at = datetime.fromtimestamp(current.ends_at, UTC)
        if services.store.rate_limits.hit(current.counter_id, expires_at) > limit:
            raise RateLimited(
                f"too many checkouts from {who}; retry after the window ends", retry_after(now, current.ends_at)
            )
