"""The admin JSON API under /admin/: the operator's CLI actions over HTTP, through the same
handlers (stuck orders, inbox events, replay, the consolidation report, a money-at-risk
summary).

Auth: ``Authorization: Bearer $ADMIN_TOKEN`` (http/auth.py, constant-time compare). Without
ADMIN_TOKEN every /admin path answers 404, as if the API did not exist; with it a missing
or wrong token answers 401. The guard runs before routing for *every* path under /admin,
so no route, present, future or unknown, is reachable without the token.
"""

from datetime import UTC, datetime, timedelta

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from .. import handlers
from ..clock import utcnow
from ..errors import BadRequest, NotFound
from ..handlers.views import consolidation_json, event_json, iso, stuck_order_json
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


MAX_SECONDS = 10 * 366 * 86400  # ten years: any window an operator asks for, far from datetime's limits
MAX_REPORT_HOURS = 366 * 24
EARLIEST = datetime(2011, 1, 1, tzinfo=UTC)  # before Stripe had any payment of ours


def _int_arg(name: str, default: int, maximum: int | None = None) -> int:
    value = request.args.get(name)
    try:
        number = default if value is None else int(value)
    except ValueError:
        raise BadRequest(f"{name} must be an integer", code="invalid_query") from None
    if maximum is not None and not 0 <= number <= maximum:
        raise BadRequest(f"{name} must be from 0 to {maximum}", code="invalid_query")
    return number


def _window_start(until: datetime) -> datetime:
    """The report window's start from ``since`` (ISO 8601, UTC unless it says otherwise) or
    ``hours`` (default 24, at most a year). Raises BadRequest."""
    since, hours = request.args.get("since"), request.args.get("hours", "24")
    try:
        if since:
            start = datetime.fromisoformat(since)
            start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
        else:
            length = float(hours)
            if not 0 < length <= MAX_REPORT_HOURS:  # also refuses nan and inf
                raise ValueError(hours)
            start = until - timedelta(hours=length)
    except (ValueError, OverflowError):
        raise BadRequest(
            f"since must be an ISO 8601 date-time and hours a number from 0 to {MAX_REPORT_HOURS}",
            code="invalid_query",
        ) from None
    if not EARLIEST <= start <= until:
        raise BadRequest(f"since must be between {EARLIEST.date()} and now", code="invalid_query")
    return start


@bp.get("/orders/stuck")
def stuck() -> Response:
    older_than = request.args.get("older_than")
    orders = handlers.stuck_orders(
        _services(), None if older_than is None else _int_arg("older_than", 0, MAX_SECONDS), _int_arg("limit", 50)
    )
    return jsonify({"orders": [stuck_order_json(order) for order in orders]})


@bp.get("/events")
def events() -> Response:
    rows = handlers.list_events(_services(), request.args.get("state"), max(1, min(_int_arg("limit", 50), 1000)))
    return jsonify({"events": [event_json(row) for row in rows]})


@bp.post("/events/<event_id>/replay")
def replay(event_id: str) -> Response:
    outcome = handlers.replay_event(_services(), event_id)
    return jsonify(
        {"event_id": outcome.event_id, "state": outcome.state, "detail": outcome.detail, "order_id": outcome.order_id}
    )


@bp.get("/report")
def report() -> Response:
    until = utcnow()
    return jsonify(handlers.consolidation_report(_services(), _window_start(until), until))


@bp.get("/orders/<order_id>")
def order(order_id: str) -> Response:
    return jsonify(handlers.order_timeline(_services(), order_id))


@bp.get("/consolidations")
def consolidations() -> Response:
    runs = handlers.list_consolidations(_services(), request.args.get("period"), _int_arg("limit", 50))
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
