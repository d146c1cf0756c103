"""The checkout page and its catalog endpoint, in-process: what the browser is given."""

import os
import subprocess
import sys

from tests.support.helpers import API_KEY, OLD_WEBHOOK_SECRET, WEBHOOK_SECRET
from tests.support.processes import ROOT

SECRETS = (API_KEY, WEBHOOK_SECRET, OLD_WEBHOOK_SECRET, "sk_test", "whsec_")


def test_the_page_carries_the_publishable_key_and_the_stripe_js_url(client):
    """GET / is HTML with the publishable key and production Stripe.js by default."""
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert 'data-publishable-key="pk_test_fake"' in html
    assert '<script src="https://js.stripe.com/v3/"></script>' in html
    assert response.headers["Cache-Control"] == "no-store"


def test_no_secret_reaches_the_page_or_its_scripts(client):
    """Neither the page nor any static file it loads contains a secret key or webhook secret."""
    bodies = [client.get("/").get_data(as_text=True)]
    for name in os.listdir(os.path.join(ROOT, "service", "static")):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name
        bodies.append(response.get_data(as_text=True))
        response.close()
    for body in bodies:
        assert not any(secret in body for secret in SECRETS)


def test_the_page_forbids_inline_script_and_foreign_script_origins(client):
    """The CSP allows scripts only from the service and Stripe.js's origin."""
    policy = client.get("/").headers["Content-Security-Policy"]
    script_src = next(part for part in policy.split("; ") if part.startswith("script-src"))
    assert script_src == "script-src 'self' https://js.stripe.com https://*.js.stripe.com"
    assert "'unsafe-inline'" not in script_src and "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_stripe_js_url_setting_points_the_page_at_a_stand_in(make_app, fake_stripe):
    """STRIPE_JS_URL (the dev stack's simulator) replaces Stripe.js in the page and its CSP."""
    app = make_app(STRIPE_JS_URL=f"{fake_stripe.url}/v3/")
    response = app.test_client().get("/")
    assert f'<script src="{fake_stripe.url}/v3/"></script>' in response.get_data(as_text=True)
    assert f"connect-src 'self' {fake_stripe.url} " in response.headers["Content-Security-Policy"]


def test_products_lists_the_catalog_by_name(client):
    """GET /products returns every product with its price in minor units, sorted by name."""
    response = client.get("/products")
    assert response.status_code == 200
    assert response.get_json()["products"] == [
        {"sku": "print", "name": "Art print", "unit_amount": 3000, "currency": "eur"},
        {"sku": "mug", "name": "Mug", "unit_amount": 1250, "currency": "usd"},
        {"sku": "tee", "name": "T-shirt", "unit_amount": 2000, "currency": "usd"},
    ]


def test_products_answers_503_json_when_the_database_is_down(own_mongo, make_app):
    """A database outage is a quick JSON 503, like every other endpoint."""
    app = make_app(mongo=own_mongo)
    own_mongo.kill()
    response = app.test_client().get("/products")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"


def test_serving_the_app_never_imports_the_stripe_simulator():
    """Production code (create_app + the page) does not load anything from service.devtools."""
    code = (
        "import sys; from service import create_app; "
        "app = create_app({'MONGODB_URI': 'mongodb://127.0.0.1:9/x', 'STRIPE_SECRET_KEY': 'sk_test_x', "
        "'STRIPE_WEBHOOK_SECRET': 'whsec_x', 'STRIPE_PUBLISHABLE_KEY': 'pk_test_x'}); "
        "assert app.test_client().get('/').status_code == 200; "
        "print(sorted(m for m in sys.modules if m.startswith('service.devtools')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
