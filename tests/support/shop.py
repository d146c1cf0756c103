"""The shop's side of order events in tests: one endpoint secret (Standard Webhooks' whsec_
form) for the local receiver that the ``receiver`` fixture (conftest) starts."""

import base64

SHOP_SECRET = "whsec_" + base64.b64encode(b"s" * 32).decode()
