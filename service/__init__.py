"""Stripe payments service: checkout, verified webhooks applied idempotently, recovery.

``create_app`` is the composition root: the one place that reads configuration and wires
the store, the Stripe gateway, the routes and the CLI. See docs/ARCHITECTURE.md.
"""

import os
import sys
from collections.abc import Mapping

from flask import Flask


def create_app(env: Mapping[str, str] | None = None) -> Flask:
    """Build the app: the one place that reads configuration and wires db, Stripe, routes, CLI.

    ``env`` defaults to ``os.environ``. Performs no I/O: the database client connects on
    first use, i.e. after gunicorn has forked. Raises ConfigError naming missing settings.
    """
    from . import cli, http
    from .config import Settings
    from .gateway import StripeGateway
    from .handlers.services import EXTENSION, Services
    from .http.flask_app import ServiceFlask
    from .observability import alerts, logs
    from .store import RetryPolicy, Store, connection

    settings = Settings.from_env(os.environ if env is None else env)
    logs.configure(settings.log_level)
    app = ServiceFlask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["BODY_TIMEOUT_SECONDS"] = settings.body_timeout_seconds
    connection.connect(settings)
    retry = RetryPolicy(settings.db_retry_attempts, settings.db_retry_max_seconds, settings.retry_backoff_seconds)
    signature_alarm = alerts.SlidingWindowAlarm(
        alerts.SIGNATURE_FAILURE_SPIKE, settings.signature_alert_threshold, settings.signature_alert_window_seconds
    )
    store = Store(retry)
    # Every outbound Stripe call is journaled in the database before it is made.
    app.extensions[EXTENSION] = Services(settings, store, StripeGateway(settings, store.journal), signature_alarm)
    http.register(app)
    cli.register(app)
    return app


def load_app() -> Flask:
    """The app of ``wsgi.py``: ``create_app()`` on ``os.environ``.

    A configuration problem never becomes a traceback. Under the ``flask`` command it gives
    an app whose commands still list and show their ``--help`` but refuse to run, printing one
    line per problem on stderr (exit 1). Anywhere else (a WSGI server importing ``wsgi``) it
    prints those lines on stderr and exits 1.
    """
    import click

    from .config import ConfigError

    try:
        return create_app()
    except ConfigError as problem:
        if click.get_current_context(silent=True) is None:
            sys.stderr.write("".join(line + "\n" for line in problem.lines()))
            raise SystemExit(1) from None
        from .cli.unconfigured import refusing_app

        return refusing_app(problem)
