"""The admin JSON API under /admin/: the operator's CLI actions over HTTP, through the same
handlers (stuck orders, inbox events, replay, the consolidation report, a money-at-risk
summary).

Auth: ``Authorization: Bearer $ADMIN_TOKEN`` (http/auth.py, constant-time compare). Without
ADMIN_TOKEN every /admin path answers 404, as if the API did not exist; with it a missing
or wrong token answers 401. The guard runs before routing for *every* path under /admin,
so no route, present, future or unknown, is reachable without the token.
"""

from datetime import timedelta

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from .. import handlers
from ..clock import utcnow
from ..domain.inbox import STATES
from ..domain.periods import TYPES
from ..errors import NotFound, ValidationFailed
from ..handlers.operations import MAX_AGE_SECONDS
from ..handlers.order_event_views import MAX_FEED_LIMIT, feed, parse_cursor
from ..handlers.report import MAX_REPORT_HOURS
from ..handlers.views import consolidation_json, event_json, iso, stuck_order_json
from . import query
from .auth import require_bearer

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _services() -> handlers.Services:
    return handlers.services_of(current_app)


def _guard() -> None:
    if request.path != "/admin" and not request.path.startswith("/admin/"):
        return
    token = _services().settings.admin_token
    if not token:
        raise NotFound("not found")
    require_bearer(request.headers.get("Authorization"), token, "admin API")


def _challenge(response: Response) -> Response:
    if response.status_code == 401 and request.path.startswith("/admin"):
        response.headers["WWW-Authenticate"] = 'Bearer realm="admin"'
    return response


MAX_LIMIT = 1000


@bp.get("/orders/stuck")
def stuck() -> Response:
    query.only(("older_than", "limit"))
    older_than = query.number("older_than", None, 0, MAX_AGE_SECONDS)
    limit = query.integer("limit", 50, 1, MAX_LIMIT)
    orders = handlers.stuck_orders(_services(), older_than, limit)
    return jsonify({"orders": [stuck_order_json(order) for order in orders]})


@bp.get("/events")
def events() -> Response:
    query.only(("state", "limit"))
    rows = handlers.list_events(_services(), query.choice("state", STATES), query.integer("limit", 50, 1, MAX_LIMIT))
    return jsonify({"events": [event_json(row) for row in rows]})


@bp.post("/events/<event_id>/replay")
def replay(event_id: str) -> Response:
    outcome = handlers.replay_event(_services(), event_id)
    return jsonify(
        {"event_id": outcome.event_id, "state": outcome.state, "detail": outcome.detail, "order_id": outcome.order_id}
    )


@bp.get("/order-events")
def order_events() -> Response:
    query.only(("after", "limit"))
    after = parse_cursor(query.text("after"))
    return jsonify(feed(_services(), after, query.integer("limit", 100, 1, MAX_FEED_LIMIT)))


@bp.get("/report")
def report() -> Response:
    query.only(("since", "hours"))
    until = utcnow()
    earliest = until - timedelta(hours=MAX_REPORT_HOURS)
    if "since" in request.args and "hours" in request.args:
        raise ValidationFailed("give since or hours, not both", code="invalid_query", details={"field": "hours"})
    hours = query.number("hours", None, 1 / 60, MAX_REPORT_HOURS)
    since = query.instant("since", earliest, until)
    start = since or until - timedelta(hours=hours or 24)
    return jsonify(handlers.consolidation_report(_services(), start, until))


@bp.get("/orders/<order_id>")
def order(order_id: str) -> Response:
    return jsonify(handlers.order_timeline(_services(), order_id))


@bp.get("/consolidations")
def consolidations() -> Response:
    query.only(("period", "limit"))
    runs = handlers.list_consolidations(
        _services(), query.choice("period", TYPES), query.integer("limit", 50, 1, MAX_LIMIT)
    )
    return jsonify({"consolidations": [consolidation_json(run) for run in runs]})


@bp.get("/consolidations/<run_id>")
def consolidation(run_id: str) -> Response:
    return jsonify(consolidation_json(handlers.get_consolidation(_services(), run_id)))


@bp.get("/summary")
def summary() -> Response:
    snapshot = handlers.money_at_risk(_services())
    health = snapshot["reconciler_health"]
    snapshot["reconciler_health"] = {**health, "last_completed_at": iso(health["last_completed_at"])}
    for latest in snapshot["consolidation"].values():
        if latest is not None:
            latest["finished_at"] = iso(latest["finished_at"])
    return jsonify(snapshot)


def register(app: Flask) -> None:
    """Attach the admin API and its token guard (for every /admin path) to ``app``."""
    app.before_request(_guard)
    app.after_request(_challenge)
    app.register_blueprint(bp)
