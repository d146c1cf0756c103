"""The delivery worker: the relay and each endpoint in loops of their own until ``stop`` is
set, so a stalled endpoint (up to its timeout per attempt) never delays another endpoint or
the relay. Used by ``outbox deliver --loop`` and by the Procfile's worker (``reconcile --loop``)."""

import logging
import threading
from collections.abc import Callable

from ..errors import ServiceError
from ..observability.logs import log
from . import outbox
from .services import Services

logger = logging.getLogger("service.outbox")


def start(services: Services, stop: threading.Event, interval: float | None = None) -> list[threading.Thread]:
    """Start the relay loop (it fills the feed, endpoints or not) and one loop per endpoint
    (daemon threads that end soon after ``stop`` is set); returns the threads."""
    endpoints = services.settings.shop_endpoints
    every = interval or services.settings.outbox_interval_seconds
    jobs: list[tuple[str, Callable[[], object]]] = [("relay", lambda: outbox.relay(services))]
    for endpoint in endpoints:
        jobs.append((endpoint.endpoint_id, lambda e=endpoint: outbox.deliver_endpoint(services, e)))  # type: ignore[misc]
    threads = [threading.Thread(target=_loop, args=(name, job, stop, every), daemon=True) for name, job in jobs]
    for thread in threads:
        thread.start()
    return threads


def _loop(name: str, job: Callable[[], object], stop: threading.Event, every: float) -> None:
    while not stop.is_set():
        try:
            job()
        except Exception as exc:  # keep delivering; the log has the traceback
            message = exc.message if isinstance(exc, ServiceError) else f"{type(exc).__name__}: {exc}"
            log(
                logger,
                logging.ERROR,
                "outbox pass failed",
                job=name,
                error=message,
                exc_info=not isinstance(exc, ServiceError),
            )
        stop.wait(every)
