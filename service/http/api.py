"""The public API: checkout, an order's status, health and readiness.

HTTP parsing and response shaping only; every decision lives in ``handlers``.
"""

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from .. import handlers
from ..handlers.views import PUBLIC_CHECKOUT_FIELDS, order_json
from .body import json_body

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
