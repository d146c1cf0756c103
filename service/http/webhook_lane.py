"""``POST /webhooks/stripe`` served straight from WSGI, past Flask's request machinery.

Stripe's deliveries are most of the service's requests, and per delivery Flask and werkzeug
(a request context, the URL map, six hooks, a Response object, about 35 context-local
lookups) cost about as much worker CPU as verifying, storing and applying the event. This
lane answers that one route with the same parts the other routes use: the handler
(``handlers.receive_webhook``), the body reader with its size limit and deadline
(``body.read_body``), the one error mapping (``errors.reply_for``) and the one request log
line (``errors.log_request``), and the same response headers (``X-Request-Id``,
``X-Content-Type-Options``, HSTS behind an HTTPS router: ``headers.security_headers``);
OPTIONS is answered as Flask answers it, any other method is the mapping's 405. Every other
request goes on to Flask unchanged. It sits inside ProxyFix, so ``REMOTE_ADDR`` and the
scheme are the trusted proxy's. No Flask hook runs for this route: a header or check added
as a hook must be added here too.
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
from .headers import security_headers

PATH = "/webhooks/stripe"
ALLOW = "OPTIONS, POST"  # the methods of the path, as Flask lists them for a POST-only route
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Headers = tuple[tuple[str, str], ...]


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
        status, data, extra, fields = self._answer(environ, method)
        headers = [("Content-Length", str(len(data))), ("X-Request-Id", request_id), *extra]
        headers += security_headers(environ.get("wsgi.url_scheme", "http"))
        if data:
            headers.append(("Content-Type", "application/json"))
        start_response(_status_line(status), headers)
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

    def _answer(self, environ: dict[str, Any], method: str) -> tuple[int, bytes, Headers, dict[str, Any]]:
        """(status, JSON body, extra headers, log fields) of the request; never raises."""
        if method == "OPTIONS":  # as Flask answers it for a POST-only route
            return 200, b"", (("Allow", ALLOW),), {}
        try:
            body = self._receive(environ, method)
            fields = {"event_id": body["event_id"], "order_id": body.pop("order_id")}
            return 200, serial.dumps(body), (), fields
        except Exception as exc:  # every failure leaves through the one mapping
            reply = reply_for(exc, PATH)
            try:
                return reply.status, serial.dumps(reply.body), reply.headers, reply.fields
            except Exception as unwritable:  # a detail JSON cannot hold: the mapping's 500
                last = reply_for(unwritable, PATH)
                return last.status, serial.dumps(last.body), (), last.fields

    def _receive(self, environ: dict[str, Any], method: str) -> dict[str, Any]:
        """The delivery's reply (and its order id, for the log line). Raises what the handler
        and the body reader raise, MethodNotAllowed and UnsupportedMediaType."""
        if method != "POST":
            raise MethodNotAllowed(valid_methods=ALLOW.split(", "))
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


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:  # a code http.HTTPStatus does not name: the line needs only the number
        return f"{status} Unknown"


def register(app: Flask) -> None:
    """Serve the Stripe webhook through the lane (call before ProxyFix wraps ``wsgi_app``)."""
    app.wsgi_app = WebhookLane(app, app.wsgi_app)  # type: ignore[method-assign]
