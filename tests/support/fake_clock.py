"""A settable clock for the fake Stripe's own tests: `created` filters, idempotency-key expiry
and balance availability become deterministic."""

T0 = 1_700_000_000.0
FAKE_API_KEY = "sk_test_fake"


class Clock:
    """Unix seconds the test sets (``clock.now += 61``)."""

    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now
