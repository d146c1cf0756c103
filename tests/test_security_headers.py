"""Security headers on every answer, HSTS only over HTTPS, and forwarding headers believed for
the configured number of proxy hops only (the client IP in the request log comes from there)."""

import pytest

from tests.support.helpers import checkout

TOKEN = "admin-" + "s" * 34
REQUESTS = [
    ("GET", "/healthz", {}, None),
    ("GET", "/", {}, None),
    ("GET", "/products", {}, None),
    ("GET", "/metrics", {}, None),
    ("GET", "/orders/ord_nope", {}, None),
    ("GET", "/no/such/route", {}, None),
    ("DELETE", "/checkout", {}, None),
    ("POST", "/checkout", {"Content-Type": "text/plain"}, b"x"),
    ("POST", "/checkout", {"Content-Type": "application/json"}, b"{"),
    ("POST", "/checkout", {"Content-Type": "application/json"}, b'{"items": []}'),
    ("POST", "/webhooks/stripe", {"Content-Type": "application/json"}, b"{}"),
    ("GET", "/admin/summary", {}, None),
    ("GET", "/admin/report?hours=inf", {"Authorization": f"Bearer {TOKEN}"}, None),
]


@pytest.fixture
def client(make_app):
    return make_app(ADMIN_TOKEN=TOKEN).test_client()


@pytest.mark.parametrize("method,path,headers,body", REQUESTS)
def test_every_answer_says_nosniff_and_no_hsts_over_plain_http(client, method, path, headers, body):
    """2xx, 4xx and the page alike carry nosniff; plain HTTP gets no HSTS."""
    response = client.open(path, method=method, headers=headers, data=body)
    assert response.headers["X-Content-Type-Options"] == "nosniff", (path, response.status_code)
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("method,path,headers,body", REQUESTS)
def test_hsts_when_the_router_says_the_request_came_over_https(client, method, path, headers, body):
    """With ``X-Forwarded-Proto: https`` from the (one) trusted proxy, every answer has HSTS."""
    response = client.open(path, method=method, headers={**headers, "X-Forwarded-Proto": "https"}, data=body)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_client_ip_in_the_request_log_is_the_one_the_trusted_proxy_saw(client, log_lines):
    """A client-supplied X-Forwarded-For entry left of the router's is ignored (1 hop trusted)."""
    client.get("/healthz", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"})
    client.get("/healthz")
    ips = [line["client_ip"] for line in log_lines() if line.get("msg") == "request"]
    assert ips == ["203.0.113.9", "127.0.0.1"]


def test_with_no_trusted_proxy_forwarding_headers_are_ignored(make_app, request):
    """TRUSTED_PROXY_HOPS=0 (no router in front): X-Forwarded-* change neither the IP nor the scheme."""
    client = make_app(TRUSTED_PROXY_HOPS=0).test_client()
    log_lines = request.getfixturevalue("log_lines")  # after the app configured its logging
    response = client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers
    assert [line["client_ip"] for line in log_lines() if line.get("msg") == "request"] == ["127.0.0.1"]


def test_two_trusted_hops_take_the_second_entry_from_the_right(make_app, request):
    """With 2 hops (a CDN in front of the router) the client is the second-to-last entry."""
    client = make_app(TRUSTED_PROXY_HOPS=2).test_client()
    log_lines = request.getfixturevalue("log_lines")
    client.get("/healthz", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7, 10.0.0.1"})
    assert [line["client_ip"] for line in log_lines() if line.get("msg") == "request"] == ["198.51.100.7"]


def test_a_checkout_answer_is_nosniff_too(client, fake_stripe):
    """The 201 with the client_secret is JSON that a browser must not sniff."""
    response = checkout(client)
    assert response.status_code == 201 and response.headers["X-Content-Type-Options"] == "nosniff"
