"""The reference checkout page (``GET /``) and the catalog it lists (``GET /products``).

The page is a template plus plain static JS/CSS (service/static/): no build step. It gets
three values from the server, all public: the publishable key, the Stripe.js URL
(``STRIPE_JS_URL``; the dev stack points it at the simulator's stand-in, so the page's code
is the same offline and against real Stripe) and the decimals of every currency that does
not have two (``domain/currency.py``, the one table), so amounts display as Stripe counts
them. A secret key never reaches this module's output.
"""

import json
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template

from .. import handlers
from ..domain.currency import THREE_DECIMAL, ZERO_DECIMAL

bp = Blueprint("web", __name__)
# Currencies whose minor unit is not a hundredth, for the page's money() (service/static/dom.js).
CURRENCY_DECIMALS = json.dumps(
    {**dict.fromkeys(sorted(ZERO_DECIMAL), 0), **dict.fromkeys(sorted(THREE_DECIMAL), 3)}, separators=(",", ":")
)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(stripe_js_url: str) -> str:
    """The page's CSP: scripts only from us and Stripe.js's origin, no inline script, API
    calls only to us and Stripe (the hosts Stripe documents for Stripe.js)."""
    js = _origin(stripe_js_url)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {js} https://*.js.stripe.com",
            f"frame-src {js} https://*.js.stripe.com https://hooks.stripe.com",
            f"connect-src 'self' {js} https://api.stripe.com",
            "img-src 'self' data: https://*.stripe.com",
            # Stripe.js positions its iframes with inline styles; styles cannot run code.
            "style-src 'self' 'unsafe-inline'",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
        ]
    )


@bp.get("/")
def index() -> Response:
    """The checkout page; cacheable by nobody since the key can change with the config."""
    settings = handlers.services_of(current_app).settings
    html = render_template(
        "index.html",
        publishable_key=settings.stripe_publishable_key,
        stripe_js_url=settings.stripe_js_url,
        currency_decimals=CURRENCY_DECIMALS,
    )
    response = current_app.make_response(html)
    response.headers["Content-Security-Policy"] = content_security_policy(settings.stripe_js_url)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.get("/products")
def products() -> Response:
    """``{"products": [{sku, name, unit_amount, currency}, ...]}`` sorted by name."""
    return jsonify({"products": handlers.list_products(handlers.services_of(current_app))})


def register(app: Flask) -> None:
    """Attach the page and the catalog listing to ``app``."""
    app.register_blueprint(bp)
