"""The gunicorn worker the Procfile's ``web`` process runs: gevent, so a slow or idle client
costs a greenlet, not one of a handful of threads; and every answer gunicorn itself gives
(a malformed request line or header, a bad chunk) is the service's JSON error with
``X-Content-Type-Options: nosniff``, never an HTML page echoing what the client sent.

Loaded only by gunicorn (``worker_class`` in gunicorn_config.py); gevent is imported here,
after the fork, never by the app. What gunicorn logs about the error is unchanged (it goes
through the JSON log formatter, see gunicorn_config.py).
"""

import json
from typing import Any

from gunicorn.workers.ggevent import GeventWorker


class _Capture:
    """Stands in for the client socket while gunicorn writes its own error page, to learn
    the status it chose (the page itself is dropped)."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def setblocking(self, flag: bool) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.data += data


def json_error(status_line: bytes) -> bytes:
    """A complete ``Connection: close`` HTTP/1.1 answer with the JSON error shape for the
    status line gunicorn chose (``HTTP/1.1 400 Bad Request``); the reason only, no echo."""
    parts = status_line.decode("latin-1").split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 400
    reason = parts[2].strip() if len(parts) > 2 and parts[2].strip().isprintable() else "Bad Request"
    code = "bad_request" if status < 500 else "internal_error"
    body = json.dumps({"error": {"code": code, "message": reason.lower()}}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"X-Content-Type-Options: nosniff\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class Worker(GeventWorker):
    """gunicorn's gevent worker, answering its own errors as the service's JSON."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """Classify and log as gunicorn does, then answer with the JSON error."""
        capture = _Capture()
        super().handle_error(req, capture, addr, exc)
        if not capture.data:
            return
        try:
            client.sendall(json_error(capture.data.split(b"\r\n", 1)[0]))
        except OSError:
            self.log.debug("Failed to send error message.")
