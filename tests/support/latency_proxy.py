"""A loopback TCP proxy that adds a fixed delay to every round trip, so a local database
answers like a managed one in the same region (about 1 ms away).

Each accepted connection gets its own upstream connection and two pump threads. The pump
towards the server waits ``delay_s`` before forwarding what it read: a MongoDB client sends
one request per round trip on a connection and waits for the reply, so each command pays the
delay once (a message larger than the read buffer would pay it once per chunk; the hot path's
are far smaller). Used by the benchmarks only; a context manager.
"""

import contextlib
import socket
import threading
import time

_CHUNK = 1 << 20


class LatencyProxy:
    """Listens on 127.0.0.1 (a free port) and forwards to ``(host, port)`` with ``delay_s``
    added before every client->server chunk. ``uri_for(uri)`` rewrites a MongoDB URI's port."""

    def __init__(self, host, port, delay_s=0.001):
        self.target, self.delay_s = (host, port), delay_s
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        self._sockets = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="latency-proxy", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def uri_for(self, uri, server_port):
        """``uri`` with the database's port ``server_port`` replaced by the proxy's."""
        return uri.replace(f"127.0.0.1:{server_port}", f"127.0.0.1:{self.port}", 1)

    def stop(self):
        """Close the listener and every proxied connection (idempotent)."""
        self._stopped.set()
        with self._lock:
            sockets, self._sockets = [self._listener, *self._sockets], []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self):
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
                upstream = socket.create_connection(self.target)
            except OSError:
                return
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, self.delay_s), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, 0.0), daemon=True).start()

    @staticmethod
    def _pump(source, sink, delay_s):
        """Copy ``source`` to ``sink`` until either closes, sleeping ``delay_s`` per chunk."""
        try:
            while True:
                data = source.recv(_CHUNK)
                if not data:
                    break
                if delay_s:
                    time.sleep(delay_s)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
