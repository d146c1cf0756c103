"""Reading request bodies: a size limit that also holds for chunked bodies, one deadline for
the whole body, and JSON that fails as a 4xx, never a 500.

The deadline (``BODY_TIMEOUT_SECONDS``) is total, not per read: a client that sends a byte
now and then cannot hold a connection longer than that. Under gunicorn the read side of the
socket (``environ["gunicorn.socket"]``) is shut at the deadline, ending the read; a body
that does not arrive in time is a 408, one cut short or malformed (a bad chunk) a 400; gunicorn
then closes the connection (its reader failed: where the next request starts is unknown).
"""

import socket
import time
from typing import IO, Any

from flask import current_app, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.sansio.utils import get_content_length
from werkzeug.wsgi import get_input_stream

from ..errors import BadRequest, PayloadTooLarge, RequestTimeout, UnsupportedMediaType
from .read_deadline import DEADLINES

_STEP = 64 * 1024


def raw_body() -> bytes:
    """The request's whole body, read once within the deadline (cached for the request).
    Raises as ``read_body``."""
    cached: bytes | None = g.get("raw_body")
    if cached is not None:
        return cached
    config = current_app.config
    data = read_body(request.environ, config["MAX_CONTENT_LENGTH"], config["BODY_TIMEOUT_SECONDS"])
    g.raw_body = data
    return data


def read_body(environ: dict[str, Any], limit: int, timeout: float) -> bytes:
    """The whole body of the request in ``environ``, at most ``limit`` bytes, read within
    ``timeout`` seconds in total. Raises PayloadTooLarge (413), RequestTimeout (408),
    BadRequest (400: cut short or malformed)."""
    length = get_content_length(environ.get("CONTENT_LENGTH"), environ.get("HTTP_TRANSFER_ENCODING"))
    if length is not None and length > limit:
        raise PayloadTooLarge("the request body is too large")
    # The stream Flask's request.stream is: bounded by Content-Length, or by ``limit`` for a
    # chunked body the server terminates.
    stream = get_input_stream(environ, max_content_length=limit)
    data = _read_within(stream, environ.get("gunicorn.socket"), limit, time.monotonic() + timeout)
    if len(data) > limit:
        raise PayloadTooLarge("the request body is too large")
    return data


def _read_within(stream: IO[bytes], sock: socket.socket | None, limit: int, deadline: float) -> bytes:
    # The server's reader loops until it has what it was asked for, so a per-read timeout
    # would let a byte every few seconds through: at the deadline the socket's read side is
    # shut instead (read_deadline.py), which ends any read in progress.
    token = DEADLINES.watch(sock, deadline) if sock is not None else None
    chunks, size = [], 0
    try:
        while size <= limit:
            data = stream.read(min(_STEP, limit + 1 - size))
            if not data:
                break
            chunks.append(data)
            size += len(data)
    except HTTPException:
        if time.monotonic() >= deadline:  # werkzeug's "client disconnected": our cut
            raise RequestTimeout("the request body did not arrive in time") from None
        raise  # werkzeug's 413 past the limit, or its 400 for a body shorter than announced
    except Exception:  # the server's reader: a connection cut mid-body, an invalid chunk
        if time.monotonic() >= deadline:
            raise RequestTimeout("the request body did not arrive in time") from None
        raise BadRequest("the request body could not be read", code="incomplete_body") from None
    finally:
        if token is not None:
            DEADLINES.release(token)
    return b"".join(chunks)


def require_json() -> None:
    """Raise UnsupportedMediaType (415) unless the request says it is JSON."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("Content-Type must be application/json")


def json_body() -> Any:
    """The parsed JSON body. Raises UnsupportedMediaType, PayloadTooLarge, RequestTimeout, BadRequest."""
    require_json()
    raw = raw_body()
    try:
        return current_app.json.loads(raw)
    except (ValueError, TypeError, RecursionError):  # RecursionError: nested deeper than the parser can go
        raise BadRequest("the body is not valid JSON", code="invalid_json") from None
