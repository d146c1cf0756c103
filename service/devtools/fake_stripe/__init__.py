"""A local, stateful fake of the Stripe API (PaymentIntents, Refunds, Events, and the money
side: balance transactions, the balance, disputes, payouts) with idempotency keys,
scripted faults and signed webhook delivery.

Drive it with the real stripe-python client:
    fake = FakeStripe(api_key="sk_test_fake").start()
    client = stripe.StripeClient("sk_test_fake", base_addresses={"api": fake.url})
"""

from .errors import FakeStripeError
from .fake import FakeStripe
from .pricing import Pricing
from .state import AsyncTiming, RequestRecord
from .webhooks import Deliverer, sign_payload

__all__ = ["AsyncTiming", "Deliverer", "FakeStripe", "FakeStripeError", "Pricing", "RequestRecord", "sign_payload"]
