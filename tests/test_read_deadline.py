"""The per-process watchdog that ends body reads past their deadline (http/read_deadline.py)."""

import socket
import time

from service.http.read_deadline import ReadDeadlines


def test_a_read_past_its_deadline_is_ended():
    """A socket still watched at its deadline has its read side shut: a blocked read returns."""
    deadlines = ReadDeadlines(tick=0.01)
    ours, peer = socket.socketpair()
    with ours, peer:
        deadlines.watch(ours, time.monotonic() + 0.05)
        ours.settimeout(5)
        started = time.monotonic()
        assert ours.recv(10) == b""  # the shut read side ends the read, no data
        assert time.monotonic() - started < 2


def test_a_released_socket_is_never_cut():
    """Released before its deadline, the socket keeps reading (the connection's next request)."""
    deadlines = ReadDeadlines(tick=0.01)
    ours, peer = socket.socketpair()
    with ours, peer:
        deadlines.release(deadlines.watch(ours, time.monotonic() + 0.02))
        time.sleep(0.1)
        peer.sendall(b"next")
        ours.settimeout(5)
        assert ours.recv(10) == b"next"
