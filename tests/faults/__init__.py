"""Proof under faults: the service under real gunicorn, a SecantusDB daemon and the fake
Stripe server, with database failpoints, SIGKILLs and Stripe faults; every scenario ends
by checking the payment invariants (``invariants.py``)."""
