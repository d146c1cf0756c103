"""HTTP parsing and response shaping only; every decision lives in ``handlers``.

All errors leave as ``{"error": {"code", "message"}}`` JSON, mapped here and only here.
One JSON log line per request (method, path, status, duration, order id, event id).
"""
import logging
import re
import time
import uuid

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from . import db, handlers
from .errors import BadRequest, PayloadTooLarge, ServiceError, UnsupportedMediaType
from .logs import log

logger = logging.getLogger("service.http")
bp = Blueprint("api", __name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _services():
    return current_app.extensions["payments"]


def _body():
    """The raw body (cached for ``get_json``). Werkzeug enforces MAX_CONTENT_LENGTH on a body
    without Content-Length (chunked) by silently truncating it, so a streamed body that
    reaches the limit is refused here with the same 413 as an oversized Content-Length."""
    data = request.get_data()
    if request.content_length is None and len(data) >= current_app.config["MAX_CONTENT_LENGTH"]:
        raise PayloadTooLarge("the request body is too large")
    return data


def _json_body():
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("Content-Type must be application/json")
    _body()
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser can go: malformed, not a crash
        body = None
    if body is None:
        raise BadRequest("the body is not valid JSON", code="invalid_json")
    return body


def order_json(order):
    """The public view of an order: never a client_secret, never the request fingerprint."""
    return {
        "order_id": order["_id"], "status": order["status"], "amount": order["amount"],
        "currency": order["currency"], "payment_intent_id": order.get("payment_intent_id"),
        "items": [{k: item[k] for k in ("sku", "name", "quantity", "unit_amount")}
                  for item in order.get("items", [])],
        "last_payment_error": order.get("last_payment_error"),
        "refund": _note(order.get("refund"), ("status", "amount_refunded", "currency")),
        "dispute": _note(order.get("dispute"), ("status", "outcome", "amount", "currency", "reason")),
        "created_at": order["created_at"].isoformat(), "updated_at": order["updated_at"].isoformat(),
    }


def _note(annotation, keys):
    return {key: annotation.get(key) for key in keys} if annotation else None


@bp.post("/checkout")
def checkout():
    order, client_secret, replayed = handlers.start_checkout(
        _services(), _json_body(), request.headers.get("Idempotency-Key"))
    g.order_id = order["_id"]
    body = {key: value for key, value in order_json(order).items()
            if key in ("order_id", "status", "amount", "currency", "payment_intent_id")}
    body["client_secret"] = client_secret
    response = jsonify(body)
    response.status_code = 201
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/orders/<order_id>")
def get_order(order_id):
    order = handlers.get_order(_services(), order_id)
    g.order_id = order["_id"]
    return jsonify(order_json(order))


@bp.post("/webhooks/stripe")
def stripe_webhook():
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("Content-Type must be application/json")
    services = _services()
    with db.request_deadline(services.settings.webhook_deadline_seconds):  # one budget for all its DB calls
        outcome = handlers.receive_webhook(services, _body(), request.headers.get("Stripe-Signature"))
    g.event_id, g.order_id = outcome.event_id, outcome.order_id
    return jsonify({"received": True, "event_id": outcome.event_id, "state": outcome.state,
                    "duplicate": outcome.duplicate})


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    if db.ping():
        return jsonify({"status": "ready"})
    return jsonify({"error": {"code": "database_unavailable", "message": "database unreachable"}}), 503


def _error_response(exc):
    if isinstance(exc, ServiceError):
        g.error_code = exc.code
        for key, value in exc.context.items():
            setattr(g, key, value)
        return jsonify(exc.to_json()), exc.http_status
    if isinstance(exc, HTTPException):
        if exc.code == 413:
            return _error_response(PayloadTooLarge("the request body is too large"))
        g.error_code = (exc.name or "http_error").lower().replace(" ", "_")
        return jsonify({"error": {"code": g.error_code, "message": exc.description}}), exc.code
    log(logger, logging.ERROR, "unhandled error", exc_info=exc, path=request.path)
    g.error_code = "internal_error"
    return jsonify({"error": {"code": "internal_error", "message": "internal error"}}), 500


def _start():
    g.started = time.monotonic()
    supplied = request.headers.get("X-Request-Id", "")
    g.request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex


def _finish(response):
    response.headers["X-Request-Id"] = g.request_id
    log(logger, logging.INFO, "request", method=request.method, path=request.path,
        status=response.status_code, duration_ms=round((time.monotonic() - g.started) * 1000, 1),
        request_id=g.request_id, order_id=g.get("order_id"), event_id=g.get("event_id"),
        error=g.get("error_code"), idempotency_key=request.headers.get("Idempotency-Key"))
    return response


def register(app):
    """Attach routes, the JSON error mapping and request logging to ``app``."""
    app.register_blueprint(bp)
    app.register_error_handler(Exception, _error_response)
    app.before_request(_start)
    app.after_request(_finish)
