"""The adversarial suite: an outsider's attacks (no webhook secret, admin token or Stripe key)
against one instance started as the Procfile starts it (gunicorn, loopback only), bounded in
count and time. ``python -m tests.adversarial [--size N]`` prints the table published in
SECURITY.md; ``tests/test_adversarial.py`` runs it at the default size and asserts that no
attack succeeds."""
