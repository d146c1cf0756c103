"""The public API: checkout, an order's status, the Stripe webhook, health and readiness.

HTTP parsing and response shaping only; every decision lives in ``handlers``.
"""

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from .. import handlers, serial
from ..handlers.views import PUBLIC_CHECKOUT_FIELDS, order_json
from .body import json_body, raw_body, require_json

bp = Blueprint("api", __name__)


@bp.post("/checkout")
def checkout() -> tuple[Response, int]:
    services = handlers.services_of(current_app)
    handlers.check_checkout_rate(services, request.remote_addr)
    order, client_secret, replayed = handlers.start_checkout(
        services, json_body(), request.headers.get("Idempotency-Key")
    )
    g.order_id = order["_id"]
    body = {key: value for key, value in order_json(order).items() if key in PUBLIC_CHECKOUT_FIELDS}
    body["client_secret"] = client_secret
    response = jsonify(body)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 201


@bp.get("/orders/<order_id>")
def get_order(order_id: str) -> Response:
    order = handlers.get_order(handlers.services_of(current_app), order_id)
    g.order_id = order["_id"]
    return jsonify(order_json(order))


@bp.post("/webhooks/stripe")
def stripe_webhook() -> Response:
    require_json()
    services = handlers.services_of(current_app)
    outcome = handlers.receive_webhook(services, raw_body(), request.headers.get("Stripe-Signature"))
    g.event_id, g.order_id = outcome.event_id, outcome.order_id
    reply = {"received": True, "event_id": outcome.event_id, "state": outcome.state, "duplicate": outcome.duplicate}
    return Response(serial.dumps(reply), mimetype="application/json")  # orjson: the hot path's reply


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    if handlers.is_ready(handlers.services_of(current_app)):
        return jsonify({"status": "ready"}), 200
    return jsonify({"error": {"code": "database_unavailable", "message": "database unreachable"}}), 503


def register(app: Flask) -> None:
    """Attach the public routes to ``app``."""
    app.register_blueprint(bp)
