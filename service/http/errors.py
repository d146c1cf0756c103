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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from ..domain.identifiers import REQUEST_ID, valid
from ..errors import DependencyError, PayloadTooLarge, RateLimited, ServiceError
from ..observability.logs import log

logger = logging.getLogger("service.http")


@dataclass(frozen=True)
class ErrorReply:
    """An exception as an answer: status, JSON body, extra headers, and the fields its
    request log line carries (``error``, ``error_detail``, the ids the error names)."""

    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)


def reply_for(exc: Exception, path: str) -> ErrorReply:
    """The one mapping from an exception to its answer (see the module's docstring); an
    unexpected exception is logged here with its traceback. Never raises."""
    if isinstance(exc, ServiceError):
        fields = {"error": exc.code, **exc.context}
        body = exc.to_json()
        if isinstance(exc, DependencyError):  # the detail is for operators: the log line keeps it
            fields["error_detail"] = exc.message
            body["error"]["message"] = exc.public_message
        headers = (("Retry-After", str(exc.retry_after)),) if isinstance(exc, RateLimited) else ()
        return ErrorReply(exc.http_status, body, headers, fields)
    if isinstance(exc, HTTPException):
        if exc.code == 413:
            return reply_for(PayloadTooLarge("the request body is too large"), path)
        code = (exc.name or "http_error").lower().replace(" ", "_")
        allowed = tuple(("Allow", value) for key, value in exc.get_headers() if key == "Allow")
        body = {"error": {"code": code, "message": exc.description}}
        return ErrorReply(exc.code or 500, body, allowed, {"error": code})
    log(logger, logging.ERROR, "unhandled error", exc_info=exc, path=path)
    body = {"error": {"code": "internal_error", "message": "internal error"}}
    return ErrorReply(500, body, (), {"error": "internal_error"})


def error_response(exc: Exception) -> tuple[Response, int]:
    """Flask's answer for ``exc``; keeps its log fields for the request's log line."""
    reply = reply_for(exc, request.path)
    g.log_fields = reply.fields
    response = jsonify(reply.body)
    for name, value in reply.headers:
        response.headers[name] = value
    return response, reply.status


def new_request_id(supplied: str | None) -> str:
    """The request's id: the caller's ``X-Request-Id`` when it is a valid one, else a new one."""
    return supplied if supplied and valid(REQUEST_ID, supplied) else uuid.uuid4().hex


def log_request(
    method: str,
    path: str,
    status: int,
    started: float,
    request_id: str,
    client_ip: str | None,
    idempotency_key: str | None,
    fields: Mapping[str, Any],
) -> None:
    """The one "request" log line of a request: ``fields`` gives its ``order_id``,
    ``event_id``, ``error`` and ``error_detail`` (each left out when None or absent)."""
    log(
        logger,
        logging.INFO,
        "request",
        method=method,
        path=path,
        status=status,
        duration_ms=round((time.monotonic() - started) * 1000, 1),
        request_id=request_id,
        client_ip=client_ip,
        order_id=fields.get("order_id"),
        event_id=fields.get("event_id"),
        error=fields.get("error"),
        error_detail=fields.get("error_detail"),
        idempotency_key=idempotency_key,
    )


def _start() -> None:
    g.started = time.monotonic()
    g.request_id = new_request_id(request.headers.get("X-Request-Id"))


def _finish(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.request_id
    # The ids a view noted, unless its error named others.
    fields = {"order_id": g.get("order_id"), "event_id": g.get("event_id"), **(g.get("log_fields") or {})}
    log_request(
        request.method,
        request.path,
        response.status_code,
        g.started,
        g.request_id,
        request.remote_addr,
        request.headers.get("Idempotency-Key"),
        fields,
    )
    return response


def register(app: Flask) -> None:
    """Attach the JSON error mapping and the request log line to ``app``."""
    app.register_error_handler(Exception, error_response)
    app.before_request(_start)
    app.after_request(_finish)
