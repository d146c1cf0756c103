"""Pacing of Stripe reads: the reconciler and the report stay under Stripe's rate limit; a
long pass can report its progress through the same calls."""

import time
from collections.abc import Callable


class RateLimiter:
    """Spaces calls at least 1/rate seconds apart (Stripe allows 100 reads/s live). With
    ``progress``, each call also reports the current stage and the requests made so far."""

    def __init__(self, per_second: float, progress: Callable[[str], None] | None = None) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.next_at = 0.0
        self.progress = progress
        self.stage = "Stripe"
        self.calls = 0

    def begin(self, stage: str) -> None:
        """Name the step the next calls belong to (for progress lines)."""
        self.stage = stage
        if self.progress is not None:
            self.progress(stage)

    def wait(self) -> None:
        """Sleep until the next call is allowed (no sleep when the rate is 0: unlimited)."""
        now = time.monotonic()
        if now < self.next_at:
            time.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval
        self.calls += 1
        if self.progress is not None:
            self.progress(f"{self.stage}: {self.calls} Stripe requests so far")
