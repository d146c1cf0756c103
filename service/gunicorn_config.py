"""gunicorn settings for Heroku-style hosts (``gunicorn -c python:service.gunicorn_config``).

Binds ``$PORT``, runs ``$WEB_CONCURRENCY`` workers, and kills a stuck request before the
router's 30 s limit. No ``preload_app``: each worker builds the app, so MongoDB connects
after the fork. A configuration the service cannot run on stops the master before it forks
(``on_starting``), with one stderr line per problem.

Slow clients (docs in SECURITY.md): gevent workers (``service.web_worker.Worker``), so an idle
or slow connection costs a greenlet, not a thread; at most ``worker_connections`` connections
per worker; a request's headers must arrive within ``keepalive`` seconds (gevent's worker
bounds every header read by it), its body within BODY_TIMEOUT_SECONDS (http/body.py).

Logs: one JSON format on stdout for everything the process writes: the app's lines, and
gunicorn's own error log (a malformed request line a client sent is a field value inside a
JSON string, never a line of its own). gunicorn's access log is routed the same way but kept
quiet: the app writes one line per request (http/errors.py).

Forwarding headers are interpreted by the app only (werkzeug's ProxyFix, TRUSTED_PROXY_HOPS):
gunicorn trusts no address for them, so there is one rule, not two.

Metrics: every worker writes its counters to ``$PROMETHEUS_MULTIPROC_DIR`` (a fresh temporary
directory when unset) so that /metrics, whichever worker answers, reports all of them. The
variable is exported here, in the master, before any worker imports prometheus_client.
"""

import glob
import logging
import os
import shutil
import sys
import tempfile
from typing import Any

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "service.web_worker.Worker"
worker_connections = 1000  # per worker: the cap on open connections, idle ones included
timeout = 25
graceful_timeout = 20
keepalive = 5  # also the deadline for a request's headers (gevent worker)
preload_app = False
forwarded_allow_ips = ""
control_socket_disable = True  # no local control socket: nothing uses it, and two masters would share its path
secure_scheme_headers: dict[str, str] = {}
accesslog = None
logger_class = "service.gunicorn_logger.Logger"  # no access-log atoms built for a silent access log
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "service.observability.logs.JsonFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
    "root": {"level": "WARNING", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        # The app's request line is the access log; gunicorn's stays silent (but JSON if raised).
        "gunicorn.access": {"level": "WARNING", "handlers": ["stdout"], "propagate": False},
    },
}

_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or ""
_own_metrics_dir = not _metrics_dir
if _own_metrics_dir:
    _metrics_dir = tempfile.mkdtemp(prefix="payments-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def on_starting(server: Any) -> None:
    """Refuse to start on a configuration that cannot run the service (one stderr line per
    problem, exit 1, before any worker is forked); then start from empty metric files: a
    previous run's would be added to this run's counts."""
    from service.config import ConfigError, Settings

    try:
        Settings.from_env(os.environ)
    except ConfigError as problem:
        sys.stderr.write("".join(line + "\n" for line in problem.lines()))
        raise SystemExit(1) from None
    logging.captureWarnings(True)  # Python's warnings become JSON lines too (one format on stdout)
    os.makedirs(_metrics_dir, exist_ok=True)
    for path in glob.glob(os.path.join(_metrics_dir, "*.db")):
        os.remove(path)


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges (its counters stay: they are still part of the totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, _metrics_dir)


def on_exit(server: Any) -> None:
    """Remove the metrics directory if this master made it."""
    if _own_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
