"""The one place an exception becomes an HTTP answer, and the one JSON log line per request.

Every error leaves as ``{"error": {"code", "message"}}``: a ServiceError with its own
status and code (a dependency failure with a message a shopper can read, its detail kept in
the request's log line); a werkzeug HTTPException (404 route, 405 method, 413 body) with its
status; anything else is a bug, logged with its traceback and answered 500
``internal_error`` without details.
"""

import logging
import time
import uuid

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from ..domain.identifiers import REQUEST_ID, valid
from ..errors import DependencyError, PayloadTooLarge, RateLimited, ServiceError
from ..observability.logs import log

logger = logging.getLogger("service.http")


def error_response(exc: Exception) -> tuple[Response, int]:
    """The JSON answer for ``exc``; records its code (and ids) for the request log line."""
    if isinstance(exc, ServiceError):
        g.error_code = exc.code
        for key, value in exc.context.items():
            setattr(g, key, value)
        body = exc.to_json()
        if isinstance(exc, DependencyError):  # the detail is for operators: the log line keeps it
            g.error_detail = exc.message
            body["error"]["message"] = exc.public_message
        response = jsonify(body)
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response, exc.http_status
    if isinstance(exc, HTTPException):
        if exc.code == 413:
            return error_response(PayloadTooLarge("the request body is too large"))
        g.error_code = (exc.name or "http_error").lower().replace(" ", "_")
        return jsonify({"error": {"code": g.error_code, "message": exc.description}}), exc.code or 500
    log(logger, logging.ERROR, "unhandled error", exc_info=exc, path=request.path)
    g.error_code = "internal_error"
    return jsonify({"error": {"code": "internal_error", "message": "internal error"}}), 500


def _start() -> None:
    g.started = time.monotonic()
    supplied = request.headers.get("X-Request-Id", "")
    g.request_id = supplied if valid(REQUEST_ID, supplied) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.request_id
    log(
        logger,
        logging.INFO,
        "request",
        method=request.method,
        path=request.path,
        status=response.status_code,
        duration_ms=round((time.monotonic() - g.started) * 1000, 1),
        request_id=g.request_id,
        client_ip=request.remote_addr,
        order_id=g.get("order_id"),
        event_id=g.get("event_id"),
        error=g.get("error_code"),
        error_detail=g.get("error_detail"),
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    return response


def register(app: Flask) -> None:
    """Attach the JSON error mapping and the request log line to ``app``."""
    app.register_error_handler(Exception, error_response)
    app.before_request(_start)
    app.after_request(_finish)
