"""The HTTP surface: the public API (checkout, orders, the Stripe webhook, health), the
checkout page, the admin API, /metrics, /openapi.json, and the one place errors become JSON.

Modules here parse requests and shape responses; every decision is a handler's.
"""

from flask import Flask

from ..handlers import services_of
from . import admin, api, errors, headers, metrics, openapi, page, webhook_lane


def register(app: Flask) -> None:
    """Attach every route, the JSON error mapping and the request log to ``app``."""
    errors.register(app)
    webhook_lane.register(app)  # inside ProxyFix (headers), which wraps what is there
    headers.register(app, services_of(app).settings.trusted_proxy_hops)
    api.register(app)
    page.register(app)
    admin.register(app)
    metrics.register(app)
    openapi.register(app)
