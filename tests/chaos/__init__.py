"""Chaos run: many orders paid through the fake Stripe while faults are injected into real
processes (database failpoints and SIGKILL, Stripe API faults, lost, duplicated and
reordered webhook deliveries), then one reconcile pass; prints a table and exits non-zero
if any invariant fails. Run ``python -m tests.chaos --help``."""
