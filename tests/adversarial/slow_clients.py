"""Slow clients held against one service instance: idle TCP connections that never send a
byte, and requests whose body stalls after a few bytes. While they are held, time what a
customer and Stripe still get: ``/healthz`` and a genuine signed webhook.

Loopback only; every socket is closed by ``SlowClients.close`` (also on error), and every
wait is bounded."""

import contextlib
import selectors
import socket
import time

import requests

STALLED_BODY_LENGTH = 65536  # announced; only the first bytes are ever sent


class SlowClients:
    """Idle and stalled connections against ``host:port``; a context manager closing them all."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.sockets = []

    def _connect(self):
        sock = socket.create_connection((self.host, self.port), timeout=5)
        self.sockets.append(sock)
        return sock

    def open_idle(self, count):
        """``count`` connections that send nothing (a port scan, or a slowloris before its first byte)."""
        for _ in range(count):
            self._connect()
        return self

    def open_stalled(self, count, path="/webhooks/stripe"):
        """``count`` requests with complete headers announcing a 64 KiB JSON body, of which
        16 bytes are sent, then nothing."""
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Stripe-Signature: t=1,v1=00\r\nContent-Length: {STALLED_BODY_LENGTH}\r\n\r\n"
        ).encode()
        for _ in range(count):
            self._connect().sendall(head + b'{"id": "evt_slow')
        return self

    def closed_by_server(self, wait=1.0):
        """How many held connections the server has closed (after an answer, or reset) within
        ``wait`` seconds from now, all watched at once."""
        closed, watching = 0, selectors.DefaultSelector()
        for sock in self.sockets:
            sock.setblocking(False)
            watching.register(sock, selectors.EVENT_READ)
        deadline = time.monotonic() + wait
        try:
            while watching.get_map() and time.monotonic() < deadline:
                for key, _ in watching.select(timeout=max(0.0, deadline - time.monotonic())):
                    try:
                        data = key.fileobj.recv(65536)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        closed += 1
                        watching.unregister(key.fileobj)
        finally:
            watching.close()
        return closed

    def close(self):
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self.sockets = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def timed(call):
    """(seconds, result or the exception) of ``call()``."""
    started = time.monotonic()
    try:
        result = call()
    except requests.RequestException as exc:
        result = exc
    return round(time.monotonic() - started, 3), result


def healthz(url, timeout=10.0):
    """(seconds, status or exception) of one GET /healthz on a fresh connection."""
    seconds, result = timed(lambda: requests.get(url + "/healthz", timeout=timeout))
    return seconds, getattr(result, "status_code", result)


def webhook(url, body, signature, timeout=10.0):
    """(seconds, status or exception) of one signed webhook delivery on a fresh connection."""
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
    seconds, result = timed(
        lambda: requests.post(url + "/webhooks/stripe", data=body, headers=headers, timeout=timeout)
    )
    return seconds, getattr(result, "status_code", result)
