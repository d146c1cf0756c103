"""Slow clients against one instance (WEB_CONCURRENCY=2 as the Procfile runs it): idle
connections, stalled bodies, headers and bodies dripped a byte at a time. While they are held,
``/healthz`` must answer within 1 s and a genuine webhook within 2 s; afterwards the server
must have cut them: headers after 5 s (keepalive), bodies after BODY_TIMEOUT_SECONDS (408)."""

import contextlib
import socket
import threading
import time

from .slow_clients import SlowClients, healthz, webhook
from .tally import Tally

HEALTHZ_WITHIN, WEBHOOK_WITHIN = 1.0, 2.0
HEADER_DEADLINE, GRACE = 5.0, 3.0


def _drip(port, prefix, data, every, stop, replies, key):
    """Send ``prefix`` at once, then ``data`` a byte every ``every`` seconds until the server
    answers or closes; records (when, answer) under ``key``."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.settimeout(every)
        sock.sendall(prefix)
        for byte in data:
            if stop.is_set():
                break
            try:
                sock.sendall(bytes([byte]))
                answer = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                answer = b""
            replies[key] = (time.monotonic(), answer)
            return


def slow_clients(target, size, idle=200, stalled=64):
    """Hold ``idle`` idle connections and ``stalled`` stalled bodies (scaled by ``size``), two
    drippers; time health and a webhook; then check every held connection was cut."""
    tally = Tally("slow clients", f"{idle} idle + {stalled} stalled bodies held, headers/body dripped")
    _, body, signature = target.genuine_event()
    stop, replies, started = threading.Event(), {}, time.monotonic()
    chunked_head = (
        b"POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nfa0\r\n"
    )
    body_head = (
        b"POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n"
    )
    drippers = [
        threading.Thread(
            target=_drip,
            args=(target.port, b"", b"GET /healthz HTTP/1.1\r\n" + b"X" * 400, 0.5, stop, replies, "headers"),
        ),
        threading.Thread(target=_drip, args=(target.port, body_head, b"x" * 4000, 0.5, stop, replies, "body")),
        threading.Thread(target=_drip, args=(target.port, chunked_head, b"x" * 4000, 0.5, stop, replies, "chunked")),
    ]
    for thread in drippers:
        thread.start()
    with SlowClients("127.0.0.1", target.port) as held:
        held.open_idle(idle).open_stalled(stalled)
        time.sleep(0.5)
        for _ in range(size):
            seconds, status = healthz(target.url, timeout=10)
            tally.held(status == 200 and seconds <= HEALTHZ_WITHIN, ("healthz", seconds, status))
            seconds, status = webhook(target.url, body, signature, timeout=10)
            tally.held(status == 200 and seconds <= WEBHOOK_WITHIN, ("webhook", seconds, status))
        time.sleep(max(0.0, started + HEADER_DEADLINE + GRACE - time.monotonic()))
        cut = held.closed_by_server()
        for _ in range(idle + stalled):
            tally.held(cut > 0, ("held connections cut by the server", cut, idle + stalled))
            cut -= 1
    stop.set()
    for thread in drippers:
        thread.join(10)
    header_cut = replies.get("headers")
    tally.held(header_cut is not None and header_cut[0] - started <= HEADER_DEADLINE + GRACE, ("headers", header_cut))
    for key in ("body", "chunked"):
        cut = replies.get(key)
        tally.held(cut is not None and cut[1].split(b" ")[1:2] == [b"408"], (key, cut))
    with contextlib.suppress(Exception):
        stop.set()
    return tally
