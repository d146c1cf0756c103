"""Stripe payments service: checkout, verified webhooks applied idempotently, recovery."""
import os

from flask import Flask


def create_app(env=None):
    """Build the app: the one place that reads configuration and wires db, Stripe, routes, CLI.

    ``env`` defaults to ``os.environ``. Performs no I/O: the database client connects on
    first use, i.e. after gunicorn has forked. Raises ConfigError naming missing settings.
    """
    from . import admin, alerts, api, cli, db, logs, metrics_export, web
    from .config import Settings
    from .handlers import Services
    from .store import Store
    from .stripe_gateway import StripeGateway

    settings = Settings.from_env(os.environ if env is None else env)
    logs.configure(settings.log_level)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    db.connect(settings)
    retry = db.RetryPolicy(settings.db_retry_attempts, settings.db_retry_max_seconds,
                           settings.retry_backoff_seconds)
    signature_alarm = alerts.SlidingWindowAlarm(
        alerts.SIGNATURE_FAILURE_SPIKE, settings.signature_alert_threshold, settings.signature_alert_window_seconds)
    app.extensions["payments"] = Services(settings, Store(retry), StripeGateway(settings), signature_alarm)
    api.register(app)
    web.register(app)
    admin.register(app)
    metrics_export.register(app)
    cli.register(app)
    return app
