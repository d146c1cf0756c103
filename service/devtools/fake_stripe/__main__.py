"""Run the fake standalone: `python -m service.devtools.fake_stripe --port 12111`.

Point the service at it with STRIPE_API_BASE=<printed URL>. Pay for a PaymentIntent the
way Stripe.js would: POST /v1/payment_intents/<id>/confirm payment_method=pm_card_visa.
"""

from __future__ import annotations

import argparse
import threading

from .fake import FakeStripe


def main(argv: list[str] | None = None) -> None:
    """Start the server, print its URL, serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m service.devtools.fake_stripe",
        description="Run the stateful fake Stripe API on its own; point the service at it with STRIPE_API_BASE.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=12111, help="port to listen on (default: %(default)s)")
    parser.add_argument("--api-key", default="sk_test_fake", help="the secret key it accepts (default: %(default)s)")
    parser.add_argument("--webhook-url", help="POST every new event here, signed")
    parser.add_argument(
        "--webhook-secret", action="append", default=[], help="endpoint secret (repeat while rolling secrets)"
    )
    args = parser.parse_args(argv)
    fake = FakeStripe(
        args.api_key,
        webhook_url=args.webhook_url,
        webhook_secrets=args.webhook_secret,
        auto_deliver=bool(args.webhook_url),
        webhook_backoff=(1.0, 5.0, 30.0),
        webhook_max_attempts=4,
    )
    fake.start(args.host, args.port)
    print(fake.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
