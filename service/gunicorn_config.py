"""gunicorn settings for Heroku-style hosts (``gunicorn -c python:service.gunicorn_config``).

Binds ``$PORT``, runs ``$WEB_CONCURRENCY`` workers, and kills a stuck request before the
router's 30 s limit. No ``preload_app``: each worker builds the app, so MongoDB
connects after the fork.

Metrics: every worker writes its counters to ``$PROMETHEUS_MULTIPROC_DIR`` (a fresh temporary
directory when unset) so that /metrics, whichever worker answers, reports all of them. The
variable is exported here, in the master, before any worker imports prometheus_client.
"""

import glob
import os
import shutil
import sys
import tempfile
from typing import Any

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 25
graceful_timeout = 20
keepalive = 5
preload_app = False
accesslog = None  # the app logs one JSON line per request itself
errorlog = "-"

_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or ""
_own_metrics_dir = not _metrics_dir
if _own_metrics_dir:
    _metrics_dir = tempfile.mkdtemp(prefix="payments-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def on_starting(server: Any) -> None:
    """Refuse to start on a bad configuration (one line per problem, exit 1) before any worker
    boots; then start from empty metric files (a previous run's would be added to this run's)."""
    from service.config import ConfigError, Settings

    try:
        Settings.from_env(os.environ)
    except ConfigError as problem:
        sys.stderr.write("".join(line + "\n" for line in problem.lines()))
        sys.exit(1)
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
