"""Checkout phase: POST /checkout through gunicorn against the fake Stripe server (each
request prices from the catalog, stores a pending order, creates a PaymentIntent)."""

from tests.benchmarks import workload
from tests.benchmarks.stack import run_loadgen
from tests.benchmarks.webhook_bench import Meter


def run_phase(stack, server, db_name, args):
    """Saturation (closed loop) then a fixed rate at half of it; returns both results."""
    path = workload.write_requests(stack.path("checkout.jsonl"), workload.checkout_requests(args.checkout_requests))
    print("  checkout saturation", flush=True)
    with Meter(stack, server, db_name) as meter:
        saturation = run_loadgen(server.url, path, "closed", args.duration, args.warmup, connections=args.connections)
    saturation.update(meter.per_request(max(1, saturation["sent_total"])))
    rate = round(0.5 * saturation["throughput_rps"], 1)
    print(f"  checkout fixed rate {rate}/s", flush=True)
    with Meter(stack, server, db_name) as meter:
        fixed = run_loadgen(server.url, path, "open", args.duration, args.warmup, rate=rate)
    fixed.update(meter.per_request(max(1, fixed["sent_total"])))
    stripe_calls = stack.fake.count("POST", "/v1/payment_intents")
    return {"saturation": saturation, "fixed_rate": fixed, "rate": rate, "stripe_creates": stripe_calls}
