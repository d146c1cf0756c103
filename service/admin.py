"""The admin JSON API under /admin/: the operator's CLI actions over HTTP, through the same
handlers (stuck orders, inbox events, replay, the consolidation report, a money-at-risk
summary).

Auth: ``Authorization: Bearer $ADMIN_TOKEN`` (auth.py, constant-time compare). Without
ADMIN_TOKEN every /admin path answers 404, as if the API did not exist; with it a missing
or wrong token answers 401. The guard runs before routing for *every* path under /admin,
so no route, present, future or unknown, is reachable without the token.
"""
from datetime import datetime, timedelta, timezone

from flask import Blueprint, current_app, jsonify, request

from . import handlers
from .auth import require_bearer
from .cli_orders import stuck_order_json
from .errors import BadRequest, NotFound
from .handlers.operations import money_at_risk

bp = Blueprint("admin", __name__, url_prefix="/admin")
_EVENT_FIELDS = ("type", "state", "attempts", "order_id", "payment_intent_id", "outcome", "last_error",
                 "created", "received_at", "applied_at")


def _services():
    return current_app.extensions["payments"]


def _guard():
    if request.path != "/admin" and not request.path.startswith("/admin/"):
        return
    token = _services().settings.admin_token
    if not token:
        raise NotFound("not found")
    require_bearer(request.headers.get("Authorization"), token, "admin API")


def _challenge(response):
    if response.status_code == 401 and request.path.startswith("/admin"):
        response.headers["WWW-Authenticate"] = 'Bearer realm="admin"'
    return response


def _int_arg(name, default):
    value = request.args.get(name)
    try:
        return default if value is None else int(value)
    except ValueError:
        raise BadRequest(f"{name} must be an integer", code="invalid_query") from None


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


@bp.get("/orders/stuck")
def stuck():
    older_than = request.args.get("older_than")
    orders = handlers.stuck_orders(_services(), None if older_than is None else _int_arg("older_than", 0),
                                   _int_arg("limit", 50))
    return jsonify({"orders": [stuck_order_json(order) for order in orders]})


@bp.get("/events")
def events():
    rows = handlers.list_events(_services(), request.args.get("state"), max(1, min(_int_arg("limit", 50), 1000)))
    return jsonify({"events": [{"event_id": row["_id"], **{k: _iso(row.get(k)) for k in _EVENT_FIELDS}}
                               for row in rows]})


@bp.post("/events/<event_id>/replay")
def replay(event_id):
    outcome = handlers.replay_event(_services(), event_id)
    return jsonify({"event_id": outcome.event_id, "state": outcome.state, "detail": outcome.detail,
                    "order_id": outcome.order_id})


@bp.get("/report")
def report():
    until = datetime.now(timezone.utc)
    since = request.args.get("since")
    try:
        start = (datetime.fromisoformat(since).replace(tzinfo=timezone.utc) if since
                 else until - timedelta(hours=float(request.args.get("hours", 24))))
    except ValueError:
        raise BadRequest("since must be an ISO date-time and hours a number", code="invalid_query") from None
    return jsonify(handlers.consolidation_report(_services(), start, until))


@bp.get("/summary")
def summary():
    snapshot = money_at_risk(_services())
    health = snapshot["reconciler_health"]
    snapshot["reconciler_health"] = {**health, "last_completed_at": _iso(health["last_completed_at"])}
    return jsonify(snapshot)


def register(app):
    """Attach the admin API and its token guard (for every /admin path) to ``app``."""
    app.before_request(_guard)
    app.after_request(_challenge)
    app.register_blueprint(bp)

