"""``POST /webhooks/stripe`` served straight from WSGI, past Flask's request machinery.

Stripe's deliveries are most of the service's requests, and per delivery Flask and werkzeug
(a request context, the URL map, six hooks, a Response object, about 35 context-local
lookups) cost about as much worker CPU as verifying, storing and applying the event. This
lane answers that one route with the same parts the other routes use: the handler
(``handlers.receive_webhook``), the body reader with its size limit and deadline
(``body.read_body``), the one error mapping (``errors.reply_for``) and the one request log
line (``errors.log_request``), and the same response headers (``X-Request-Id``,
``X-Content-Type-Options``, HSTS behind an HTTPS router); another method on this path is
the mapping's 405. Every other request goes on to Flask unchanged. It sits inside ProxyFix, so
``REMOTE_ADDR`` and the scheme are the trusted proxy's.
"""

import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from flask import Flask
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.http import parse_options_header

from .. import handlers, serial
from ..errors import UnsupportedMediaType
from .body import read_body
from .errors import log_request, new_request_id, reply_for
from .headers import HSTS

PATH = "/webhooks/stripe"
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class WebhookLane:
    """WSGI middleware: answers ``POST /webhooks/stripe`` itself, passes anything else to
    ``inner`` (Flask's own ``wsgi_app``)."""

    def __init__(self, app: Flask, inner: WSGIApp) -> None:
        self.app, self.inner = app, inner

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer one request; never raises for anything the request carries."""
        if environ.get("PATH_INFO") != PATH:
            return self.inner(environ, start_response)
        method = environ.get("REQUEST_METHOD", "")
        started = time.monotonic()
        request_id = new_request_id(environ.get("HTTP_X_REQUEST_ID"))
        fields: dict[str, Any] = {}
        extra: tuple[tuple[str, str], ...] = ()
        try:
            status, body = 200, self._receive(environ)
            fields = {"event_id": body["event_id"], "order_id": body.pop("order_id")}
        except Exception as exc:  # every failure leaves through the one mapping
            reply = reply_for(exc, PATH)
            status, body, extra, fields = reply.status, reply.body, reply.headers, reply.fields
        data = serial.dumps(body)
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            *extra,
            ("X-Request-Id", request_id),
            ("X-Content-Type-Options", "nosniff"),
        ]
        if environ.get("wsgi.url_scheme") == "https":
            headers.append(("Strict-Transport-Security", HSTS))
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        log_request(
            method,
            PATH,
            status,
            started,
            request_id,
            environ.get("REMOTE_ADDR"),
            environ.get("HTTP_IDEMPOTENCY_KEY"),
            fields,
        )
        return [data]

    def _receive(self, environ: dict[str, Any]) -> dict[str, Any]:
        """The delivery's reply (and its order id, for the log line). Raises what the handler
        and the body reader raise, MethodNotAllowed and UnsupportedMediaType."""
        if environ.get("REQUEST_METHOD") != "POST":
            raise MethodNotAllowed(valid_methods=["POST"])
        if parse_options_header(environ.get("CONTENT_TYPE", ""))[0].lower() != "application/json":
            raise UnsupportedMediaType("Content-Type must be application/json")
        config = self.app.config
        payload = read_body(environ, config["MAX_CONTENT_LENGTH"], config["BODY_TIMEOUT_SECONDS"])
        services = handlers.services_of(self.app)
        outcome = handlers.receive_webhook(services, payload, environ.get("HTTP_STRIPE_SIGNATURE"))
        return {
            "received": True,
            "event_id": outcome.event_id,
            "state": outcome.state,
            "duplicate": outcome.duplicate,
            "order_id": outcome.order_id,
        }


def register(app: Flask) -> None:
    """Serve the Stripe webhook through the lane (call before ProxyFix wraps ``wsgi_app``)."""
    app.wsgi_app = WebhookLane(app, app.wsgi_app)  # type: ignore[method-assign]
