"""One watchdog per worker process that ends body reads past their deadline.

A request body must arrive within ``BODY_TIMEOUT_SECONDS`` in total (http/body.py). The
read side of a late request's socket is shut, which ends any read in progress. One thread
per request (``threading.Timer``) did that at a cost of about 55 µs of CPU per request
under gevent (a greenlet, two events and the thread bookkeeping, for a timer that almost
never fires); here a request only adds its socket to a dict and removes it, and one daemon
thread (a greenlet under gevent) looks at the dict every ``TICK`` seconds. A late body is
therefore cut at most ``TICK`` after its deadline.
"""

import contextlib
import os
import socket
import threading
import time

TICK = 0.05  # seconds between looks: the cut's lateness at most, and 20 cheap wake-ups a second


class ReadDeadlines:
    """Sockets whose read side is shut once their deadline (``time.monotonic()``) passes."""

    def __init__(self, tick: float = TICK) -> None:
        self._tick = tick
        self._lock = threading.Lock()
        self._watched: dict[int, tuple[float, socket.socket]] = {}
        self._next = 0
        self._owner = 0  # the pid whose thread watches: a forked child starts its own

    def watch(self, sock: socket.socket, deadline: float) -> int:
        """Shut ``sock``'s reads at ``deadline`` unless ``release`` is called first; returns
        the token for ``release``. Starts the watchdog thread in this process if needed."""
        with self._lock:
            if self._owner != os.getpid():
                self._owner = os.getpid()
                self._watched.clear()
                threading.Thread(target=self._run, name="read-deadlines", daemon=True).start()
            self._next += 1
            self._watched[self._next] = (deadline, sock)
            return self._next

    def release(self, token: int) -> None:
        """Stop watching (the body was read, or the read failed). Idempotent."""
        with self._lock:
            self._watched.pop(token, None)

    def _run(self) -> None:
        while True:
            time.sleep(self._tick)
            now = time.monotonic()
            # Shut under the lock: a released socket (its connection's next request) is never cut.
            with self._lock:
                due = [token for token, (deadline, _) in self._watched.items() if deadline <= now]
                for token in due:
                    with contextlib.suppress(OSError):
                        self._watched.pop(token)[1].shutdown(socket.SHUT_RD)


DEADLINES = ReadDeadlines()
