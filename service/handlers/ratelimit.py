"""Pacing of Stripe reads: the reconciler and the report stay under Stripe's rate limit."""

import time


class RateLimiter:
    """Spaces calls at least 1/rate seconds apart (Stripe allows 100 reads/s live)."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.next_at = 0.0

    def wait(self) -> None:
        """Sleep until the next call is allowed (no sleep when the rate is 0: unlimited)."""
        now = time.monotonic()
        if now < self.next_at:
            time.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval
