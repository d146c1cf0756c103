"""Response headers every answer carries, and which proxy headers are believed.

- ``X-Content-Type-Options: nosniff`` on every response (JSON errors, the page, /metrics):
  a browser never sniffs an answer into something executable.
- ``Strict-Transport-Security`` when the request reached the router over HTTPS.
- The proxy's ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are trusted for exactly
  ``TRUSTED_PROXY_HOPS`` hops (Heroku's router: 1) with werkzeug's ProxyFix: each proxy
  appends, so the value that many places from the right is the one the nearest trusted proxy
  saw; anything a client put further left is ignored. ``request.remote_addr`` (the client IP
  in the request log and the checkout rate limit) and ``request.scheme`` come from there.
"""

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

HSTS = "max-age=31536000"  # a year; no includeSubDomains: the app does not own its parent domain


def security_headers(scheme: str) -> list[tuple[str, str]]:
    """The headers every answer carries, for a request that came over ``scheme`` (as the
    trusted proxy saw it)."""
    found = [("X-Content-Type-Options", "nosniff")]
    if scheme == "https":
        found.append(("Strict-Transport-Security", HSTS))
    return found


def _secure_headers(response: Response) -> Response:
    for name, value in security_headers(request.scheme):
        response.headers[name] = value
    return response


def register(app: Flask, trusted_proxy_hops: int) -> None:
    """Trust ``trusted_proxy_hops`` proxies' forwarding headers and add the security headers."""
    if trusted_proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted_proxy_hops, x_proto=trusted_proxy_hops)  # type: ignore[method-assign]
    app.after_request(_secure_headers)
