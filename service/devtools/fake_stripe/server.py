"""HTTP transport: a threading HTTP/1.1 server that feeds requests to the Pipeline."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import browser
from .pipeline import Pipeline


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive, like api.stripe.com: stripe-python reuses pooled connections,
    # so a dropped connection must be observed on a reused socket too.
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; with Nagle on, the body waits for a delayed ACK.
    disable_nagle_algorithm = True
    server: FakeStripeServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_DELETE = do_GET

    def do_OPTIONS(self) -> None:
        # CORS preflight: a checkout page on another origin may call the API like Stripe.js.
        self._send(204, b"", browser.PREFLIGHT_HEADERS)

    def log_message(self, format: str, *args) -> None:
        # Silent: tests read fake.requests instead of stderr noise.
        pass

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        script = browser.standin_script(split.path) if self.command == "GET" else None
        if script is not None:  # the Stripe.js stand-in is a file, not an API call
            self._send(200, script, {"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache"})
            return
        response = self.server.pipeline.handle(self.command, split.path, split.query, body, self.headers)
        if response.status is None:
            self._drop()
            return
        self._send(response.status, response.body, {**response.headers, **browser.CORS_HEADERS})

    def _send(self, status: int, body: bytes, headers: dict) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            # The client gave up (e.g. its timeout fired during a "delay" fault).
            self.close_connection = True

    def _drop(self) -> None:
        # SO_LINGER 0 makes close() send RST: the client sees a dead connection, no bytes.
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class FakeStripeServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its open connections so `close` can cut them."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], pipeline: Pipeline) -> None:
        super().__init__(address, _Handler)
        self.pipeline = pipeline
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket, is_open: bool) -> None:
        """Remember (or forget) a live client connection."""
        with self._connections_lock:
            (self._connections.add if is_open else self._connections.discard)(connection)

    def close(self) -> None:
        """Stop accepting, then shut every open keep-alive connection so clients notice."""
        self.server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class ServerThread:
    """Runs a FakeStripeServer in a daemon thread."""

    def __init__(self, pipeline: Pipeline, host: str, port: int) -> None:
        self.server = FakeStripeServer((host, port), pipeline)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-stripe", daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        """Return the base URL, e.g. http://127.0.0.1:54321."""
        host, port = self.server.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def stop(self) -> None:
        """Stop serving and close the socket; returns once the serve loop has exited."""
        self.server.shutdown()
        self.server.close()
        self.thread.join(timeout=5)
